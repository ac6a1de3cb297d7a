package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TestStateContext: the span's state, which is the request's context under
// a recording span, behaves as the context it wraps: the span, the
// cancellation and the deadline of the parent reach the handler, and a
// context.WithCancel of it joins the parent's cancelCtx (no goroutine to
// watch it, as with the standard contexts).
func TestStateContext(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	parent, cancel := context.WithCancel(context.Background())
	var inHandler context.Context
	var spanOK bool
	var extra int
	h := NewHandler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		inHandler = r.Context()
		spanOK = trace.SpanFromContext(r.Context()).SpanContext().IsValid()
		before := runtime.NumGoroutine()
		c, stop := context.WithCancel(r.Context())
		extra = runtime.NumGoroutine() - before
		stop()
		<-c.Done()
	}), f.opts()...)
	r := httptest.NewRequest("GET", "/x", nil).WithContext(parent)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !spanOK {
		t.Error("no valid span in the handler's context")
	}
	if extra != 0 {
		t.Errorf("context.WithCancel of the handler's context started %d goroutines", extra)
	}
	cancel()
	select {
	case <-inHandler.Done():
	default:
		t.Error("the handler's context is not cancelled with its parent")
	}
	if _, ok := inHandler.(*serverState); !ok {
		t.Logf("handler's context is %T (not the state: reqinfo or a foreign tracer)", inHandler)
	}
}
