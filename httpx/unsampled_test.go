package httpx

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
)

// spanCalls counts what instrumentation asks of the spans of a
// countingProvider: calls per method and attributes handed over.
type spanCalls struct {
	mu    sync.Mutex
	calls map[string]int
	attrs int
}

func (c *spanCalls) add(method string, attrs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[method]++
	c.attrs += attrs
}

func (c *spanCalls) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("%v, %d attributes", c.calls, c.attrs)
}

// countingProvider is a TracerProvider (API only, no SDK) whose spans
// record or not as it says, and count every call made on them, so that a
// test sees what a wrapper does with a span that does not record: the SDK's
// non-recording span drops everything silently.
type countingProvider struct {
	embedded.TracerProvider
	recording bool
	calls     spanCalls
}

func (p *countingProvider) Tracer(string, ...trace.TracerOption) trace.Tracer {
	return countingTracer{p: p}
}

type countingTracer struct {
	embedded.Tracer
	p *countingProvider
}

func (t countingTracer) Start(ctx context.Context, _ string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	t.p.calls.add("Start", len(cfg.Attributes()))
	s := countingSpan{p: t.p}
	return trace.ContextWithSpan(ctx, s), s
}

type countingSpan struct {
	noop.Span
	p *countingProvider
}

func (s countingSpan) IsRecording() bool { return s.p.recording }
func (s countingSpan) SetAttributes(kv ...attribute.KeyValue) {
	s.p.calls.add("SetAttributes", len(kv))
}
func (s countingSpan) SetName(string) { s.p.calls.add("SetName", 0) }
func (s countingSpan) SetStatus(codes.Code, string) {
	s.p.calls.add("SetStatus", 0)
}
func (s countingSpan) AddEvent(string, ...trace.EventOption) {
	s.p.calls.add("AddEvent", 0)
}
func (s countingSpan) RecordError(error, ...trace.EventOption) {
	s.p.calls.add("RecordError", 0)
}
func (s countingSpan) AddLink(trace.Link)         { s.p.calls.add("AddLink", 0) }
func (s countingSpan) End(...trace.SpanEndOption) { s.p.calls.add("End", 0) }
func (s countingSpan) TracerProvider() trace.TracerProvider {
	return s.p
}

// httptest404 is a request that no route matches.
func httptest404() *http.Request {
	r, _ := http.NewRequest("GET", "http://localhost:5000/nowhere?password=x", nil)
	return r
}

// TestServerUnsampledAddsNothing proves what the package documentation
// says of a request that is not sampled: httpx builds no attribute, calls
// nothing on the span beyond what otelhttp does, does not wrap the writer
// and allocates nothing. Each claim is checked against bare otelhttp under
// the same providers, and the same test with recording spans is the
// control that shows it can fail.
func TestServerUnsampledAddsNothing(t *testing.T) {
	mp := metricnoop.NewMeterProvider()
	prop := propagation.TraceContext{}
	run := func(recording bool, build func(tp trace.TracerProvider, next http.Handler) http.Handler) (string, []string) {
		tp := &countingProvider{recording: recording}
		var types []string
		mux := http.NewServeMux()
		for _, e := range endpoints {
			mux.HandleFunc(e.pattern, func(w http.ResponseWriter, r *http.Request) {
				types = append(types, fmt.Sprintf("%T", w))
				e.handler(w, r)
			})
		}
		h := build(tp, mux)
		for _, e := range endpoints {
			q := "?token=x"
			if strings.Contains(e.path, "?") {
				q = "&token=x"
			}
			r, _ := http.NewRequest(e.method, "http://u:p@localhost:5000"+e.path+q, strings.NewReader(e.body))
			r.Header.Set("User-Agent", userAgent)
			w := newPlainWriter()
			h.ServeHTTP(w, r)
			if w.code != e.status || w.body.Len() != e.respLen {
				t.Errorf("%s: response %d, %d bytes, want %d, %d bytes", e.path, w.code, w.body.Len(), e.status, e.respLen)
			}
		}
		h.ServeHTTP(newPlainWriter(), httptest404())
		return tp.calls.String(), types
	}
	otel := func(tp trace.TracerProvider, next http.Handler) http.Handler {
		return otelhttp.NewHandler(next, "", otelhttp.WithTracerProvider(tp),
			otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop))
	}
	ours := func(tp trace.TracerProvider, next http.Handler) http.Handler {
		return NewHandler(next, WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop))
	}

	wantCalls, wantTypes := run(false, otel)
	gotCalls, gotTypes := run(false, ours)
	if gotCalls != wantCalls {
		t.Errorf("unsampled: httpx asks of the span %s; otelhttp alone %s", gotCalls, wantCalls)
	}
	if fmt.Sprint(gotTypes) != fmt.Sprint(wantTypes) {
		t.Errorf("unsampled: handlers got writers %v; under otelhttp alone %v", gotTypes, wantTypes)
	}
	// The control: with recording spans httpx adds its keys, names the span
	// and wraps the writer, so the comparison above can fail.
	recCalls, recTypes := run(true, ours)
	otelRecCalls, _ := run(true, otel)
	if recCalls == otelRecCalls || fmt.Sprint(recTypes) == fmt.Sprint(wantTypes) {
		t.Errorf("recording: httpx %s, writers %v; otelhttp %s: the unsampled check proves nothing",
			recCalls, recTypes, otelRecCalls)
	}

	// Allocations, with the SDK and a sampler that drops everything.
	if raceEnabled {
		return
	}
	f := newFixture(t, sdktrace.NeverSample())
	allocs := func(h http.Handler) float64 {
		w := &discardWriter{h: http.Header{}}
		r, _ := http.NewRequest("GET", "http://localhost:5000/admin/users/alice/messages?token=x", nil)
		r.Header.Set("User-Agent", userAgent)
		h.ServeHTTP(w, r) // warm the caches
		return testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) })
	}
	bare := allocs(otelhttp.NewHandler(benchMux(), "", otelhttp.WithTracerProvider(f.tp),
		otelhttp.WithMeterProvider(f.mp), otelhttp.WithPropagators(prop)))
	got := allocs(NewHandler(benchMux(), WithTracerProvider(f.tp), WithMeterProvider(f.mp), WithPropagators(prop)))
	// No more than otelhttp alone (one fewer: httpx's span name formatter
	// returns the route's cached name, which otelhttp's builds per request).
	if got > bare {
		t.Errorf("unsampled: httpx %v allocations per request, otelhttp alone %v", got, bare)
	}
	withRecover := allocs(NewHandler(benchMux(), WithTracerProvider(f.tp), WithMeterProvider(f.mp),
		WithPropagators(prop), WithPanicResponse(true)))
	if withRecover > bare {
		t.Errorf("unsampled, WithPanicResponse(true): httpx %v allocations per request, otelhttp alone %v", withRecover, bare)
	}
	if testing.Verbose() {
		t.Logf("unsampled: %s; recording: httpx %s, otelhttp %s; %v allocations", gotCalls, recCalls, otelRecCalls, got)
	}
}

