package kafkax_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/kafkax"
)

// BenchmarkProduceConsume produces 10,000 records to kfake and polls them
// back, per op: bare franz-go, then kafkax with every record sampled, then
// kafkax under ParentBased(TraceIDRatioBased(0.01)), and the same where each
// poll runs under its own span, as in an HTTP handler reading the topic
// (consume spans are then children of that span). Compare with
//
//	benchstat -col /mode bench.txt
func BenchmarkProduceConsume(b *testing.B) {
	const n = 10_000
	keys := make([][]byte, 100)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "user-%d", i)
	}
	value := make([]byte, 100)

	for _, mode := range []string{"bare", "sampled", "ratio1pct", "ratio1pct-caller"} {
		b.Run("mode="+mode, func(b *testing.B) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			popts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(topic)}
			copts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
			poll := func(ctx context.Context, cl *kgo.Client) kgo.Fetches { return cl.PollFetches(ctx) }
			if mode != "bare" {
				sampler := sdktrace.AlwaysSample()
				if strings.HasPrefix(mode, "ratio1pct") {
					sampler = sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.01))
				}
				tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler),
					sdktrace.WithSyncer(tracetest.NewNoopExporter()))
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
				kx := []kafkax.Option{kafkax.WithTracerProvider(tp), kafkax.WithMeterProvider(mp),
					kafkax.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))}
				popts = append(popts, kafkax.Opts(kx...)...)
				copts = append(copts, kafkax.Opts(kx...)...)
				poll = kafkax.PollFetches
				if mode == "ratio1pct-caller" {
					tracer := tp.Tracer("handler")
					poll = func(ctx context.Context, cl *kgo.Client) kgo.Fetches {
						ctx, span := tracer.Start(ctx, "GET /logs/kafka", trace.WithSpanKind(trace.SpanKindServer))
						defer span.End()
						return kafkax.PollFetches(ctx, cl)
					}
				}
			}
			prod, err := kgo.NewClient(popts...)
			if err != nil {
				b.Fatal(err)
			}
			defer prod.Close()
			cons, err := kgo.NewClient(copts...)
			if err != nil {
				b.Fatal(err)
			}
			defer cons.Close()

			ctx := context.Background()
			var failed atomic.Int64
			promise := func(_ *kgo.Record, err error) {
				if err != nil {
					failed.Add(1)
				}
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				for i := range n {
					prod.Produce(ctx, &kgo.Record{Key: keys[i%len(keys)], Value: value}, promise)
				}
				if err := prod.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < n; {
					fs := poll(ctx, cons)
					if err := fs.Err0(); err != nil {
						b.Fatal(err)
					}
					got += fs.NumRecords()
				}
			}
			if failed.Load() != 0 {
				b.Fatalf("%d records failed", failed.Load())
			}
			// The machine is shared: CPU time of the whole process (client,
			// kfake broker and GC) is steadier than wall time.
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/record")
		})
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
