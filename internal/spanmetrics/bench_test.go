package spanmetrics

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// benchProcessor returns a Processor recording duration through a
// Producer (m == viaProducer) or the SDK's histogram (m == viaSDK).
func benchProcessor(b *testing.B, m mode, opts ...Option) *Processor {
	b.Helper()
	var ropts []sdkmetric.ManualReaderOption
	if m == viaProducer {
		pr := NewProducer()
		opts = append(opts, WithProducer(pr))
		ropts = append(ropts, sdkmetric.WithProducer(pr))
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader(ropts...)))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	p, err := New(mp, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkOnEnd measures the processor alone: the cost added to every span
// end, with the Producer (the default of otelboot) and with the SDK's
// histogram. span=sdk passes the spans as the SDK does (its own read-only
// snapshots, captured from a tracer provider); span=stub passes
// tracetest.SpanStub snapshots, whose accessors copy the whole stub on
// every call and so cost more. Run with -cpu 1,2 to see the effect of
// contention.
func BenchmarkOnEnd(b *testing.B) {
	for _, sp := range []struct {
		name  string
		spans func() []sdktrace.ReadOnlySpan
	}{{"sdk", sdkSpans}, {"stub", stubSpans}} {
		b.Run("span="+sp.name+"/impl=read-only", func(b *testing.B) { benchEnd(b, &readOnly{}, sp.spans()) })
		b.Run("span="+sp.name+"/impl=producer", func(b *testing.B) { benchEnd(b, benchProcessor(b, viaProducer), sp.spans()) })
		b.Run("span="+sp.name+"/impl=sdk-histogram", func(b *testing.B) { benchEnd(b, benchProcessor(b, viaSDK), sp.spans()) })
	}
}

// readOnly reads what the Processor reads from a span and does nothing
// with it: the floor of any processor deriving these metrics.
type readOnly struct {
	noopProcessor
	sink atomic.Int64
}

func (r *readOnly) OnEnd(s sdktrace.ReadOnlySpan) {
	n := int64(len(s.Name())) + int64(s.SpanKind()) + int64(s.Status().Code)
	n += int64(s.EndTime().Sub(s.StartTime()))
	if n == 42 {
		r.sink.Add(1)
	}
}

// capture keeps the read-only spans that the SDK passes to OnEnd.
type capture struct {
	noopProcessor
	spans []sdktrace.ReadOnlySpan
}

func (c *capture) OnEnd(s sdktrace.ReadOnlySpan) { c.spans = append(c.spans, s) }

// sdkSpans returns 64 spans ended by the SDK, lasting 0 to 63 ms.
func sdkSpans() []sdktrace.ReadOnlySpan {
	c := &capture{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c))
	tr := tp.Tracer("bench")
	now := time.Now()
	for i := 0; i < 64; i++ {
		_, s := tr.Start(context.Background(), "GET /db/messages",
			trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(now))
		s.End(trace.WithTimestamp(now.Add(time.Duration(i) * time.Millisecond)))
	}
	return c.spans
}

// stubSpans returns 64 tracetest stubs lasting 0 to 63 ms.
func stubSpans() []sdktrace.ReadOnlySpan {
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
	return spans
}

func benchEnd(b *testing.B, p sdktrace.SpanProcessor, spans []sdktrace.ReadOnlySpan) {
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
	b.Run("impl=spanmetrics", func(b *testing.B) { run(b, sdktrace.WithSpanProcessor(benchProcessor(b, viaProducer))) })
	b.Run("impl=spanmetrics-sdk-histogram", func(b *testing.B) { run(b, sdktrace.WithSpanProcessor(benchProcessor(b, viaSDK))) })
}

// BenchmarkSDKRecord is the part of OnEnd spent in the SDK's histogram.
func BenchmarkSDKRecord(b *testing.B) {
	p := benchProcessor(b, viaSDK)
	o := p.sets.entry(attrKey{name: "GET /db/messages", kind: trace.SpanKindServer}).opts
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p.duration.Record(ctx, 1.5, o...)
		}
	})
}

// BenchmarkHistRecord is the part of OnEnd spent in the Producer's
// histogram.
func BenchmarkHistRecord(b *testing.B) {
	p := benchProcessor(b, viaProducer)
	h := p.sets.entry(attrKey{name: "GET /db/messages", kind: trace.SpanKindServer}).h
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := uint64(0)
		for pb.Next() {
			i += 0x9E3779B97F4A7C15
			h.record(int64(i>>40), i>>56)
		}
	})
}

// BenchmarkCount is the part of OnEnd spent in the rate counters.
func BenchmarkCount(b *testing.B) {
	p := benchProcessor(b, viaProducer)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := uint64(0)
		for pb.Next() {
			i += 0x9E3779B97F4A7C15
			p.count(i>>48, now, i&7 == 0)
		}
	})
}

// BenchmarkAttrLookup is the part of OnEnd spent finding the cached set.
func BenchmarkAttrLookup(b *testing.B) {
	p := benchProcessor(b, viaProducer)
	k := attrKey{name: "GET /admin/users/{username}/messages", kind: trace.SpanKindServer}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = p.sets.entry(k)
		}
	})
}

// BenchmarkOnEndSerial is BenchmarkOnEnd on one goroutine (no RunParallel):
// the cost one span end pays on its own, which issue 17 bounds at 100 ns
// and 0 allocations with the SDK's spans.
func BenchmarkOnEndSerial(b *testing.B) {
	for _, sp := range []struct {
		name  string
		spans func() []sdktrace.ReadOnlySpan
	}{{"sdk", sdkSpans}, {"stub", stubSpans}} {
		b.Run("span="+sp.name+"/impl=read-only", func(b *testing.B) { benchEndSerial(b, &readOnly{}, sp.spans()) })
		b.Run("span="+sp.name+"/impl=producer", func(b *testing.B) { benchEndSerial(b, benchProcessor(b, viaProducer), sp.spans()) })
		b.Run("span="+sp.name+"/impl=sdk-histogram", func(b *testing.B) { benchEndSerial(b, benchProcessor(b, viaSDK), sp.spans()) })
		off := WithExemplarFilter(ExemplarsAlwaysOff)
		b.Run("span="+sp.name+"/impl=producer-no-exemplars", func(b *testing.B) { benchEndSerial(b, benchProcessor(b, viaProducer, off), sp.spans()) })
		b.Run("span="+sp.name+"/impl=sdk-histogram-no-exemplars", func(b *testing.B) { benchEndSerial(b, benchProcessor(b, viaSDK, off), sp.spans()) })
	}
}

// benchEndSerial also reports cpu-ns/op, the process's CPU time per span:
// on a shared machine closer to the cost than wall time (ns/op), which
// counts the time the goroutine waited for a core.
func benchEndSerial(b *testing.B, p sdktrace.SpanProcessor, spans []sdktrace.ReadOnlySpan) {
	b.ReportAllocs()
	c0, ok := processCPU()
	i := 0
	for b.Loop() {
		p.OnEnd(spans[i&63])
		i++
	}
	if c1, ok1 := processCPU(); ok && ok1 && b.N > 0 {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
}
