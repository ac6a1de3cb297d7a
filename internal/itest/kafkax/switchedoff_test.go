package kafkax_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit/kafkax"
)

// TestSwitchedOff: kafka in OTEL_GO_DISABLED_INSTRUMENTATIONS (or Python's
// kafka names) switches kafkax off: NewClient adds no hooks and
// PollFetches on an uninstrumented client is the bare poll, so neither
// produce nor consume makes a span, even with a global tracer provider.
func TestSwitchedOff(t *testing.T) {
	for _, env := range [][2]string{
		{"OTEL_GO_DISABLED_INSTRUMENTATIONS", "kafka"},
		{"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "confluent_kafka"},
	} {
		t.Run(env[0], func(t *testing.T) {
			t.Setenv(env[0], env[1])
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			prev := otel.GetTracerProvider()
			otel.SetTracerProvider(tp)
			t.Cleanup(func() { otel.SetTracerProvider(prev); _ = tp.Shutdown(context.Background()) })

			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			prod, err := kafkax.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(topic))
			if err != nil {
				t.Fatal(err)
			}
			defer prod.Close()
			if err := prod.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
				t.Fatal(err)
			}
			cons, err := kafkax.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			if err != nil {
				t.Fatal(err)
			}
			defer cons.Close()
			n := 0
			for n == 0 && ctx.Err() == nil {
				n += kafkax.PollFetches(ctx, cons).NumRecords()
			}
			if n == 0 {
				t.Fatal("no record consumed")
			}
			if got := len(rec.Started()); got != 0 {
				t.Errorf("%d spans with kafkax switched off, want 0", got)
			}
		})
	}
}
