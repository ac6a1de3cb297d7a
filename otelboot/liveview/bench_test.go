package liveview

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

type noopProcessor struct{}

func (noopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (noopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (noopProcessor) Shutdown(context.Context) error                  { return nil }
func (noopProcessor) ForceFlush(context.Context) error                { return nil }

// BenchmarkSpanEnd starts and ends a span with two attributes on a bare SDK
// tracer provider, one with a no-op processor (the SDK then snapshots each
// ended span) and one with the view's processor.
func BenchmarkSpanEnd(b *testing.B) {
	cases := []struct {
		name string
		opts []sdktrace.TracerProviderOption
	}{
		{"bare-sdk", nil},
		{"noop-processor", []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(noopProcessor{})}},
		{"liveview", []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(New(Config{}).SpanProcessor())}},
	}
	attrs := []attribute.KeyValue{attribute.String("http.route", "/items"), attribute.Int("http.status_code", 200)}
	for _, c := range cases {
		b.Run("impl="+c.name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(c.opts...)
			tr := tp.Tracer("bench")
			ctx := context.Background()
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				_, s := tr.Start(ctx, "GET /items", trace.WithAttributes(attrs...))
				s.End()
			}
			_ = tp.ForceFlush(ctx) // the view's queued aggregation is part of the cost
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkOnEnd measures the view's OnEnd alone (including the batched
// aggregation it triggers) on spans of distinct traces.
func BenchmarkOnEnd(b *testing.B) {
	spans := make([]sdktrace.ReadOnlySpan, 4096)
	for i := range spans {
		spans[i] = stub(i, "GET /items", 3<<20, i%10 == 0)
	}
	p := New(Config{}).SpanProcessor()
	b.ReportAllocs()
	cpu := processCPU()
	i := 0
	for b.Loop() {
		p.OnEnd(spans[i%len(spans)])
		i++
	}
	_ = p.ForceFlush(context.Background())
	reportCPU(b, cpu)
}

// reportCPU adds the process CPU time per operation since start: on a
// shared machine it varies less than the wall time, and it counts the work
// of background goroutines.
func reportCPU(b *testing.B, start time.Duration) {
	if d := processCPU() - start; d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkAggregate measures the aggregation that runs off the span's
// path (in the background goroutine or on read), per span.
func BenchmarkAggregate(b *testing.B) {
	spans := make([]sdktrace.ReadOnlySpan, 4096)
	for i := range spans {
		spans[i] = stub(i, "GET /items", 3<<20, i%10 == 0)
	}
	s := New(Config{}).store
	b.ReportAllocs()
	cpu := processCPU()
	i := 0
	for b.Loop() {
		s.ingestOne(spans[i%len(spans)])
		i++
	}
	reportCPU(b, cpu)
}

// TestMemoryWithinCap sends 100,000 spans (25,000 traces of a server span
// and three children, with attributes and an event each) through the view
// and checks that the heap it keeps stays within Config.MaxBytes plus the
// fixed aggregates, once with the default bounds (the trace count binds)
// and once with a small byte cap and a large count (the bytes bind).
func TestMemoryWithinCap(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	for _, cfg := range []Config{{}, {MaxBytes: 8 << 20, MaxTraces: 100_000}} {
		name := fmt.Sprintf("MaxTraces=%d,MaxBytes=%dMiB", cfg.withDefaults().MaxTraces, cfg.withDefaults().MaxBytes>>20)
		t.Run(name, func(t *testing.T) { memoryWithinCap(t, cfg) })
	}
}

func memoryWithinCap(t *testing.T, cfg Config) {
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	v := New(cfg)
	maxBytes := v.cfg.MaxBytes
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(v.SpanProcessor()))
	tr := tp.Tracer("load")
	ctx := context.Background()
	const spans = 100_000
	for i := 0; i < spans/4; i++ {
		cctx, srv := tr.Start(ctx, "GET /items/{id}", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.method", "GET"), attribute.String("http.url", "http://localhost:8080/items/42?q=1"),
				attribute.Int("http.status_code", 200), attribute.String("http.user_agent", "Go-http-client/1.1")))
		for _, name := range []string{"mysql.query", "redis.command", "HTTP GET"} {
			_, c := tr.Start(cctx, name, trace.WithAttributes(attribute.String("db.statement", "SELECT id, name, price FROM items WHERE id = ?")))
			c.AddEvent("row", trace.WithAttributes(attribute.Int("n", i)))
			c.End()
		}
		srv.End()
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	after := heap()
	v.lockStore()
	est := v.store.normal.bytes + v.store.kept.bytes
	kept, evicted, total := v.store.traces.len(), v.store.evicted, v.store.totalSpans
	v.store.mu.Unlock()

	grew := int64(after) - int64(before)
	t.Logf("100,000 spans: heap %.1f MiB -> %.1f MiB (+%.2f MiB, view included); cap %d MiB (traces %.1f MiB); estimated trace bytes %.2f MiB; %d traces kept, %d evicted",
		float64(before)/(1<<20), float64(after)/(1<<20), float64(grew)/(1<<20), maxBytes>>20,
		float64(v.store.traceBudget)/(1<<20), float64(est)/(1<<20), kept, evicted)
	if total != spans {
		t.Errorf("aggregated %d spans, want %d", total, spans)
	}
	if est > v.store.traceBudget || kept > v.cfg.MaxTraces {
		t.Errorf("%d traces, estimated %d bytes: over the caps %d, %d", kept, est, v.cfg.MaxTraces, v.store.traceBudget)
	}
	if evicted == 0 {
		t.Error("nothing evicted: the load did not reach a cap")
	}
	// The aggregates (15 min of per-second slots, per-name stats, the log
	// ring's slots) take about 1 MiB; allow 2 MiB beside the cap.
	if grew > int64(maxBytes)+2<<20 {
		t.Errorf("heap grew %d bytes, over the %d byte cap", grew, maxBytes)
	}
	runtime.KeepAlive(v)
}
