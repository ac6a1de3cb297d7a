package instrumentation_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/internal/instrumentation"
	"github.com/otelkit/otelkit/redisx"
	"github.com/otelkit/otelkit/sqlx"
)

// BenchmarkOff compares each wrapper switched off by
// OTEL_GO_DISABLED_INSTRUMENTATIONS with the bare call it wraps: the rule
// is the bare call's cost (allocations exactly equal; TestHTTPServerOff and
// its siblings assert that). Sub-benchmarks are <wrapper>/bare and
// <wrapper>/off, for benchstat's -col /mode.
func BenchmarkOff(b *testing.B) {
	b.Setenv(instrumentation.EnvEnabled, "")
	b.Setenv(instrumentation.EnvPythonDisabled, "")
	b.Setenv(instrumentation.EnvDisabled, "nethttp,databasesql,redis,kafka")
	tp := sdktrace.NewTracerProvider() // sampled: an instrumented call would record
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx := context.Background()

	run := func(b *testing.B, name string, bare, off func()) {
		b.Run(name+"/mode=bare", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				bare()
			}
		})
		b.Run(name+"/mode=off", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				off()
			}
		})
	}

	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	// The bare calls go through the interface, as net/http makes them, and
	// one the compiler cannot see through (opaque), as the wrapped ones.
	bareH := opaque[http.Handler](ok)
	h := httpx.NewHandler(ok, httpx.WithTracerProvider(tp))
	run(b, "NewHandler", func() { bareH.ServeHTTP(w, r) }, func() { h.ServeHTTP(w, r) })

	mux := httpx.NewServeMux(httpx.WithTracerProvider(tp))
	mux.Handle("GET /x", ok)
	bareMux := opaque[http.Handler](func() *http.ServeMux { m := http.NewServeMux(); m.Handle("GET /x", ok); return m }())
	run(b, "NewServeMux", func() { bareMux.ServeHTTP(w, r) }, func() { mux.ServeHTTP(w, r) })

	base := opaque[http.RoundTripper](fixedRT{res: &http.Response{StatusCode: 204, Body: http.NoBody}})
	tr := opaque[http.RoundTripper](httpx.NewTransport(base, httpx.WithTracerProvider(tp)))
	cr := httptest.NewRequest(http.MethodGet, "http://example.test/x", nil)
	cr.RequestURI = ""
	run(b, "NewTransport", func() { _, _ = base.RoundTrip(cr) }, func() { _, _ = tr.RoundTrip(cr) })

	db, err := sqlx.Open("h12fake", "x", sqlx.WithTracerProvider(tp))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	bareDB, _ := sql.Open("h12fake", "x")
	b.Cleanup(func() { _ = bareDB.Close() })
	exec := func(d *sql.DB) func() { return func() { _, _ = d.ExecContext(ctx, "UPDATE t SET a = 1") } }
	run(b, "sqlx.Open", exec(bareDB), exec(db))

	if addr := os.Getenv("OTELKIT_TEST_REDIS_ADDR"); addr != "" {
		c := redis.NewClient(&redis.Options{Addr: addr})
		b.Cleanup(func() { _ = c.Close() })
		if err := redisx.Instrument(c, redisx.WithTracerProvider(tp)); err != nil {
			b.Fatal(err)
		}
		bare := redis.NewClient(&redis.Options{Addr: addr})
		b.Cleanup(func() { _ = bare.Close() })
		run(b, "redisx.Instrument", func() { _ = bare.Ping(ctx).Err() }, func() { _ = c.Ping(ctx).Err() })
	}
}

// opaque returns v as an I in a way the compiler does not devirtualize.
//
//go:noinline
func opaque[I any](v I) I { return v }
