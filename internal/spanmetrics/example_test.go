package spanmetrics_test

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/spanmetrics"
)

// The processor sits beside the exporters of a tracer provider; its
// instruments are read with the other metrics.
func Example() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	p, err := spanmetrics.New(mp)
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))

	tr := tp.Tracer("example")
	for i := 0; i < 3; i++ {
		_, s := tr.Start(context.Background(), "GET /logs/kafka")
		if i == 0 {
			s.SetStatus(codes.Error, "timeout")
		}
		s.End()
	}

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if s, ok := m.Data.(metricdata.Sum[int64]); ok {
			fmt.Printf("%s %d %s\n", m.Name, s.DataPoints[0].Value, m.Unit)
		}
	}
	// Unordered output:
	// spans 3 {span}
	// span.errors 1 {error}
}

// With a Producer attached to the reader, the processor records duration
// itself, at a fraction of the cost of the SDK's histogram, and the reader
// collects it beside the other instruments.
func ExampleNewProducer() {
	durations := spanmetrics.NewProducer()
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(durations))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	p, err := spanmetrics.New(mp, spanmetrics.WithProducer(durations))
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))

	start := time.Now()
	for _, d := range []time.Duration{300 * time.Microsecond, 2 * time.Millisecond} {
		_, s := tp.Tracer("example").Start(context.Background(), "GET /logs/kafka", trace.WithTimestamp(start))
		s.End(trace.WithTimestamp(start.Add(d)))
	}

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
				dp := h.DataPoints[0]
				lo, _ := dp.Min.Value()
				hi, _ := dp.Max.Value()
				fmt.Printf("%s count=%d min=%v max=%v %s\n", m.Name, dp.Count, lo, hi, m.Unit)
			}
		}
	}
	// Output:
	// duration count=2 min=0.3 max=2 ms
}
