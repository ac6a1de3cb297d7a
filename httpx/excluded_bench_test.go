package httpx

import (
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkExcluded compares a request that the excluded URL variable
// excludes with an unsampled one, on the server and the client side, with
// an incoming (or caller's) trace context.
func BenchmarkExcluded(b *testing.B) {
	tp, mp := benchProviders(b, sdktrace.NeverSample())
	prop := propagation.TraceContext{}
	for _, c := range []struct {
		name string
		env  string
	}{{"unsampled", ""}, {"excluded", "/admin/users/"}} {
		b.Run("server/"+c.name, func(b *testing.B) {
			b.Setenv(envExcludedGo, c.env)
			h := NewHandler(benchMux(), WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop))
			req, _ := http.NewRequest("GET", "/admin/users/alice/messages", nil)
			req.Header.Set("traceparent", inTraceparent)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				h.ServeHTTP(w, req)
			}
		})
		b.Run("client/"+c.name, func(b *testing.B) {
			b.Setenv(envExcludedGo, c.env)
			rt := NewTransport(fakeRT{}, WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(prop))
			parent := prop.Extract(b.Context(), propagation.MapCarrier{"traceparent": inTraceparent})
			req, _ := http.NewRequestWithContext(parent, "GET", "http://h/admin/users/alice/messages", nil)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res, err := rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				_ = res.Body.Close()
			}
		})
	}
}
