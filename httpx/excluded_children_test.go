package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// inUnsampledTraceparent is inTraceparent with the sampled flag off.
const inUnsampledTraceparent = "00-" + inTraceID + "-00f067aa0ba902b7-00"

// TestExcludedChildrenDoNotRecord: the rule of an excluded server request
// is that of an unsampled one without its server span: under a sampled
// incoming traceparent and a parent-based sampler, the spans the handler
// starts (its own and an httpx client call's) record nothing, and the
// downstream call carries the incoming trace, not sampled; the same
// incoming traceparent on a path not excluded gives recording children.
func TestExcludedChildrenDoNotRecord(t *testing.T) {
	t.Setenv(envExcludedGo, "/healthz")
	f := newExclFixture(t)
	d := newDownstream(t)
	client := &http.Client{Transport: NewTransport(nil, f.opts()...)}
	var recording []bool
	mux := NewServeMux(f.opts()...)
	handler := func(w http.ResponseWriter, r *http.Request) {
		ctx, child := f.tp.Tracer("app").Start(r.Context(), "child")
		recording = append(recording, child.IsRecording())
		req, _ := http.NewRequestWithContext(ctx, "GET", d.srv.URL+"/x", nil)
		res, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		res.Body.Close()
		child.End()
	}
	mux.HandleFunc("GET /healthz", handler)
	mux.HandleFunc("GET /work", handler)

	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("traceparent", inTraceparent)
	mux.ServeHTTP(httptest.NewRecorder(), req)
	if spans := f.exp.GetSpans(); len(spans) != 0 {
		t.Errorf("excluded request made spans %v", names(spans))
	}
	if len(recording) != 1 || recording[0] {
		t.Errorf("child recording = %v under an excluded request, want false", recording)
	}
	got := d.last(t)
	if !strings.HasPrefix(got, "00-"+inTraceID+"-") || !strings.HasSuffix(got, "-00") || strings.Contains(got, "00f067aa0ba902b7") {
		t.Errorf("downstream traceparent %q, want trace %s, a span of its own, not sampled", got, inTraceID)
	}

	req = httptest.NewRequest("GET", "/work", nil)
	req.Header.Set("traceparent", inTraceparent)
	mux.ServeHTTP(httptest.NewRecorder(), req)
	if n := len(f.exp.GetSpans()); n != 3 {
		t.Errorf("/work: %d spans, want 3 (server, child, client)", n)
	}
	if got := d.last(t); !strings.HasSuffix(got, "-01") {
		t.Errorf("/work: downstream traceparent %q, want sampled", got)
	}
}

// BenchmarkExcludedUnderSampledParent compares, with the parent-based
// sampler a real process has, a request that the variable excludes and
// that arrives with a sampled traceparent against the same request
// arriving unsampled (traceparent flag 00): the handler starts a child
// span and makes an httpx client call. An excluded request must cost no
// more than the unsampled one (allocations exact).
func BenchmarkExcludedUnderSampledParent(b *testing.B) {
	tp, mp := benchProviders(b, sdktrace.ParentBased(sdktrace.AlwaysSample()))
	prop := propagation.TraceContext{}
	for _, c := range []struct {
		name, env, traceparent string
	}{{"unsampled", "", inUnsampledTraceparent}, {"excluded", "/admin/users/", inTraceparent}} {
		b.Run(c.name, func(b *testing.B) {
			b.Setenv(envExcludedGo, c.env)
			client := &http.Client{Transport: NewTransport(fakeRT{}, WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop))}
			tracer := tp.Tracer("app")
			mux := http.NewServeMux()
			mux.HandleFunc("GET /admin/users/{username}/messages", func(w http.ResponseWriter, r *http.Request) {
				ctx, child := tracer.Start(r.Context(), "child", trace.WithSpanKind(trace.SpanKindInternal))
				req, _ := http.NewRequestWithContext(ctx, "GET", "http://h/x", nil)
				if res, err := client.Do(req); err == nil {
					_ = res.Body.Close()
				}
				child.End()
			})
			h := NewHandler(mux, WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop))
			req, _ := http.NewRequest("GET", "/admin/users/alice/messages", nil)
			req.Header.Set("traceparent", c.traceparent)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				h.ServeHTTP(w, req)
			}
		})
	}
}
