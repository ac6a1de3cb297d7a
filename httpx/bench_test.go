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

// BenchmarkHandler compares a routed handler bare, under bare otelhttp and
// under httpx, with the SDK sampling everything and nothing.
func BenchmarkHandler(b *testing.B) {
	for _, sm := range benchSamplers {
		tp, mp := benchProviders(b, sm.s)
		prop := propagation.TraceContext{}
		handlers := []struct {
			name string
			h    http.Handler
		}{
			{"otelhttp", otelhttp.NewHandler(benchMux(), "",
				otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop))},
			{"httpx", NewHandler(benchMux(),
				WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop))},
			{"otelhttp-keys", otelhttp.NewHandler(withBenchKeys(benchMux()), "",
				otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop))},
			{"bare", benchMux()},
		}
		for _, h := range handlers {
			b.Run("sampling="+sm.name+"/impl="+h.name, func(b *testing.B) {
				w := &discardWriter{h: http.Header{}}
				r, _ := http.NewRequest("GET", "http://localhost:5000/admin/users/alice/messages", nil)
				r.Header.Set("User-Agent", userAgent)
				r.RemoteAddr = "127.0.0.1:40000"
				b.ReportAllocs()
				for b.Loop() {
					h.h.ServeHTTP(w, r)
				}
			})
		}
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

// BenchmarkTransport compares a round trip bare, under bare otelhttp and
// under httpx, with the SDK sampling everything and nothing.
func BenchmarkTransport(b *testing.B) {
	for _, sm := range benchSamplers {
		tp, mp := benchProviders(b, sm.s)
		prop := propagation.TraceContext{}
		rts := []struct {
			name string
			rt   http.RoundTripper
		}{
			{"otelhttp", otelhttp.NewTransport(fakeRT{},
				otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop))},
			{"httpx", NewTransport(fakeRT{},
				WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop))},
			{"otelhttp-keys", otelhttp.NewTransport(benchKeysRT{fakeRT{}},
				otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop))},
			{"bare", fakeRT{}},
		}
		for _, rt := range rts {
			b.Run("sampling="+sm.name+"/impl="+rt.name, func(b *testing.B) {
				ctx, parent := tp.Tracer("bench").Start(context.Background(), "parent")
				defer parent.End()
				r, _ := http.NewRequestWithContext(ctx, "GET", "http://external-api:443/api/data", nil)
				b.ReportAllocs()
				for b.Loop() {
					res, err := rt.rt.RoundTrip(r)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, res.Body)
					_ = res.Body.Close()
				}
			})
		}
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
func runPaired(b *testing.B, names []string, ops []func()) {
	total := make([]time.Duration, len(ops))
	for turn, done := 0, 0; done < b.N; turn++ {
		k := min(pairedTurn, b.N-done)
		for j := range ops {
			i := (turn + j) % len(ops)
			t0 := time.Now()
			for range k {
				ops[i]()
			}
			total[i] += time.Since(t0)
		}
		done += k
	}
	for i, name := range names {
		b.ReportMetric(float64(total[i].Nanoseconds())/float64(b.N), "ns/"+name)
		if i > 0 {
			b.ReportMetric(float64(total[i])/float64(total[0]), name+"/"+names[0])
		}
	}
}

// BenchmarkHandlerPaired is BenchmarkHandler's otelhttp, httpx and
// otelhttp-keys in one process, in turns (runPaired).
func BenchmarkHandlerPaired(b *testing.B) {
	for _, sm := range benchSamplers {
		tp, mp := benchProviders(b, sm.s)
		prop := propagation.TraceContext{}
		b.Run("sampling="+sm.name, func(b *testing.B) {
			hs := []http.Handler{
				otelhttp.NewHandler(benchMux(), "",
					otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop)),
				NewHandler(benchMux(), WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop)),
				otelhttp.NewHandler(withBenchKeys(benchMux()), "",
					otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop)),
			}
			w := &discardWriter{h: http.Header{}}
			r, _ := http.NewRequest("GET", "http://localhost:5000/admin/users/alice/messages", nil)
			r.Header.Set("User-Agent", userAgent)
			r.RemoteAddr = "127.0.0.1:40000"
			ops := make([]func(), len(hs))
			for i, h := range hs {
				ops[i] = func() { h.ServeHTTP(w, r) }
			}
			runPaired(b, []string{"otelhttp", "httpx", "otelhttp-keys"}, ops)
		})
	}
}

// BenchmarkTransportPaired is BenchmarkTransport's otelhttp, httpx and
// otelhttp-keys in one process, in turns (runPaired).
func BenchmarkTransportPaired(b *testing.B) {
	for _, sm := range benchSamplers {
		tp, mp := benchProviders(b, sm.s)
		prop := propagation.TraceContext{}
		b.Run("sampling="+sm.name, func(b *testing.B) {
			rts := []http.RoundTripper{
				otelhttp.NewTransport(fakeRT{},
					otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop)),
				NewTransport(fakeRT{}, WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop)),
				otelhttp.NewTransport(benchKeysRT{fakeRT{}},
					otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop)),
			}
			ctx, parent := tp.Tracer("bench").Start(context.Background(), "parent")
			defer parent.End()
			r, _ := http.NewRequestWithContext(ctx, "GET", "http://external-api:443/api/data", nil)
			ops := make([]func(), len(rts))
			for i, rt := range rts {
				ops[i] = func() {
					res, err := rt.RoundTrip(r)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, res.Body)
					_ = res.Body.Close()
				}
			}
			runPaired(b, []string{"otelhttp", "httpx", "otelhttp-keys"}, ops)
		})
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
		runPaired(b, []string{"a", "b"}, []func(){func() { na++ }, func() { nb++ }})
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
