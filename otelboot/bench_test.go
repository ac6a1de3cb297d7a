package otelboot

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
)

// closedEndpoint returns an endpoint where nothing listens.
func closedEndpoint(b *testing.B) string {
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer lis.Close()
	return "http://" + lis.Addr().String()
}

// BenchmarkStart measures Start with the collector down (all three OTLP
// exporters, default settings) and the shutdown that follows with a short
// deadline outside the timer. The goal is well under 50 ms per Start.
func BenchmarkStart(b *testing.B) {
	cleanEnv(b, "OTEL_EXPORTER_OTLP_ENDPOINT", closedEndpoint(b), "OTEL_SERVICE_NAME", "bench")
	log := WithLogger(slog.New(slog.DiscardHandler))
	b.ReportAllocs()
	for b.Loop() {
		shutdown, err := Start(context.Background(), log, WithDefaultLogger(false))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_ = shutdown(ctx)
		cancel()
		b.StartTimer()
	}
}

// BenchmarkBareSDK is the same wiring done by hand with the SDK alone
// (resource.Default, three OTLP/HTTP exporters, batch processors), for
// comparison with BenchmarkStart.
func BenchmarkBareSDK(b *testing.B) {
	cleanEnv(b, "OTEL_EXPORTER_OTLP_ENDPOINT", closedEndpoint(b), "OTEL_SERVICE_NAME", "bench")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res := resource.Default()
		te, _ := otlptracehttp.New(ctx)
		me, _ := otlpmetrichttp.New(ctx)
		le, _ := otlploghttp.New(ctx)
		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(te))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me)))
		lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewBatchProcessor(le)))
		b.StopTimer()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_, _, _ = tp.Shutdown(sctx), mp.Shutdown(sctx), lp.Shutdown(sctx)
		cancel()
		b.StartTimer()
	}
}
