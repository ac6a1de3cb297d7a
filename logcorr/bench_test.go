package logcorr

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
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

// idHandler is the handler an application writes by hand to put the ids on
// its records: trace_id and span_id (and, with flags, trace_flags) of a
// valid span context, as strings.
type idHandler struct {
	slog.Handler
	flags bool
}

func (h idHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String(TraceIDKey, sc.TraceID().String()), slog.String(SpanIDKey, sc.SpanID().String()))
		if h.flags {
			r.AddAttrs(slog.String(TraceFlagsKey, sc.TraceFlags().String()))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h idHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return idHandler{h.Handler.WithAttrs(as), h.flags}
}
func (h idHandler) WithGroup(name string) slog.Handler {
	return idHandler{h.Handler.WithGroup(name), h.flags}
}

// BenchmarkVsHandwritten runs, side by side in one run, slog's text handler
// bare, under the hand-written idHandler and under NewHandler, like for
// like: ids=2 adds trace_id and span_id (NewHandler with WithAttrKeys
// leaving trace_flags out), ids=3 adds trace_flags too (NewHandler's
// default). text=logcorr is the spec's text handler, against
// slog.TextHandler bare (impl=bare).
func BenchmarkVsHandwritten(b *testing.B) {
	tracer, _ := newTracer(b)
	ctx, span := tracer.Start(context.Background(), "GET /logs/kafka")
	defer span.End()
	text := func() slog.Handler { return slog.NewTextHandler(io.Discard, nil) }
	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"ids=0/impl=bare", text()},
		{"ids=2/impl=handwritten", idHandler{Handler: text()}},
		{"ids=2/impl=logcorr", NewHandler(text(), WithAttrKeys(TraceIDKey, SpanIDKey, ""))},
		{"ids=3/impl=handwritten", idHandler{Handler: text(), flags: true}},
		{"ids=3/impl=logcorr", NewHandler(text())},
		{"ids=2/impl=logcorrText", NewTextHandler(io.Discard, &TextOptions{ServiceName: "hyunwoo"})},
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
