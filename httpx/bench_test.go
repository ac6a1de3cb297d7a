package httpx

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/semconv"
)

// discardWriter is a reusable http.ResponseWriter, so that the benchmarks
// measure the instrumentation rather than a recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

var benchBody = []byte(strings.Repeat("k", 1024))

// benchProviders returns providers with no exporter: the cost measured is
// the instrumentation's, not an exporter's.
func benchProviders(b *testing.B, sampler sdktrace.Sampler) (*sdktrace.TracerProvider, *sdkmetric.MeterProvider) {
	b.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return tp, mp
}

func benchMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/users/{username}/messages", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(benchBody)
	})
	return mux
}

// benchSamplers are the two cases of every benchmark: the SDK sampling
// everything and nothing.
var benchSamplers = []struct {
	name string
	s    sdktrace.Sampler
}{{"sampled", sdktrace.AlwaysSample()}, {"unsampled", sdktrace.NeverSample()}}

// withBenchKeys returns h setting, after it returns, the keys that httpx adds
// to BenchmarkHandler's request, precomputed: otelhttp with them
// (impl=otelhttp-keys) is what the spec's keys alone cost the SDK, the floor
// of httpx over otelhttp.
func withBenchKeys(h http.Handler) http.Handler {
	keys := []attribute.KeyValue{
		semconv.HTTPRouteKey.String("/admin/users/{username}/messages"),
		semconv.HTTPMethodKey.String("GET"),
		semconv.HTTPURLKey.String("http://localhost:5000/admin/users/alice/messages"),
		semconv.HTTPStatusCodeKey.Int(200),
		semconv.HTTPUserAgentKey.String(userAgent),
		semconv.HTTPRequestContentLengthKey.Int64(0),
		semconv.HTTPResponseContentLengthKey.Int64(int64(len(benchBody))),
		semconv.FlaskRouteKey.String("/admin/users/{username}/messages"),
		semconv.FlaskURLRuleKey.String("/admin/users/{username}/messages"),
		semconv.FlaskEndpointKey.String("get_admin_users_username_messages"),
		semconv.FlaskViewArgsKey.String(`{"username":"alice"}`),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		trace.SpanFromContext(r.Context()).SetAttributes(keys...)
	})
}

// benchImpl is one implementation that a benchmark measures, with the
// operation that one iteration runs.
type benchImpl struct {
	name string
	op   func()
}

// benchHandlers returns BenchmarkHandler's implementations, the peer
// (otelhttp) first and bare last, each serving the same request.
func benchHandlers(tp *sdktrace.TracerProvider, mp *sdkmetric.MeterProvider) []benchImpl {
	prop := propagation.TraceContext{}
	w := &discardWriter{h: http.Header{}}
	r, _ := http.NewRequest("GET", "http://localhost:5000/admin/users/alice/messages", nil)
	r.Header.Set("User-Agent", userAgent)
	r.RemoteAddr = "127.0.0.1:40000"
	serve := func(h http.Handler) func() { return func() { h.ServeHTTP(w, r) } }
	return []benchImpl{
		{"otelhttp", serve(otelhttp.NewHandler(benchMux(), "",
			otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop)))},
		{"httpx", serve(NewHandler(benchMux(),
			WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop)))},
		{"otelhttp-keys", serve(otelhttp.NewHandler(withBenchKeys(benchMux()), "",
			otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop)))},
		{"bare", serve(benchMux())},
	}
}

// BenchmarkHandler compares a routed handler bare, under bare otelhttp and
// under httpx, with the SDK sampling everything and nothing.
func BenchmarkHandler(b *testing.B) {
	for _, sm := range benchSamplers {
		tp, mp := benchProviders(b, sm.s)
		runImpls(b, "sampling="+sm.name, benchHandlers(tp, mp))
	}
}

// runImpls runs each implementation as a sub-benchmark of its own,
// prefix/impl=NAME.
func runImpls(b *testing.B, prefix string, impls []benchImpl) {
	for _, impl := range impls {
		b.Run(prefix+"/impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				impl.op()
			}
		})
	}
}

// BenchmarkHandlerQuery is BenchmarkHandler's sampled httpx case with a
// query string, which http.url redacts.
func BenchmarkHandlerQuery(b *testing.B) {
	tp, mp := benchProviders(b, sdktrace.AlwaysSample())
	h := NewHandler(benchMux(), WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(propagation.TraceContext{}))
	for _, q := range []string{"page=2&sort=asc&limit=20", "page=2&access_token=abc"} {
		b.Run("query="+q, func(b *testing.B) {
			w := &discardWriter{h: http.Header{}}
			r, _ := http.NewRequest("GET", "http://localhost:5000/admin/users/alice/messages?"+q, nil)
			r.Header.Set("User-Agent", userAgent)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}
}

// fakeRT answers every request with a canned 512-byte response.
type fakeRT struct{}

func (fakeRT) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, ContentLength: 512, Request: r,
		Body: io.NopCloser(strings.NewReader(string(benchBody[:512]))),
	}, nil
}

// benchKeysRT sets, after its base's round trip, the keys that httpx adds
// to BenchmarkTransport's round trip, precomputed: otelhttp around it
// (impl=otelhttp-keys) is what the spec's keys alone cost the SDK, set by
// hand.
type benchKeysRT struct{ base http.RoundTripper }

