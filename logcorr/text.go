package logcorr

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// LevelCritical is the slog level printed as Python's CRITICAL (levelno 50).
// It is also the level the otelslog bridge maps to OpenTelemetry's FATAL
// severity, as Python's CRITICAL is.
const LevelCritical = slog.LevelError + 4

// DefaultTimeLayout is Python logging's asctime layout
// ("%Y-%m-%d %H:%M:%S,mmm") in Go's time syntax.
const DefaultTimeLayout = "2006-01-02 15:04:05,000"

// LoggerKey is the attribute key that overrides the logger name (the
// %(name)s placeholder) of a record or, given to [slog.Logger.With], of every
// record of that logger. The text handler prints it in the name field and not
// among the attributes.
const LoggerKey = "logger"

// TextOptions configures [NewTextHandler]. The zero value is usable.
type TextOptions struct {
	// Format is the line layout; nil means [DefaultFormat]. The record's
	// attributes are printed after the message, so a format without
	// %(message)s prints none.
	Format *Format
	// ServiceName fills %(otelServiceName)s and, unless a record or its
	// logger carries a [LoggerKey] attribute, %(name)s. When empty, %(name)s
	// is "root", as Python's root logger is named.
	ServiceName string
	// Level is the minimum level written; nil means slog.LevelInfo.
	Level slog.Leveler
	// TimeLocation is the time zone of %(asctime)s; nil means time.Local,
	// as Python's asctime is local time.
	TimeLocation *time.Location
	// TimeLayout is the Go layout of %(asctime)s; empty means
	// [DefaultTimeLayout].
	TimeLayout string
	// TimeFunc, if set, maps each record's time before it is formatted. It
	// serves tests and examples that need a fixed time.
	TimeFunc func(time.Time) time.Time
}

// textShared is what every handler derived from one NewTextHandler call
// shares.
type textShared struct {
	mu       sync.Mutex
	w        io.Writer
	format   *Format
	level    slog.Leveler
	service  string
	loc      *time.Location
	layout   string
	timeFunc func(time.Time) time.Time
	pid      int
	start    time.Time
	frames   frameCache
}

// noFrame stands for the caller of a record without a PC.
var noFrame frame

type textHandler struct {
	s           *textShared
	name        string // logger name: service name or a LoggerKey attribute
	preAttrs    []byte // " k=v" of WithAttrs, already rendered
	groupPrefix string // "g1.g2." of WithGroup
}

var _ slog.Handler = (*textHandler)(nil)

// NewTextHandler returns a handler that writes each record to w as one line
// in opts.Format (the spec's layout by default):
//
//	2025-09-01 01:36:32,123 INFO [hyunwoo] [app.go:42] [trace_id=<32 hex> span_id=<16 hex>] - message key=value...
//
// The trace and span ids come from the span in the context passed to
// slog's *Context methods; outside a span they print as 0, as Python's
// logging instrumentation prints them. Record attributes, and those of
// [slog.Logger.With], follow the message as key=value in slog.TextHandler's
// quoting, with groups as dotted prefixes. The file name and line are the
// caller's (from the record's PC). Each record is rendered into a pooled
// buffer and written with one Write call; the handler serialises writes to w.
func NewTextHandler(w io.Writer, opts *TextOptions) slog.Handler {
	if opts == nil {
		opts = &TextOptions{}
	}
	s := &textShared{
		w:        w,
		format:   opts.Format,
		level:    opts.Level,
		service:  opts.ServiceName,
		loc:      opts.TimeLocation,
		layout:   opts.TimeLayout,
		timeFunc: opts.TimeFunc,
		pid:      os.Getpid(),
		start:    time.Now(),
	}
	if s.format == nil {
		s.format = defaultFormat()
	}
	if s.level == nil {
		s.level = slog.LevelInfo
	}
	if s.layout == "" {
		s.layout = DefaultTimeLayout
	}
	name := opts.ServiceName
	if name == "" {
		name = "root"
	}
	return &textHandler{s: s, name: name}
}

var defaultFormat = sync.OnceValue(func() *Format { return MustParseFormat(DefaultFormat) })

// Enabled reports whether l is at least the configured level.
func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.s.level.Level()
}

