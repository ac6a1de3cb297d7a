package redisx_test

import (
	"context"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/redisx"
)

// BenchmarkGET compares a GET of an existing key on a bare client, under
// bare redisotel (tracing only, caller off as redisx's default:
// WithCallerEnabled(false); and its default, caller on) and under redisx
// (tracing only; default and WithCaller(true)), with every span sampled and
// with none. Run with
//
//	go test -run '^$' -bench GET -benchmem -count 5 | benchstat -col /impl -
var benchHookAttrs = []attribute.KeyValue{attribute.String("app.tenant", "acme")}

func BenchmarkGET(b *testing.B) {
	type backend struct{ name, addr string }
	mr := miniredis.RunT(b)
	// stub answers in a hook, without a network round trip: what is left
	// is the instrumentation's own cost.
	backends := []backend{{"stub", mr.Addr()}, {"miniredis", mr.Addr()}}
	if addr := os.Getenv(envRedisAddr); addr != "" {
		backends = append(backends, backend{"redis", addr})
	} else {
		b.Logf("real Redis not benchmarked: %s is not set", envRedisAddr)
	}
	impls := []struct {
		name       string
		instrument func(*redis.Client, *sdktrace.TracerProvider) error
	}{
		{"bare", func(*redis.Client, *sdktrace.TracerProvider) error { return nil }},
		{"redisotel", func(c *redis.Client, tp *sdktrace.TracerProvider) error {
			return redisotel.InstrumentTracing(c, redisotel.WithTracerProvider(tp), redisotel.WithCallerEnabled(false))
		}},
		{"redisotel-caller", func(c *redis.Client, tp *sdktrace.TracerProvider) error {
			return redisotel.InstrumentTracing(c, redisotel.WithTracerProvider(tp))
		}},
		{"redisx", func(c *redis.Client, tp *sdktrace.TracerProvider) error {
			return redisx.Instrument(c, redisx.WithTracerProvider(tp), redisx.WithMetrics(false))
		}},
		{"redisx-caller", func(c *redis.Client, tp *sdktrace.TracerProvider) error {
			return redisx.Instrument(c, redisx.WithTracerProvider(tp), redisx.WithMetrics(false), redisx.WithCaller(true))
		}},
		// The cost of hooks when set; without them (impl=redisx) nothing.
		{"redisx-hooks", func(c *redis.Client, tp *sdktrace.TracerProvider) error {
			return redisx.Instrument(c, redisx.WithTracerProvider(tp), redisx.WithMetrics(false),
				redisx.WithStartHook(func(context.Context, redisx.Command) []attribute.KeyValue { return benchHookAttrs }),
				redisx.WithEndHook(func(trace.Span, redisx.Command, error) {}))
		}},
	}
	for _, be := range backends {
		for _, sampled := range []bool{true, false} {
			sampler, sname := sdktrace.AlwaysSample(), "sampled"
			if !sampled {
				sampler, sname = sdktrace.NeverSample(), "unsampled"
			}
			for _, impl := range impls {
				b.Run("backend="+be.name+"/spans="+sname+"/impl="+impl.name, func(b *testing.B) {
					// Spans are recorded (or not) but go nowhere: the cost
					// measured is the instrumentation's, not an exporter's.
					tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
					defer tp.Shutdown(context.Background())
					rdb := redis.NewClient(&redis.Options{Addr: be.addr, DB: 11, PoolSize: 1})
					defer rdb.Close()
					if err := impl.instrument(rdb, tp); err != nil {
						b.Fatal(err)
					}
					if be.name == "stub" {
						rdb.AddHook(stubHook{})
					}
					ctx := context.Background()
					if err := rdb.Set(ctx, "bench:key", "value", 0).Err(); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						if err := rdb.Get(ctx, "bench:key").Err(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// stubHook answers every command itself; added last, it runs innermost,
// under the instrumentation's hooks.
type stubHook struct{}

func (stubHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (stubHook) ProcessHook(redis.ProcessHook) redis.ProcessHook {
	return func(_ context.Context, cmd redis.Cmder) error {
		if c, ok := cmd.(*redis.StringCmd); ok {
			c.SetVal("value")
		}
		return nil
	}
}

func (stubHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