var benchClientKeys = []attribute.KeyValue{
	semconv.HTTPMethodKey.String("GET"),
	semconv.HTTPURLKey.String("http://external-api:443/api/data"),
	semconv.HTTPRequestContentLengthKey.Int64(0),
	semconv.HTTPStatusCodeKey.Int(200),
	semconv.HTTPResponseContentLengthKey.Int64(512),
}

func (k benchKeysRT) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := k.base.RoundTrip(r)
	trace.SpanFromContext(r.Context()).SetAttributes(benchClientKeys...)
	return res, err
}

// benchTransports returns BenchmarkTransport's implementations, the peer
// (otelhttp) first and bare last, each making the same round trip, in a
// span of ctx.
func benchTransports(tb testing.TB, ctx context.Context, tp *sdktrace.TracerProvider, mp *sdkmetric.MeterProvider) []benchImpl {
	prop := propagation.TraceContext{}
	r, _ := http.NewRequestWithContext(ctx, "GET", "http://external-api:443/api/data", nil)
	roundTrip := func(rt http.RoundTripper) func() {
		return func() {
			res, err := rt.RoundTrip(r)
			if err != nil {
				tb.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
		}
	}
	return []benchImpl{
		{"otelhttp", roundTrip(otelhttp.NewTransport(fakeRT{},
			otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop)))},
		{"httpx", roundTrip(NewTransport(fakeRT{},
			WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop)))},
		{"otelhttp-keys", roundTrip(otelhttp.NewTransport(benchKeysRT{fakeRT{}},
			otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop)))},
		{"bare", roundTrip(fakeRT{})},
	}
}

// BenchmarkTransport compares a round trip bare, under bare otelhttp and
// under httpx, with the SDK sampling everything and nothing.
func BenchmarkTransport(b *testing.B) {
	for _, sm := range benchSamplers {
		tp, mp := benchProviders(b, sm.s)
		ctx, parent := tp.Tracer("bench").Start(context.Background(), "parent")
		runImpls(b, "sampling="+sm.name, benchTransports(b, ctx, tp, mp))
		parent.End()
	}
}

// pairedTurn is the number of operations that the paired benchmarks run of
// one implementation before turning to the next.
const pairedTurn = 128

// runPaired runs ops in turns of pairedTurn operations each, b.N operations
// of each in all, the first of a turn going round, and reports each one's
// time per operation (ns/NAME) and its ratio to the first one's
// (NAME/FIRST). Turns a few milliseconds apart see the same machine, so the
// ratios hold where the machine's speed drifts between separate runs by
// more than the difference measured (a shared VM: ±10 % seen). The
// garbage one leaves may be collected in another's turn; over many turns
// each pays for about its share.
func runPaired(b *testing.B, impls []benchImpl) {
	total := make([]time.Duration, len(impls))
	for turn, done := 0, 0; done < b.N; turn++ {
		k := min(pairedTurn, b.N-done)
		for j := range impls {
			i := (turn + j) % len(impls)
			op := impls[i].op
			t0 := time.Now()
			for range k {
				op()
			}
			total[i] += time.Since(t0)
		}
		done += k
	}
	for i, impl := range impls {
		b.ReportMetric(float64(total[i].Nanoseconds())/float64(b.N), "ns/"+impl.name)
		if i > 0 {
			b.ReportMetric(float64(total[i])/float64(total[0]), impl.name+"/"+impls[0].name)
		}
	}
}

// BenchmarkHandlerPaired is BenchmarkHandler's otelhttp, httpx and
// otelhttp-keys in one process, in turns (runPaired).
func BenchmarkHandlerPaired(b *testing.B) {
	for _, sm := range benchSamplers {
		tp, mp := benchProviders(b, sm.s)
		impls := benchHandlers(tp, mp)
		b.Run("sampling="+sm.name, func(b *testing.B) { runPaired(b, impls[:3]) })
	}
}

// BenchmarkTransportPaired is BenchmarkTransport's otelhttp, httpx and
// otelhttp-keys in one process, in turns (runPaired).
func BenchmarkTransportPaired(b *testing.B) {
	for _, sm := range benchSamplers {
		tp, mp := benchProviders(b, sm.s)
		ctx, parent := tp.Tracer("bench").Start(context.Background(), "parent")
		b.Run("sampling="+sm.name, func(b *testing.B) { runPaired(b, benchTransports(b, ctx, tp, mp)[:3]) })
		parent.End()
	}
}

// TestRunPairedMetrics checks the metrics that the paired benchmarks
// report, which the cost table reads (internal/itest/cmd/benchtable): a
// time per operation of each implementation and the ratio of each to the
// first, and that every operation runs b.N times.
func TestRunPairedMetrics(t *testing.T) {
	var na, nb int
	res := testing.Benchmark(func(b *testing.B) {
		na, nb = 0, 0
		runPaired(b, []benchImpl{{"a", func() { na++ }}, {"b", func() { nb++ }}})
		if na != b.N || nb != b.N {
			t.Errorf("b.N = %d, ran %d and %d", b.N, na, nb)
		}
	})
	for _, k := range []string{"ns/a", "ns/b", "b/a"} {
		if _, ok := res.Extra[k]; !ok {
			t.Errorf("no metric %q in %v", k, res.Extra)
		}
	}
	if _, ok := res.Extra["a/a"]; ok {
		t.Error("the first implementation has a ratio to itself")
	}
}
