package kafkax_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/kafkax"
)

// Instrument a client by appending kafkax's options to its own.
func ExampleOpts() {
	opts := []kgo.Opt{
		kgo.SeedBrokers("localhost:9092"),
		kgo.DefaultProduceTopic("api-logs-hyunwoo"),
	}
	cl, err := kgo.NewClient(append(opts, kafkax.Opts()...)...)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()

	// The record's PRODUCER span is a child of ctx's span and its context
	// travels in the record headers.
	ctx := context.Background()
	cl.Produce(ctx, &kgo.Record{Value: []byte("GET /api 200")}, nil)
}

// Read a topic in an HTTP handler: each record's kafka.consume span is a
// child of the handler's span and links to the span that produced it.
func ExamplePollFetches() {
	cl, err := kafkax.NewClient(
		kgo.SeedBrokers("localhost:9092"),
		kgo.ConsumeTopics("api-logs-hyunwoo"),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()

	handler := func(ctx context.Context) []string {
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		var lines []string
		fetches := kafkax.PollFetches(ctx, cl)
		fetches.EachRecord(func(r *kgo.Record) {
			process(kafkax.RecordContext(ctx, r), r)
			lines = append(lines, string(r.Value))
		})
		return lines
	}
	_ = handler
}

func process(context.Context, *kgo.Record) {}

// RecordContext continues the trace that a record's headers carry, here for a
// record from a producer in another service.
func ExampleRecordContext() {
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	defer otel.SetTextMapPropagator(prev)

	rec := &kgo.Record{
		Topic: "api-logs-hyunwoo",
		Headers: []kgo.RecordHeader{{
			Key:   "traceparent",
			Value: []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
		}},
	}
	sc := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), rec))
	fmt.Println(sc.TraceID(), sc.SpanID(), sc.IsSampled(), sc.IsRemote())
	// Output: 0af7651916cd43dd8448eb211c80319c b7ad6b7169203331 true true
}

// A batch consumer: one kafka.consume span per topic and poll, linked to
// the span that produced each record, instead of one span per record.
func ExampleWithBatchSpans() {
	opts := []kgo.Opt{
		kgo.SeedBrokers("localhost:9092"),
		kgo.ConsumerGroup("ingesters"),
		kgo.ConsumeTopics("api-logs-hyunwoo"),
	}
	cl, err := kgo.NewClient(append(opts, kafkax.Opts(kafkax.WithBatchSpans(true))...)...)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()

	ctx := context.Background()
	for ctx.Err() == nil {
		fetches := kafkax.PollFetches(ctx, cl)
		fetches.EachRecord(func(r *kgo.Record) {
			// The batch span, when it is recorded; else the producer's
			// context.
			process(kafkax.RecordContext(ctx, r), r)
		})
	}
}

// Tag spans with the tenant a record belongs to, where the sampler can see
// it, and note on each span how large the record was.
func ExampleWithProduceHook() {
	tenant := func(_ context.Context, r *kgo.Record) []attribute.KeyValue {
		for _, h := range r.Headers {
			if h.Key == "tenant" {
				return []attribute.KeyValue{attribute.String("app.tenant", string(h.Value))}
			}
		}
		return nil
	}
	size := func(span trace.Span, r *kgo.Record, _ error) {
		if r != nil {
			span.SetAttributes(attribute.Int("messaging.message.body.size", len(r.Value)))
		}
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers("localhost:9092")},
		kafkax.Opts(kafkax.WithProduceHook(tenant), kafkax.WithConsumeHook(tenant), kafkax.WithEndHook(size))...)...)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
}
