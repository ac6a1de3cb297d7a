package logcorr

import (
	"fmt"
	"strings"
)

// DefaultFormat is the log line layout of the Flask service the library
// reproduces, in Python logging's syntax: time, level, logger name, file
// and line, trace and span ids, message. It is the value of
// OTEL_PYTHON_LOG_FORMAT in that service's environment.
const DefaultFormat = "%(asctime)s %(levelname)s [%(name)s] [%(filename)s:%(lineno)d] [trace_id=%(otelTraceID)s span_id=%(otelSpanID)s] - %(message)s"

// PythonDefaultFormat is the format that Python's
// opentelemetry-instrumentation-logging uses when OTEL_PYTHON_LOG_CORRELATION
// is true and OTEL_PYTHON_LOG_FORMAT is not set.
const PythonDefaultFormat = "%(asctime)s %(levelname)s [%(name)s] [%(filename)s:%(lineno)d] [trace_id=%(otelTraceID)s span_id=%(otelSpanID)s resource.service.name=%(otelServiceName)s trace_sampled=%(otelTraceSampled)s] - %(message)s"

// field identifies a placeholder of a Format.
type field uint8

const (
	fieldLiteral field = iota
	fieldAsctime
	fieldCreated
	fieldFilename
	fieldFuncName
	fieldLevelname
	fieldLevelno
	fieldLineno
	fieldMessage
	fieldModule
	fieldMsecs
	fieldName
	fieldPathname
	fieldProcess
	fieldRelativeCreated
	fieldTraceID
	fieldSpanID
	fieldTraceSampled
	fieldServiceName
)

// valueKind is the Python type of a placeholder's value; it decides which
// conversions are allowed.
type valueKind uint8

const (
	kindString valueKind = iota
	kindInt
	kindFloat
)

type fieldInfo struct {
	f    field
	kind valueKind
}

// fields maps the placeholder names a Format accepts to their meaning. The
// names and types are those of Python's logging.LogRecord and of the
// attributes opentelemetry-instrumentation-logging adds to it.
var fields = map[string]fieldInfo{
	"asctime":          {fieldAsctime, kindString},
	"created":          {fieldCreated, kindFloat},
	"filename":         {fieldFilename, kindString},
	"funcName":         {fieldFuncName, kindString},
	"levelname":        {fieldLevelname, kindString},
	"levelno":          {fieldLevelno, kindInt},
	"lineno":           {fieldLineno, kindInt},
	"message":          {fieldMessage, kindString},
	"module":           {fieldModule, kindString},
	"msecs":            {fieldMsecs, kindFloat},
	"name":             {fieldName, kindString},
	"pathname":         {fieldPathname, kindString},
	"process":          {fieldProcess, kindInt},
	"relativeCreated":  {fieldRelativeCreated, kindFloat},
	"otelTraceID":      {fieldTraceID, kindString},
	"otelSpanID":       {fieldSpanID, kindString},
	"otelTraceSampled": {fieldTraceSampled, kindString},
	"otelServiceName":  {fieldServiceName, kindString},
}

// unavailable lists LogRecord attributes that exist in Python but have no Go
// equivalent; they are rejected with a reason rather than as unknown.
var unavailable = map[string]string{
	"thread":      "Go has no thread identifiers",
	"threadName":  "Go has no thread names",
	"taskName":    "Go has no asyncio tasks",
	"processName": "Go has no multiprocessing process names",
	"exc_info":    "not a formattable field",
	"exc_text":    "not a formattable field",
	"stack_info":  "not a formattable field",
	"args":        "slog records carry attributes, not arguments",
	"msg":         "use %(message)s",
}

// segment is one piece of a parsed Format: a literal, or a placeholder with
// its conversion.
type segment struct {
	field   field
	kind    valueKind
	literal string // literal text, when field is fieldLiteral
	conv    byte   // Python conversion character: s r d i u f F e E g G x X o
	plain   bool   // no flags, width or precision: written directly
	goVerb  string // equivalent fmt directive, when !plain or conv needs it
}

// Format is a parsed Python logging format string (printf style, the style
// OTEL_PYTHON_LOG_FORMAT uses). Build one with [ParseFormat]; a Format is
// immutable and safe for concurrent use.
type Format struct {
	src  string
	segs []segment

	// What the format uses, so that a handler computes nothing more.
	needFrame bool // filename, pathname, lineno, funcName, module
	needName  bool // name
}

// String returns the format string the Format was parsed from.
func (f *Format) String() string {
	if f == nil {
		return ""
	}
	return f.src
}