// TestClientUnsampledAddsNothing is the same for the client: no attribute
// built, nothing asked of the span beyond otelhttp's calls, no allocation
// (so no body wrapper).
func TestClientUnsampledAddsNothing(t *testing.T) {
	mp := metricnoop.NewMeterProvider()
	prop := propagation.TraceContext{}
	run := func(recording bool, build func(tp trace.TracerProvider) http.RoundTripper) string {
		tp := &countingProvider{recording: recording}
		rt := build(tp)
		for _, u := range []string{"http://u:p@external-api/api/data?token=x", "http://external-api/"} {
			r, _ := http.NewRequest("GET", u, nil)
			res, err := rt.RoundTrip(r)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
		}
		return tp.calls.String()
	}
	otel := func(tp trace.TracerProvider) http.RoundTripper {
		return otelhttp.NewTransport(fakeRT{}, otelhttp.WithTracerProvider(tp),
			otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop))
	}
	ours := func(tp trace.TracerProvider) http.RoundTripper {
		return NewTransport(fakeRT{}, WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop))
	}
	wantCalls := run(false, otel)
	gotCalls := run(false, ours)
	if gotCalls != wantCalls {
		t.Errorf("unsampled: httpx asks of the span %s; otelhttp alone %s", gotCalls, wantCalls)
	}
	recCalls, otelRecCalls := run(true, ours), run(true, otel)
	if recCalls == otelRecCalls {
		t.Errorf("recording: httpx %s, otelhttp %s: the unsampled check proves nothing", recCalls, otelRecCalls)
	}

	if raceEnabled {
		return
	}
	f := newFixture(t, sdktrace.NeverSample())
	allocs := func(rt http.RoundTripper) float64 {
		ctx, parent := f.tp.Tracer("t").Start(context.Background(), "parent")
		defer parent.End()
		r, _ := http.NewRequestWithContext(ctx, "GET", "http://external-api/api/data?token=x", nil)
		call := func() {
			res, err := rt.RoundTrip(r)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
		}
		call()
		return testing.AllocsPerRun(200, call)
	}
	bare := allocs(otelhttp.NewTransport(fakeRT{}, otelhttp.WithTracerProvider(f.tp),
		otelhttp.WithMeterProvider(f.mp), otelhttp.WithPropagators(prop)))
	got := allocs(NewTransport(fakeRT{}, WithTracerProvider(f.tp), WithMeterProvider(f.mp), WithPropagators(prop)))
	if got > bare { // fewer: httpx's client span names are built once
		t.Errorf("unsampled: httpx %v allocations per round trip, otelhttp alone %v", got, bare)
	}
}
