// Package logcorr_test measures logcorr.NewHandler against the handler an
// application writes by hand to put the trace and span ids on its records.
package logcorr_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/logcorr"
)

// idHandler is the hand-written peer: it adds trace_id and span_id (and,
// with flags, trace_flags) to each record logged inside a valid span
// context.
type idHandler struct {
	slog.Handler
	flags bool
}

func (h idHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		if h.flags {
			r.AddAttrs(slog.String("trace_flags", sc.TraceFlags().String()))
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

// BenchmarkHandler logs one record with two attributes to slog's text
// handler inside a span the SDK samples or does not: bare, under the
// hand-written idHandler and under logcorr.NewHandler (which adds
// trace_flags too); like for like, logcorr-2ids is NewHandler without
// trace_flags and handwritten-3ids the peer with it.
func BenchmarkHandler(b *testing.B) {
	for _, sm := range []struct {
		name string
		s    sdktrace.Sampler
	}{{"sampled", sdktrace.AlwaysSample()}, {"unsampled", sdktrace.NeverSample()}} {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sm.s))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		ctx, span := tp.Tracer("bench").Start(context.Background(), "GET /logs/kafka")
		for _, bc := range []struct {
			name string
			h    slog.Handler
		}{
			{"bare", slog.NewTextHandler(io.Discard, nil)},
			{"handwritten", idHandler{Handler: slog.NewTextHandler(io.Discard, nil)}},
			{"logcorr", logcorr.NewHandler(slog.NewTextHandler(io.Discard, nil))},
			{"logcorr-2ids", logcorr.NewHandler(slog.NewTextHandler(io.Discard, nil),
				logcorr.WithAttrKeys(logcorr.TraceIDKey, logcorr.SpanIDKey, ""))},
			{"handwritten-3ids", idHandler{Handler: slog.NewTextHandler(io.Discard, nil), flags: true}},
		} {
			b.Run("sampling="+sm.name+"/impl="+bc.name, func(b *testing.B) {
				logger := slog.New(bc.h)
				b.ReportAllocs()
				for b.Loop() {
					logger.InfoContext(ctx, "user logged in", "user", "alice", "attempt", 2)
				}
			})
		}
		span.End()
	}
}
