package sqlx

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit/internal/exception"
	"github.com/otelkit/otelkit/internal/exception/exceptiontest"
)

var exceptionModes = []string{"", "logs", "logs/dup"}

// otelsqlScope is the instrumentation scope of otelsql's spans.
const otelsqlScope = "github.com/XSAM/otelsql"

// noMarkerInLogs fails when a log record holds secret.
func noMarkerInLogs(t *testing.T, recs []sdklog.Record, secret string) {
	t.Helper()
	for _, r := range recs {
		var b strings.Builder
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			fmt.Fprintf(&b, "%s=%s ", kv.Key, kv.Value.String())
			return true
		})
		if strings.Contains(b.String()+r.Body().String(), secret) {
			t.Errorf("log record shows %q: %s", secret, b.String())
		}
	}
}

// TestStatementExceptionSignal: a failing statement under each value of
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, with an error whose text echoes a
// bound argument (masked: the log record carries the masked string of the
// span event) and with a plain one (the SDK's own event).
func TestStatementExceptionSignal(t *testing.T) {
	const secret = "Qx7ArgValue"
	for _, mode := range exceptionModes {
		t.Run(mode, func(t *testing.T) {
			for _, c := range []struct {
				name string
				conn driver.Connector
				typ  string
				msg  string
			}{
				{"masked", echoConnector{}, "*errors.errorString", "Duplicate entry '?'"},
				{"plain", plainErrConnector{}, "*errors.errorString", "driver: bad connection"},
			} {
				sink := exceptiontest.Capture(t, mode)
				exp := tracetest.NewInMemoryExporter()
				tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
				db := OpenDB(c.conn, WithTracerProvider(tp), WithSystem("mysql"))
				if _, err := db.ExecContext(context.Background(), "INSERT INTO t VALUES (?)", secret); err == nil {
					t.Fatalf("%s: exec succeeded", c.name)
				}
				_ = db.Close()
				spans := exp.GetSpans()
				if len(spans) != 1 {
					t.Fatalf("%s: %d spans", c.name, len(spans))
				}
				got := exceptiontest.Check(t, mode, spans[0].Snapshot(), sink.Records(), exceptiontest.Want{
					Kind: exception.DBClient, Scope: ScopeName, Type: c.typ, Message: c.msg,
				})
				if got != spans[0].Status.Description {
					t.Errorf("%s: exception.message %q, status %q: not the same masked text", c.name, got, spans[0].Status.Description)
				}
				noMarker(t, spans, secret)
				noMarkerInLogs(t, sink.Records(), secret)
			}
		})
	}
}

// prepErrConnector's statements fail to prepare with a plain error, which
// otelsql records on its prepare span itself.
type prepErrConnector struct{}

func (prepErrConnector) Connect(context.Context) (driver.Conn, error) { return prepErrConn{}, nil }
func (prepErrConnector) Driver() driver.Driver                        { return execDriver{} }

type prepErrConn struct{ execConn }

func (prepErrConn) Prepare(string) (driver.Stmt, error) { return nil, errPlain }

// TestOtelsqlExceptionSignal: the error otelsql records on its own span
// (span.RecordError) follows the variable too: no span event in logs mode,
// a log record under otelsql's scope with the span's ids.
func TestOtelsqlExceptionSignal(t *testing.T) {
	for _, mode := range exceptionModes {
		t.Run(mode, func(t *testing.T) {
			sink := exceptiontest.Capture(t, mode)
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			db := OpenDB(prepErrConnector{}, WithTracerProvider(tp), WithSystem("mysql"), WithExtraSpans(ExtraPrepare))
			defer db.Close()
			if _, err := db.PrepareContext(context.Background(), "SELECT 1"); err == nil {
				t.Fatal("prepare succeeded")
			}
			var prep []tracetest.SpanStub
			for _, s := range exp.GetSpans() {
				if s.InstrumentationScope.Name == otelsqlScope {
					prep = append(prep, s)
				}
			}
			if len(prep) != 1 {
				t.Fatalf("%d otelsql spans, want the prepare span: %v", len(prep), exp.GetSpans())
			}
			if prep[0].Status.Code != 1 { // codes.Error
				t.Errorf("prepare span status %v, want Error", prep[0].Status)
			}
			exceptiontest.Check(t, mode, prep[0].Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.DBClient, Scope: otelsqlScope, Type: "*errors.errorString", Message: "driver: bad connection",
			})
		})
	}
}

// TestErrorTextScrubbedInLogs runs TestErrorTextScrubbed (every failing
// path: exec, query, rows, prepare, otelsql's prepare span) with exceptions
// on both signals: no log record shows the bound argument either.
func TestErrorTextScrubbedInLogs(t *testing.T) {
	sink := exceptiontest.Capture(t, "logs/dup")
	TestErrorTextScrubbed(t)
	recs := sink.Records()
	if len(recs) < 4 {
		t.Fatalf("%d log records, want one per failure", len(recs))
	}
	noMarkerInLogs(t, recs, "Qx7ArgValue")
}

// TestExceptionSignalOption: WithExceptionSignal wins over
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN in both directions, for sqlx's
// statement span and for otelsql's prepare span beneath; its zero value
// leaves the variable in charge. want is the mode the exceptions follow.
func TestExceptionSignalOption(t *testing.T) {
	for _, c := range exceptiontest.OptionCases {
		t.Run(c.Name, func(t *testing.T) {
			sink := exceptiontest.Capture(t, c.Env)
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			db := OpenDB(plainErrConnector{}, WithTracerProvider(tp), WithSystem("mysql"), WithExceptionSignal(c.Opt))
			if _, err := db.ExecContext(context.Background(), "INSERT INTO t VALUES (?)", 1); err == nil {
				t.Fatal("exec succeeded")
			}
			_ = db.Close()
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			exceptiontest.Check(t, c.Want, spans[0].Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.DBClient, Scope: ScopeName, Type: "*errors.errorString", Message: "driver: bad connection",
			})

			sink = exceptiontest.Capture(t, c.Env)
			exp = tracetest.NewInMemoryExporter()
			tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			db = OpenDB(prepErrConnector{}, WithTracerProvider(tp), WithSystem("mysql"), WithExtraSpans(ExtraPrepare), WithExceptionSignal(c.Opt))
			defer db.Close()
			if _, err := db.PrepareContext(context.Background(), "SELECT 1"); err == nil {
				t.Fatal("prepare succeeded")
			}
			var prep []tracetest.SpanStub
			for _, s := range exp.GetSpans() {
				if s.InstrumentationScope.Name == otelsqlScope {
					prep = append(prep, s)
				}
			}
			if len(prep) != 1 {
				t.Fatalf("%d otelsql spans, want the prepare span: %v", len(prep), exp.GetSpans())
			}
			exceptiontest.Check(t, c.Want, prep[0].Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.DBClient, Scope: otelsqlScope, Type: "*errors.errorString", Message: "driver: bad connection",
			})
		})
	}
}
