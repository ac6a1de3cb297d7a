package exception_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/embedded"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/internal/exception"
	"github.com/otelkit/otelkit/internal/exception/exceptiontest"
)

// TestParse: the values the conventions define, trimmed and without case;
// anything else is not ok and means events only.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		v    string
		want exception.Mode
		ok   bool
	}{
		{"", exception.Events, true},
		{"  ", exception.Events, true},
		{"logs", exception.Logs, true},
		{" LOGS ", exception.Logs, true},
		{"logs/dup", exception.LogsDup, true},
		{"Logs/Dup", exception.LogsDup, true},
		{"log", exception.Events, false},
		{"logs/dupe", exception.Events, false},
		{"logs,logs/dup", exception.Events, false},
		{"events", exception.Events, false},
		{"dup", exception.Events, false},
		{"/dup", exception.Events, false},
	} {
		got, ok := exception.Parse(c.v)
		if got != c.want || ok != c.ok {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", c.v, got, ok, c.want, c.ok)
		}
	}
	for m, want := range map[exception.Mode][2]bool{
		exception.Events: {true, false}, exception.Logs: {false, true}, exception.LogsDup: {true, true},
	} {
		if m.Events() != want[0] || m.Logs() != want[1] {
			t.Errorf("mode %d: events %v logs %v, want %v", m, m.Events(), m.Logs(), want)
		}
	}
}

func TestCheckAndFromEnv(t *testing.T) {
	t.Setenv(exception.EnvSignalOptIn, "sometimes")
	if v, ok := exception.Check(); ok || v != "sometimes" {
		t.Errorf("Check() = %q, %v", v, ok)
	}
	if exception.FromEnv() != exception.Events || !exception.RecordsSpanEvent() {
		t.Errorf("a bad value does not mean the default")
	}
	t.Setenv(exception.EnvSignalOptIn, "logs")
	if _, ok := exception.Check(); !ok {
		t.Errorf("logs reported bad")
	}
	if exception.FromEnv() != exception.Logs || exception.RecordsSpanEvent() {
		t.Errorf("logs not read")
	}
}

// TestKinds: event names and severities as the conventions' events.yaml
// give them.
func TestKinds(t *testing.T) {
	for k, want := range map[exception.Kind]struct {
		name string
		sev  log.Severity
	}{
		exception.HTTPServer:       {"http.server.request.exception", log.SeverityError},
		exception.HTTPClient:       {"http.client.request.exception", log.SeverityWarn},
		exception.DBClient:         {"db.client.operation.exception", log.SeverityWarn},
		exception.MessagingSend:    {"messaging.send.exception", log.SeverityWarn},
		exception.MessagingReceive: {"messaging.receive.exception", log.SeverityWarn},
	} {
		if k.EventName() != want.name || k.Severity() != want.sev {
			t.Errorf("%s: %v, want %s %v", k.EventName(), k.Severity(), want.name, want.sev)
		}
		if want.sev != 13 && want.sev != 17 {
			t.Errorf("%s: severity number %d", want.name, want.sev)
		}
	}
}

func newSpan(t *testing.T) (*tracetest.SpanRecorder, trace.Span) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	_, span := tp.Tracer("t").Start(context.Background(), "op")
	return rec, span
}

var modes = []string{"", "logs", "logs/dup"}

// TestErrorModes: Error in each mode, with err's own text and with a masked
// one: the event and the record carry the same message, the record the
// span's ids.
func TestErrorModes(t *testing.T) {
	r := exception.Recorder{Kind: exception.DBClient, Scope: "scope/x", Version: "1.2"}
	err := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused")}
	for _, masked := range []bool{false, true} {
		for _, mode := range modes {
			t.Run(mode, func(t *testing.T) {
				sink := exceptiontest.Capture(t, mode)
				rec, span := newSpan(t)
				msg, want := "", err.Error()
				if masked {
					msg, want = "dial tcp: ?", "dial tcp: ?"
				}
				r.Error(context.Background(), span, err, msg)
				span.End()
				got := exceptiontest.Check(t, mode, rec.Ended()[0], sink.Records(), exceptiontest.Want{
					Kind: exception.DBClient, Scope: "scope/x", Type: "*net.OpError", Message: want,
				})
				if got != want {
					t.Errorf("message %q, want %q", got, want)
				}
				if recs := sink.Records(); len(recs) == 1 {
					if v := recs[0].InstrumentationScope().Version; v != "1.2" {
						t.Errorf("scope version %q", v)
					}
				}
				for _, e := range rec.Ended()[0].Events() {
					for _, kv := range e.Attributes {
						if kv.Key == "exception.type" && kv.Value.AsString() != "*net.OpError" {
							t.Errorf("event type %q", kv.Value.AsString())
						}
					}
				}
			})
		}
	}
}

