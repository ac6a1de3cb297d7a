// Package exception is the one place where otelkit's wrappers record an
// exception (a panic, or an error that fails the operation of a span), and
// where OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN decides on which signal.
//
// The semantic conventions (docs/exceptions/exceptions-logs.md, "Existing
// instrumentations that record exceptions as span events SHOULD introduce an
// environment variable OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN") define:
//
//	unset or empty   an "exception" span event only (the behaviour before)
//	logs             a log record only
//	logs/dup         both the span event and the log record
//
// The value is trimmed and compared without case, as the specification says
// of enumerations; any other value means the default (span events only) and
// otelboot.Start warns about it once ([Check]).
//
// The log record goes through the OpenTelemetry log API's global logger
// provider (otel.GetLoggerProvider, read at each record, so a provider set
// after a wrapper was built is used), under the instrumentation scope of the
// wrapper's spans. It is emitted in a context that carries the span, so it
// bears the span's trace and span ids. As the conventions ask of an event,
// it has an event name and a severity number and no body: the name and
// severity are those the conventions give the operation's exception event
// (http.server.request.exception at ERROR, http.client.request.exception,
// db.client.operation.exception and messaging.send.exception or
// messaging.receive.exception at WARN, see [Kind]), the attributes
// exception.type, exception.message and exception.stacktrace (when there is
// one) with the very strings the span event has, so the masking of secrets
// is the same on both signals.
//
// The environment is read at each record: a wrapper built before
// otelboot.Start obeys the variable, and otelsql's event filter (sqlx) and
// sqlx's own recording cannot disagree. On the default path (events only)
// nothing is added to what the span event costs: no allocation.
package exception

import (
	"context"
	"os"
	"reflect"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit"
)

// EnvSignalOptIn is the variable read.
const EnvSignalOptIn = "OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN"

// EventName is the name of the span event of an exception.
const EventName = "exception"

// Mode says on which signals an exception is recorded.
type Mode uint8

// The modes.
const (
	Events  Mode = iota // span events only: unset, empty or unknown
	Logs                // log records only: "logs"
	LogsDup             // both: "logs/dup"
)

// Default describes the default mode, for warnings.
const Default = "exception span events only"

// Parse parses a value of OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN; ok is false
// for a value that is neither empty (after trimming) nor one of the known
// ones, which then means Events.
func Parse(v string) (m Mode, ok bool) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return Events, true
	case strings.EqualFold(v, "logs"):
		return Logs, true
	case strings.EqualFold(v, "logs/dup"):
		return LogsDup, true
	}
	return Events, false
}

// FromEnv returns the mode the environment selects.
func FromEnv() Mode {
	m, _ := Parse(os.Getenv(EnvSignalOptIn))
	return m
}

// Check returns the variable's value and false when it is set to a value
// Parse does not know, for otelboot's warning.
func Check() (value string, ok bool) {
	v := os.Getenv(EnvSignalOptIn)
	_, ok = Parse(v)
	return v, ok
}

// Events reports whether mode m records the span event.
func (m Mode) Events() bool { return m != Logs }

// Logs reports whether mode m emits the log record.
func (m Mode) Logs() bool { return m != Events }

// RecordsSpanEvent reports whether the environment has exceptions recorded
// as span events (for event filters of libraries beneath a wrapper, such as
// otelsql's RecordError).
func RecordsSpanEvent() bool { return FromEnv().Events() }

// Kind is the operation that failed: it names the log record's event and
// gives its severity, as the semantic conventions define them for the
// operation (model/*/events.yaml of the conventions).
type Kind struct {
	event    string
	severity log.Severity
	text     string
}

// The kinds otelkit's wrappers record.
var (
	// HTTPServer: a panic in an HTTP handler (SERVER span, ERROR).
	HTTPServer = Kind{"http.server.request.exception", log.SeverityError, "ERROR"}
	// HTTPClient: an HTTP request that failed (CLIENT span, WARN).
	HTTPClient = Kind{"http.client.request.exception", log.SeverityWarn, "WARN"}
	// DBClient: a database operation that failed (CLIENT span, WARN).
	DBClient = Kind{"db.client.operation.exception", log.SeverityWarn, "WARN"}
	// MessagingSend: a message that could not be produced (PRODUCER span,
	// WARN).
	MessagingSend = Kind{"messaging.send.exception", log.SeverityWarn, "WARN"}
	// MessagingReceive: a fetch that failed (receive span, WARN).
	MessagingReceive = Kind{"messaging.receive.exception", log.SeverityWarn, "WARN"}
)

// EventName returns the log record's event name for k.
func (k Kind) EventName() string { return k.event }

// Severity returns the log record's severity number for k.
func (k Kind) Severity() log.Severity { return k.severity }

