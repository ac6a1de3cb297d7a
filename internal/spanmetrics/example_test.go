package spanmetrics_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

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
