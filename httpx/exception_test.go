package httpx

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/internal/exception"
	"github.com/otelkit/otelkit/internal/exception/exceptiontest"
)

var exceptionModes = []string{"", "logs", "logs/dup"}

// TestPanicExceptionSignal: a handler's panic under each value of
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN: the span event, the log record
// (http.server.request.exception, ERROR, with the stack trace and the
// span's ids), or both.
func TestPanicExceptionSignal(t *testing.T) {
	for _, mode := range exceptionModes {
		t.Run(mode, func(t *testing.T) {
			sink := exceptiontest.Capture(t, mode)
			f := newFixture(t, sdktrace.AlwaysSample())
			mux := NewServeMux(f.opts(WithPanicResponse(true))...)
			mux.HandleFunc("GET /boom", boom)
			mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
			s := f.only(t)
			exceptiontest.Check(t, mode, s.Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.HTTPServer, Scope: otelhttp.ScopeName,
				Type: "*fmt.wrapError", Message: "db down: unsupported operation", Stack: true,
			})
			if recs := sink.Records(); len(recs) == 1 && recs[0].InstrumentationScope().Version != otelhttp.Version {
				t.Errorf("scope version %q", recs[0].InstrumentationScope().Version)
			}
		})
	}
}

// TestClientErrorExceptionSignal: a refused connection, then a body that
// times out, under each value: http.client.request.exception at WARN.
func TestClientErrorExceptionSignal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/api/data"
	_ = l.Close()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		<-release
	}))
	defer srv.Close()
	defer close(release)
	for _, mode := range exceptionModes {
		t.Run(mode, func(t *testing.T) {
			for _, c := range []struct {
				url, typ, msg string
			}{
				{closed, "*net.OpError", "refused"},
				{srv.URL + "/slow", "", ""}, // the body read times out (the text varies)
			} {
				sink := exceptiontest.Capture(t, mode)
				f := newFixture(t, sdktrace.AlwaysSample())
				cl := Client(f.opts()...)
				cl.Timeout = 100 * time.Millisecond
				if _, err := call(t, f, cl, "GET", c.url, nil); err == nil {
					t.Fatalf("%s: no error", c.url)
				}
				exceptiontest.Check(t, mode, clientSpan(t, f).Snapshot(), sink.Records(), exceptiontest.Want{
					Kind: exception.HTTPClient, Scope: otelhttp.ScopeName, Type: c.typ, Message: c.msg,
				})
			}
		})
	}
}

// TestExceptionSignalOption: a handler's panic and a refused client request
// follow WithExceptionSignal, not OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN.
func TestExceptionSignalOption(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/api/data"
	_ = l.Close()
	for _, c := range exceptiontest.OptionCases {
		t.Run(c.Name, func(t *testing.T) {
			sink := exceptiontest.Capture(t, c.Env)
			f := newFixture(t, sdktrace.AlwaysSample())
			mux := NewServeMux(f.opts(WithPanicResponse(true), WithExceptionSignal(c.Opt))...)
			mux.HandleFunc("GET /boom", boom)
			mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
			exceptiontest.Check(t, c.Want, f.only(t).Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.HTTPServer, Scope: otelhttp.ScopeName,
				Type: "*fmt.wrapError", Message: "db down: unsupported operation", Stack: true,
			})

			sink = exceptiontest.Capture(t, c.Env)
			f = newFixture(t, sdktrace.AlwaysSample())
			cl := Client(f.opts(WithExceptionSignal(c.Opt))...)
			if _, err := call(t, f, cl, "GET", closed, nil); err == nil {
				t.Fatal("no error")
			}
			exceptiontest.Check(t, c.Want, clientSpan(t, f).Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.HTTPClient, Scope: otelhttp.ScopeName, Type: "*net.OpError", Message: "refused",
			})
		})
	}
}