// FormatError reports a malformed log format or an unknown placeholder.
type FormatError struct {
	Format      string // the whole format string
	Offset      int    // byte offset of the offending directive
	Placeholder string // the offending directive, e.g. "%(bogus)s"
	Reason      string // what is wrong with it
}

// Error implements error.
func (e *FormatError) Error() string {
	return fmt.Sprintf("logcorr: log format: %s %q at offset %d", e.Reason, e.Placeholder, e.Offset)
}

// MustParseFormat is like [ParseFormat] but panics on error. It is meant for
// formats written in the program's source.
func MustParseFormat(s string) *Format {
	f, err := ParseFormat(s)
	if err != nil {
		panic(err)
	}
	return f
}

// ParseFormat parses a Python logging format string such as [DefaultFormat].
//
// A directive is %(name)[flags][width][.precision]conversion as in Python's
// printf-style formatting, with the flags "-", "0", " ", "+" and "#" and the
// conversions s, r, d, i, u, f, F, e, E, g, G, x, X and o; "%%" is a literal
// percent sign. The names are those of Python's LogRecord that have a Go
// equivalent (asctime, created, filename, funcName, levelname, levelno,
// lineno, message, module, msecs, name, pathname, process, relativeCreated)
// and those of opentelemetry-instrumentation-logging (otelTraceID, otelSpanID,
// otelTraceSampled, otelServiceName). An unknown name, a numeric conversion of
// a text field, or a malformed directive is a *[FormatError] naming it.
func ParseFormat(s string) (*Format, error) {
	f := &Format{src: s}
	var lit strings.Builder
	flushLit := func() {
		if lit.Len() > 0 {
			f.segs = append(f.segs, segment{field: fieldLiteral, literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		lit.WriteString(s[i : i+j])
		start := i + j
		i = start + 1
		if i >= len(s) {
			return nil, &FormatError{Format: s, Offset: start, Placeholder: s[start:], Reason: "incomplete directive"}
		}
		if s[i] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		if s[i] != '(' {
			end := min(i+1, len(s))
			return nil, &FormatError{Format: s, Offset: start, Placeholder: s[start:end], Reason: "directive without a (name)"}
		}
		closing := strings.IndexByte(s[i:], ')')
		if closing < 0 {
			return nil, &FormatError{Format: s, Offset: start, Placeholder: s[start:], Reason: "unterminated placeholder"}
		}
		name := s[i+1 : i+closing]
		i += closing + 1
		// flags, width, precision, conversion
		specStart := i
		for i < len(s) && strings.IndexByte("-0 +#", s[i]) >= 0 {
			i++
		}
		flags := s[specStart:i]
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		width := s[specStart+len(flags) : i]
		prec := ""
		if i < len(s) && s[i] == '.' {
			p := i
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			prec = s[p:i]
		}
		if i >= len(s) {
			return nil, &FormatError{Format: s, Offset: start, Placeholder: s[start:], Reason: "missing conversion character in"}
		}
		conv := s[i]
		i++
		directive := s[start:i]
		info, ok := fields[name]
		if !ok {
			if why, known := unavailable[name]; known {
				return nil, &FormatError{Format: s, Offset: start, Placeholder: directive, Reason: "unsupported placeholder (" + why + ")"}
			}
			return nil, &FormatError{Format: s, Offset: start, Placeholder: directive, Reason: "unknown placeholder"}
		}
		seg := segment{field: info.f, kind: info.kind, conv: conv}
		var verb byte
		switch conv {
		case 's', 'r':
			verb = 's'
		case 'd', 'i', 'u':
			verb = 'd'
		case 'f', 'F', 'e', 'E', 'g', 'G':
			verb = conv
			if conv == 'F' {
				verb = 'f'
			}
		case 'x', 'X', 'o':
			verb = conv
		default:
			return nil, &FormatError{Format: s, Offset: start, Placeholder: directive, Reason: fmt.Sprintf("unsupported conversion %q in", conv)}
		}
		if verb != 's' && info.kind == kindString {
			return nil, &FormatError{Format: s, Offset: start, Placeholder: directive, Reason: "numeric conversion of a text field in"}
		}
		seg.plain = flags == "" && width == "" && prec == "" && (conv == 's' || (verb == 'd' && info.kind == kindInt))
		seg.goVerb = "%" + flags + width + prec + string(verb)
		switch info.f {
		case fieldFilename, fieldPathname, fieldLineno, fieldFuncName, fieldModule:
			f.needFrame = true
		case fieldName:
			f.needName = true
		}
		flushLit()
		f.segs = append(f.segs, seg)
	}
	flushLit()
	return f, nil
}
