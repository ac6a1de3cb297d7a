package spanmetrics

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func benchProcessor(b *testing.B) *Processor {
	b.Helper()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	p, err := New(mp)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkOnEnd measures the processor alone: the cost added to every span
// end. Run with -cpu 1,2 to see the effect of contention.
func BenchmarkOnEnd(b *testing.B) {
	p := benchProcessor(b)
	now := time.Now()
	spans := make([]sdktrace.ReadOnlySpan, 64)
	for i := range spans {
		var sid trace.SpanID
		sid[0] = byte(i * 37)
		spans[i] = tracetest.SpanStub{
			Name:        "GET /db/messages",
			SpanKind:    trace.SpanKindServer,
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{SpanID: sid}),
			StartTime:   now,
			EndTime:     now.Add(time.Duration(i) * time.Millisecond),
		}.Snapshot()
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			p.OnEnd(spans[i&63])
			i++
		}
	})
}

type noopProcessor struct{}

func (noopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (noopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (noopProcessor) Shutdown(context.Context) error                  { return nil }
func (noopProcessor) ForceFlush(context.Context) error                { return nil }

// BenchmarkSpan compares starting and ending a span on a bare SDK tracer
// provider (no processor) with the same provider carrying a processor that does nothing and
// carrying the Processor.
func BenchmarkSpan(b *testing.B) {
	run := func(b *testing.B, opts ...sdktrace.TracerProviderOption) {
		tp := sdktrace.NewTracerProvider(opts...)
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		tr := tp.Tracer("bench")
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, s := tr.Start(ctx, "GET /db/messages", trace.WithSpanKind(trace.SpanKindServer))
				s.End()
			}
		})
	}
	b.Run("impl=bare", func(b *testing.B) { run(b) })
	// Any processor makes the SDK snapshot the span at End (one allocation);
	// this separates that from the Processor's own cost.
	b.Run("impl=noop-processor", func(b *testing.B) { run(b, sdktrace.WithSpanProcessor(noopProcessor{})) })
	b.Run("impl=spanmetrics", func(b *testing.B) { run(b, sdktrace.WithSpanProcessor(benchProcessor(b))) })
}

// BenchmarkSDKRecord is the part of OnEnd spent in the SDK's histogram.
func BenchmarkSDKRecord(b *testing.B) {
	p := benchProcessor(b)
	o := p.opts(attrKey{name: "GET /db/messages", kind: trace.SpanKindServer})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p.duration.Record(ctx, 1.5, o...)
		}
	})
}

// BenchmarkCount is the part of OnEnd spent in the rate counters.
func BenchmarkCount(b *testing.B) {
	p := benchProcessor(b)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var sid trace.SpanID
		i := uint64(0)
		for pb.Next() {
			i += 0x9E3779B97F4A7C15
			sid[0], sid[1] = byte(i>>56), byte(i>>48)
			p.count(sid, now, i&7 == 0)
		}
	})
}

// BenchmarkAttrLookup is the part of OnEnd spent finding the cached set.
func BenchmarkAttrLookup(b *testing.B) {
	p := benchProcessor(b)
	k := attrKey{name: "GET /admin/users/{username}/messages", kind: trace.SpanKindServer}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = p.opts(k)
		}
	})
}
