package kafkax

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkSampledHooks produces and consumes one sampled record through
// the hooks alone (no broker), with otel's default W3C propagator: the
// cost kafkax adds per sampled record, without kfake's noise.
func BenchmarkSampledHooks(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	h := newHooks(newConfig([]Option{WithTracerProvider(tp), WithMeterProvider(mp),
		WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))}))
	if !h.std {
		b.Fatal("W3C propagator not recognized")
	}
	in := &kgo.Record{Topic: "orders"}
	fetches := kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "orders", Partitions: []kgo.FetchPartition{{Records: []*kgo.Record{in}}}}}}}
	b.ReportAllocs()
	for b.Loop() {
		r := &kgo.Record{Topic: "orders", Context: context.Background()}
		h.OnProduceRecordBuffered(r)
		h.OnProduceRecordUnbuffered(r, nil)
		in.Headers, in.Context = r.Headers, nil
		h.pollDone(context.Background(), fetches, time.Now(), time.Now())
	}
}