// WithAttrs returns a handler whose records also carry attrs. A top-level
// [LoggerKey] attribute sets the logger name instead.
func (h *textHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.preAttrs = h.preAttrs[:len(h.preAttrs):len(h.preAttrs)]
	for _, a := range attrs {
		if h.groupPrefix == "" && a.Key == LoggerKey {
			h2.name = a.Value.Resolve().String()
			continue
		}
		h2.preAttrs = appendAttr(h2.preAttrs, h.groupPrefix, a)
	}
	return &h2
}

// WithGroup returns a handler that qualifies the keys of later attributes
// with name.
func (h *textHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.groupPrefix = h.groupPrefix + name + "."
	return &h2
}

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}

// frame is what a format may need of the caller.
type frame struct {
	file, base, module, function string
	line                         int
}

// frameCache maps record PCs to frames. Resolving a PC costs two
// allocations and a table walk; a log call site has one PC, so a small
// direct-mapped cache makes the common case free. Entries are immutable and
// replaced whole, so concurrent use needs only atomic pointers.
type frameCache [256]atomic.Pointer[frameEntry]

type frameEntry struct {
	pc uintptr
	fr frame
}

func (c *frameCache) lookup(pc uintptr) *frame {
	slot := &c[(pc>>2)%uintptr(len(c))]
	if e := slot.Load(); e != nil && e.pc == pc {
		return &e.fr
	}
	fs := runtime.CallersFrames([]uintptr{pc})
	rf, _ := fs.Next()
	base := filepath.Base(rf.File)
	e := &frameEntry{pc: pc, fr: frame{
		file:     rf.File,
		base:     base,
		module:   strings.TrimSuffix(base, filepath.Ext(base)),
		function: funcName(rf.Function),
		line:     rf.Line,
	}}
	slot.Store(e)
	return &e.fr
}

// Handle writes r as one line.
func (h *textHandler) Handle(ctx context.Context, r slog.Record) error {
	f := h.s.format
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]

	sc := trace.SpanContextFromContext(ctx)
	name := h.name
	if f.needName && h.groupPrefix == "" && r.NumAttrs() > 0 {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == LoggerKey {
				name = a.Value.Resolve().String()
				return false
			}
			return true
		})
	}
	fr := &noFrame
	if f.needFrame && r.PC != 0 {
		fr = h.s.frames.lookup(r.PC)
	}
	t := r.Time
	if h.s.timeFunc != nil {
		t = h.s.timeFunc(t)
	}
	if h.s.loc != nil {
		t = t.In(h.s.loc)
	} else {
		t = t.Local()
	}

	for i := range f.segs {
		seg := &f.segs[i]
		if seg.field == fieldLiteral {
			b = append(b, seg.literal...)
			continue
		}
		if seg.plain {
			b = h.appendField(b, seg.field, &r, t, sc, name, fr)
			continue
		}
		b = h.appendFormatted(b, seg, &r, t, sc, name, fr)
	}
	b = append(b, '\n')

	h.s.mu.Lock()
	_, err := h.s.w.Write(b)
	h.s.mu.Unlock()

	if cap(b) <= 64<<10 {
		*bp = b
		bufPool.Put(bp)
	}
	return err
}

// appendField appends the plain rendering of one placeholder, as Python's %s
// (or %d for integers) would print it.
func (h *textHandler) appendField(b []byte, fl field, r *slog.Record, t time.Time, sc trace.SpanContext, name string, fr *frame) []byte {
	switch fl {
	case fieldAsctime:
		return t.AppendFormat(b, h.s.layout)
	case fieldCreated:
		return appendPyFloat(b, float64(t.UnixNano())/1e9)
	case fieldFilename:
		return append(b, fr.base...)
	case fieldPathname:
		return append(b, fr.file...)
	case fieldFuncName:
		return append(b, fr.function...)
	case fieldModule:
		return append(b, fr.module...)
	case fieldLineno:
		return strconv.AppendInt(b, int64(fr.line), 10)
	case fieldLevelname:
		return append(b, levelName(r.Level)...)
	case fieldLevelno:
		return strconv.AppendInt(b, int64(levelNo(r.Level)), 10)
	case fieldMessage:
		return h.appendMessage(b, r)
	case fieldMsecs:
		return appendPyFloat(b, float64(t.Nanosecond())/1e6)
	case fieldName:
		return append(b, name...)
	case fieldProcess:
		return strconv.AppendInt(b, int64(h.s.pid), 10)
	case fieldRelativeCreated:
		return appendPyFloat(b, float64(t.Sub(h.s.start))/float64(time.Millisecond))
	case fieldTraceID:
		if !sc.IsValid() {
			return append(b, '0')
		}
		var a [32]byte
		hexTraceID(&a, sc.TraceID())
		return append(b, a[:]...)
	case fieldSpanID:
		if !sc.IsValid() {
			return append(b, '0')
		}
		var a [16]byte
		hexSpanID(&a, sc.SpanID())
		return append(b, a[:]...)
	case fieldTraceSampled:
		if sc.IsSampled() {
			return append(b, "True"...)
		}
		return append(b, "False"...)
	case fieldServiceName:
		return append(b, h.s.service...)
	}
	return b
}