func TestRecordModes(t *testing.T) {
	r := exception.Recorder{Kind: exception.HTTPServer, Scope: "scope/h"}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			sink := exceptiontest.Capture(t, mode)
			rec, span := newSpan(t)
			r.Record(context.Background(), span, "string", "boom", "goroutine 1 [running]:")
			span.End()
			exceptiontest.Check(t, mode, rec.Ended()[0], sink.Records(), exceptiontest.Want{
				Kind: exception.HTTPServer, Scope: "scope/h", Type: "string", Message: "boom", Stack: true,
			})
		})
	}
}

// TestNonRecordingSpan: the record of a non-recording span with a valid
// context still carries its ids (the log signal samples on its own).
func TestNonRecordingSpan(t *testing.T) {
	sink := exceptiontest.Capture(t, "logs")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}})
	span := trace.SpanFromContext(trace.ContextWithSpanContext(context.Background(), sc))
	exception.Recorder{Kind: exception.HTTPClient, Scope: "s"}.Error(context.Background(), span, errors.New("x"), "")
	recs := sink.Records()
	if len(recs) != 1 || recs[0].TraceID() != sc.TraceID() || recs[0].SpanID() != sc.SpanID() {
		t.Fatalf("records %v", recs)
	}
}

// TestDefaultPathAllocs: events only, Error and Record cost what the span
// event they add costs.
func TestDefaultPathAllocs(t *testing.T) {
	t.Setenv(exception.EnvSignalOptIn, "")
	limits := sdktrace.NewSpanLimits()
	limits.EventCountLimit = 1 // the span keeps one event, dropping the others
	tp := sdktrace.NewTracerProvider(sdktrace.WithRawSpanLimits(limits))
	_, span := tp.Tracer("t").Start(context.Background(), "op")
	defer span.End()
	ctx := context.Background()
	err := errors.New("x")
	r := exception.Recorder{Kind: exception.HTTPClient, Scope: "s"}
	for _, c := range []struct {
		name     string
		bare, us func()
	}{
		{"Error own text", func() { span.RecordError(err) }, func() { r.Error(ctx, span, err, "") }},
		{"Error masked", func() {
			span.AddEvent(exception.EventName, trace.WithAttributes(
				attribute.String("exception.type", exception.TypeName(err)), attribute.String("exception.message", "?")))
		}, func() { r.Error(ctx, span, err, "?") }},
		{"Error own text, events option", func() { span.RecordError(err) }, func() {
			exception.Recorder{Kind: exception.HTTPClient, Scope: "s", Signal: otelkit.ExceptionEvents}.Error(ctx, span, err, "")
		}},
		{"Record", func() {
			span.AddEvent(exception.EventName, trace.WithAttributes(
				attribute.String("exception.type", "string"), attribute.String("exception.message", "boom"),
				attribute.String("exception.stacktrace", "stack")))
		}, func() { r.Record(ctx, span, "string", "boom", "stack") }},
	} {
		bare, us := testing.AllocsPerRun(200, c.bare), testing.AllocsPerRun(200, c.us)
		t.Logf("%s: %.0f allocs (bare span event %.0f)", c.name, us, bare)
		if us > bare {
			t.Errorf("%s: %.0f allocs, the bare span event %.0f", c.name, us, bare)
		}
	}
}

type named struct{}

func (named) Error() string { return "named" }

type strErr string

func (e strErr) Error() string { return string(e) }