// Recorder records the exceptions of one kind for one wrapper.
type Recorder struct {
	Kind Kind
	// Scope and Version are the instrumentation scope of the log records:
	// that of the wrapper's spans.
	Scope, Version string
	// Signal overrides the environment (a wrapper's WithExceptionSignal);
	// its zero value reads the variable at each exception.
	Signal otelkit.ExceptionSignal
}

// WithSignal returns r with its Signal set to s.
func (r Recorder) WithSignal(s otelkit.ExceptionSignal) Recorder {
	r.Signal = s
	return r
}

// Mode returns the mode r records in: its Signal's, else the environment's.
func (r Recorder) Mode() Mode { return ModeOf(r.Signal) }

// ModeOf returns the mode signal s selects; ExceptionSignalFromEnv (or an
// unknown value) reads the environment.
func ModeOf(s otelkit.ExceptionSignal) Mode {
	switch s {
	case otelkit.ExceptionEvents:
		return Events
	case otelkit.ExceptionLogs:
		return Logs
	case otelkit.ExceptionLogsDup:
		return LogsDup
	}
	return FromEnv()
}

// Error records err, which failed the operation of span, as an exception.
// msg is the exception message when it differs from err.Error() (masked), or
// "" for err's own text. The span event is the one span.RecordError(err)
// adds when the message is err's own text (so a non-SDK span records it its
// own way), the same exception.type and msg otherwise; the log record has
// exception.type as the SDK writes it (see [TypeName]) and the same message.
func (r Recorder) Error(ctx context.Context, span trace.Span, err error, msg string) {
	m := r.Mode()
	if m.Events() {
		if msg == "" || msg == err.Error() {
			span.RecordError(err)
		} else {
			span.AddEvent(EventName, trace.WithAttributes(
				otelsemconv.ExceptionTypeKey.String(TypeName(err)),
				otelsemconv.ExceptionMessageKey.String(msg),
			))
		}
	}
	if m.Logs() {
		inst := err
		if msg == "" {
			msg = err.Error()
		} else if msg != err.Error() {
			inst = nil // masked
		}
		r.emit(ctx, span, inst, TypeName(err), msg, "")
	}
}

// Record records an exception of type typ with message msg and stack trace
// stack ("" for none) on span (a panic: the caller has the three strings).
func (r Recorder) Record(ctx context.Context, span trace.Span, typ, msg, stack string) {
	m := r.Mode()
	if m.Events() {
		attrs := [3]attribute.KeyValue{
			otelsemconv.ExceptionTypeKey.String(typ),
			otelsemconv.ExceptionMessageKey.String(msg),
		}
		n := 2
		if stack != "" {
			attrs[2], n = otelsemconv.ExceptionStacktraceKey.String(stack), 3
		}
		span.AddEvent(EventName, trace.WithAttributes(attrs[:n]...))
	}
	if m.Logs() {
		r.emit(ctx, span, nil, typ, msg, stack)
	}
}

// emit sends the log record of the exception, in a context carrying span;
// err is the exception instance when its text is msg, else nil.
func (r Recorder) emit(ctx context.Context, span trace.Span, err error, typ, msg, stack string) {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx = trace.ContextWithSpan(ctx, span)
	var opts []log.LoggerOption
	if r.Version != "" {
		opts = append(opts, log.WithInstrumentationVersion(r.Version))
	}
	logger := otel.GetLoggerProvider().Logger(r.Scope, opts...)
	if !logger.Enabled(ctx, log.EnabledParameters{Severity: r.Kind.severity, EventName: r.Kind.event}) {
		return
	}
	var rec log.Record
	rec.SetEventName(r.Kind.event)
	now := time.Now()
	rec.SetTimestamp(now)
	rec.SetObservedTimestamp(now)
	rec.SetSeverity(r.Kind.severity)
	rec.SetSeverityText(r.Kind.text)
	rec.AddAttributes(
		otelsemconv.ExceptionTypeKey.String(typ),
		otelsemconv.ExceptionMessageKey.String(msg),
	)
	if stack != "" {
		rec.AddAttributes(otelsemconv.ExceptionStacktraceKey.String(stack))
	}
	// The conventions ask for the exception instance where the API takes
	// one; the attributes above take precedence over what the SDK derives
	// from it. A masked message keeps the instance out: its text is what
	// the mask hides.
	rec.SetErr(err)
	logger.Emit(ctx, rec)
}

// TypeName is the exception.type of err as the OpenTelemetry SDK's
// span.RecordError writes it: the package path and name of a named type
// (net/url.Error), the type's string otherwise (*net.OpError).
func TypeName(err error) string {
	t := reflect.TypeOf(err)
	if t.PkgPath() == "" && t.Name() == "" {
		return t.String()
	}
	return t.PkgPath() + "." + t.Name()
}
