package logcorr

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// reportCPU adds a cpu-ns/op metric: process CPU time per record, less
// disturbed than ns/op by other processes on a busy machine.
func reportCPU(b *testing.B, c0 time.Duration, ok bool) {
	c1, ok1 := processCPU()
	if ok && ok1 && b.N > 0 {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkHandler logs one record with two attributes inside a recording
// span: slog's text handler bare, the same wrapped by NewHandler, and
// logcorr's own text handler in the spec's layout.
func BenchmarkHandler(b *testing.B) {
	tracer, _ := newTracer(b)
	ctx, span := tracer.Start(context.Background(), "GET /logs/kafka")
	defer span.End()

	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"handler=bare", slog.NewTextHandler(io.Discard, nil)},
		{"handler=correlated", NewHandler(slog.NewTextHandler(io.Discard, nil))},
		{"handler=logcorrText", NewTextHandler(io.Discard, &TextOptions{ServiceName: "hyunwoo"})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			logger := slog.New(bc.h)
			b.ReportAllocs()
			c0, ok := processCPU()
			for b.Loop() {
				logger.InfoContext(ctx, "user logged in", "user", "alice", "attempt", 2)
			}
			reportCPU(b, c0, ok)
		})
	}
}

// BenchmarkHandlerSameOutput separates the wrapper's own cost from the
// inner handler's: slog's text handler given the three id attributes by the
// caller (precomputed strings) against NewHandler adding them.
func BenchmarkHandlerSameOutput(b *testing.B) {
	tracer, _ := newTracer(b)
	ctx, span := tracer.Start(context.Background(), "GET /logs/kafka")
	defer span.End()
	sc := span.SpanContext()
	tid, sid := sc.TraceID().String(), sc.SpanID().String()

	b.Run("handler=bare", func(b *testing.B) {
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		b.ReportAllocs()
		c0, ok := processCPU()
		for b.Loop() {
			logger.InfoContext(ctx, "user logged in", "user", "alice", "attempt", 2,
				TraceIDKey, tid, SpanIDKey, sid, TraceFlagsKey, "01")
		}
		reportCPU(b, c0, ok)
	})
	b.Run("handler=correlated", func(b *testing.B) {
		logger := slog.New(NewHandler(slog.NewTextHandler(io.Discard, nil)))
		b.ReportAllocs()
		c0, ok := processCPU()
		for b.Loop() {
			logger.InfoContext(ctx, "user logged in", "user", "alice", "attempt", 2)
		}
		reportCPU(b, c0, ok)
	})
}

// BenchmarkHandlerOutsideSpan is the same without a span: the wrapper should
// cost next to nothing.
func BenchmarkHandlerOutsideSpan(b *testing.B) {
	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"handler=bare", slog.NewTextHandler(io.Discard, nil)},
		{"handler=correlated", NewHandler(slog.NewTextHandler(io.Discard, nil))},
		{"handler=logcorrText", NewTextHandler(io.Discard, &TextOptions{ServiceName: "hyunwoo"})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			logger := slog.New(bc.h)
			ctx := context.Background()
			b.ReportAllocs()
			c0, ok := processCPU()
			for b.Loop() {
				logger.InfoContext(ctx, "user logged in", "user", "alice", "attempt", 2)
			}
			reportCPU(b, c0, ok)
		})
	}
}