// TestTypeNameIsTheSDKs: TypeName writes what the SDK's RecordError writes.
func TestTypeNameIsTheSDKs(t *testing.T) {
	for _, err := range []error{errors.New("x"), named{}, &named{}, strErr("s"), &net.OpError{Op: "dial", Err: errors.New("e")}, net.UnknownNetworkError("u")} {
		rec, span := newSpan(t)
		span.RecordError(err)
		span.End()
		var sdk string
		for _, kv := range rec.Ended()[0].Events()[0].Attributes {
			if kv.Key == "exception.type" {
				sdk = kv.Value.AsString()
			}
		}
		if got := exception.TypeName(err); got != sdk {
			t.Errorf("TypeName(%T) = %q, the SDK's %q", err, got, sdk)
		}
	}
}

// BenchmarkFromEnv is what reading the variable at each exception costs.
func BenchmarkFromEnv(b *testing.B) {
	b.Setenv(exception.EnvSignalOptIn, "logs/dup")
	b.ReportAllocs()
	for b.Loop() {
		_ = exception.FromEnv()
	}
}

// apiProvider is a LoggerProvider of the API only, keeping the records as
// they are emitted (with their error instance), as a vendor's could.
type apiProvider struct {
	embedded.LoggerProvider
	l *apiLogger
}

func (p apiProvider) Logger(string, ...log.LoggerOption) log.Logger { return p.l }

type apiLogger struct {
	embedded.Logger
	recs []log.Record
}

func (l *apiLogger) Emit(_ context.Context, r log.Record)                { l.recs = append(l.recs, r.Clone()) }
func (l *apiLogger) Enabled(context.Context, log.EnabledParameters) bool { return true }

// TestMaskedMessageKeepsTheErrorOut: the record carries the error instance
// (as the conventions ask) only when its text is the message recorded; a
// masked message never travels with the error whose text it hides.
func TestMaskedMessageKeepsTheErrorOut(t *testing.T) {
	t.Setenv(exception.EnvSignalOptIn, "logs")
	l := &apiLogger{}
	prev := otel.GetLoggerProvider()
	otel.SetLoggerProvider(apiProvider{l: l})
	t.Cleanup(func() { otel.SetLoggerProvider(prev) })
	_, span := newSpan(t)
	r := exception.Recorder{Kind: exception.DBClient, Scope: "s"}
	secret := errors.New("Duplicate entry 'Qx7ArgValue'")
	r.Error(context.Background(), span, secret, "Duplicate entry '?'")
	plain := errors.New("driver: bad connection")
	r.Error(context.Background(), span, plain, "")
	if len(l.recs) != 2 {
		t.Fatalf("%d records", len(l.recs))
	}
	if l.recs[0].Err() != nil {
		t.Errorf("masked record carries the error %q", l.recs[0].Err())
	}
	if l.recs[1].Err() != plain {
		t.Errorf("plain record's error %v, want the instance", l.recs[1].Err())
	}
	l.recs[0].WalkAttributes(func(kv attribute.KeyValue) bool {
		if strings.Contains(kv.Value.String(), "Qx7ArgValue") {
			t.Errorf("%s shows the masked value", kv.Key)
		}
		return true
	})
}

// TestModeOf: a Signal set in code wins over the variable, both ways; the
// zero value (and a value beyond the known ones) reads the variable.
func TestModeOf(t *testing.T) {
	for _, env := range []string{"", "logs", "logs/dup", "bogus"} {
		t.Setenv(exception.EnvSignalOptIn, env)
		for s, want := range map[otelkit.ExceptionSignal]exception.Mode{
			otelkit.ExceptionEvents:        exception.Events,
			otelkit.ExceptionLogs:          exception.Logs,
			otelkit.ExceptionLogsDup:       exception.LogsDup,
			otelkit.ExceptionSignalFromEnv: exception.FromEnv(),
			otelkit.ExceptionLogsDup + 1:   exception.FromEnv(),
		} {
			r := exception.Recorder{Kind: exception.DBClient}.WithSignal(s)
			if got := r.Mode(); got != want {
				t.Errorf("env %q, signal %v: mode %d, want %d", env, s, got, want)
			}
		}
	}
}