// appendMessage appends the message followed by the attributes, separated
// by spaces.
func (h *textHandler) appendMessage(b []byte, r *slog.Record) []byte {
	start := len(b)
	b = append(b, r.Message...)
	b = append(b, h.preAttrs...)
	if r.NumAttrs() > 0 {
		skipLogger := h.groupPrefix == ""
		r.Attrs(func(a slog.Attr) bool {
			if skipLogger && a.Key == LoggerKey {
				return true
			}
			b = appendAttr(b, h.groupPrefix, a)
			return true
		})
	}
	// No leading space when the message is empty.
	if r.Message == "" && len(b) > start && b[start] == ' ' {
		b = append(b[:start], b[start+1:]...)
	}
	return b
}

// appendFormatted renders a placeholder with flags, width, precision or a
// conversion other than a plain %s/%d, through fmt.
func (h *textHandler) appendFormatted(b []byte, seg *segment, r *slog.Record, t time.Time, sc trace.SpanContext, name string, fr *frame) []byte {
	var v any
	switch seg.kind {
	case kindInt:
		var n int
		switch seg.field {
		case fieldLevelno:
			n = levelNo(r.Level)
		case fieldLineno:
			n = fr.line
		case fieldProcess:
			n = h.s.pid
		}
		v = n
	case kindFloat:
		var x float64
		switch seg.field {
		case fieldCreated:
			x = float64(t.UnixNano()) / 1e9
		case fieldMsecs:
			x = float64(t.Nanosecond()) / 1e6
		case fieldRelativeCreated:
			x = float64(t.Sub(h.s.start)) / float64(time.Millisecond)
		}
		switch seg.conv {
		case 's', 'r':
			v = string(appendPyFloat(nil, x))
		case 'd', 'i', 'u', 'x', 'X', 'o':
			v = int64(x)
		default:
			v = x
		}
	default:
		s := string(h.appendField(nil, seg.field, r, t, sc, name, fr))
		if seg.conv == 'r' {
			s = "'" + s + "'"
		}
		v = s
	}
	return fmt.Appendf(b, seg.goVerb, v)
}

// appendPyFloat appends x as Python's str(float) does for ordinary values:
// the shortest representation, with ".0" when it is integral.
func appendPyFloat(b []byte, x float64) []byte {
	n := len(b)
	b = strconv.AppendFloat(b, x, 'f', -1, 64)
	if bytes.IndexByte(b[n:], '.') < 0 {
		b = append(b, ".0"...)
	}
	return b
}

// funcName returns the function part of a Go symbol name
// ("example.com/pkg.(*T).Method" → "(*T).Method"), the closest thing to
// Python's funcName.
func funcName(full string) string {
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		full = full[i+1:]
	}
	if i := strings.IndexByte(full, '.'); i >= 0 {
		return full[i+1:]
	}
	return full
}

// levelName returns Python's level name for l: DEBUG, INFO, WARNING, ERROR,
// or CRITICAL from [LevelCritical] up.
func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARNING"
	case l < LevelCritical:
		return "ERROR"
	default:
		return "CRITICAL"
	}
}

// levelNo returns Python's numeric level for l: DEBUG 10, INFO 20,
// WARNING 30, ERROR 40, CRITICAL 50, scaled linearly in between.
func levelNo(l slog.Level) int {
	return max(20+int(l)*10/4, 0)
}
