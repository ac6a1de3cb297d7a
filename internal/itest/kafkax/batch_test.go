package kafkax_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/semconv"
	"github.com/otelkit/otelkit/kafkax"
)

// spansOfKind returns the spans of kind among spans.
func spansOfKind(spans tracetest.SpanStubs, kind trace.SpanKind) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range spans {
		if s.SpanKind == kind {
			out = append(out, s)
		}
	}
	return out
}

// produceBatch produces n records (to the partitions given, if any) inside
// a sampled server span and returns the producer spans' contexts in the
// order of the records.
func produceBatch(t *testing.T, e *env, prod *kgo.Client, n int, partitions ...int32) []trace.SpanContext {
	t.Helper()
	ctx, post := e.tp.Tracer("test").Start(context.Background(), "POST /api", trace.WithSpanKind(trace.SpanKindServer))
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Key: fmt.Appendf(nil, "user-%d", i), Value: []byte("GET /api 200")}
		if len(partitions) > 0 {
			recs[i].Partition = partitions[i%len(partitions)]
		}
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	post.End()
	bySpanID := map[trace.SpanID]trace.SpanContext{}
	for _, s := range spansOfKind(e.exp.GetSpans(), trace.SpanKindProducer) {
		if s.Parent.SpanID() != post.SpanContext().SpanID() {
			t.Fatalf("producer span %v not under POST /api", s.SpanContext.SpanID())
		}
		bySpanID[s.SpanContext.SpanID()] = s.SpanContext.WithRemote(true)
	}
	if len(bySpanID) != n {
		t.Fatalf("%d producer spans, want %d", len(bySpanID), n)
	}
	out := make([]trace.SpanContext, 0, n)
	for _, r := range recs {
		// The traceparent header names the record's producer span.
		tp := header(r, "traceparent")
		var id trace.SpanID
		if len(tp) == 55 {
			id, _ = trace.SpanIDFromHex(tp[36:52])
		}
		sc, ok := bySpanID[id]
		if !ok {
			t.Fatalf("record %s: no producer span", r.Key)
		}
		out = append(out, sc)
	}
	return out
}

// assertLinkedTo checks that s links to exactly the producers, in any order.
func assertLinkedTo(t *testing.T, s tracetest.SpanStub, producers []trace.SpanContext) {
	t.Helper()
	if len(s.Links) != len(producers) {
		t.Fatalf("%s: %d links, want %d (one per producer span)", s.Name, len(s.Links), len(producers))
	}
	want := map[trace.SpanID]trace.SpanContext{}
	for _, p := range producers {
		want[p.SpanID()] = p
	}
	for _, l := range s.Links {
		if p, ok := want[l.SpanContext.SpanID()]; !ok || !l.SpanContext.Equal(p) {
			t.Errorf("%s: link to %v/%v, which is no producer span", s.Name, l.SpanContext.TraceID(), l.SpanContext.SpanID())
		}
		delete(want, l.SpanContext.SpanID())
	}
}

// TestBatchSpanOfGetLogsKafka is the trace of the telemetry spec's section
// 6: GET /logs/kafka reads the topic and gets one kafka.consume child,
// linked to the producer of each record read.
func TestBatchSpanOfGetLogsKafka(t *testing.T) {
	for _, mode := range []semconv.Mode{semconv.Old, semconv.Stable, semconv.Dup} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, sdktrace.AlwaysSample())
			prod := e.client(true, []kafkax.Option{kafkax.WithSemconv(mode)}, kgo.DefaultProduceTopic(topic))
			cons := e.consumer(kafkax.WithBatchSpans(true), kafkax.WithSemconv(mode))
			producers := produceBatch(t, e, prod, 5)

			ctx, get := e.tp.Tracer("test").Start(context.Background(), "GET /logs/kafka", trace.WithSpanKind(trace.SpanKindServer))
			recs := pollN(t, ctx, cons, 5)
			get.End()

			name := "kafka.consume"
			if mode != semconv.Old {
				name = "receive " + topic
			}
			cs := spanNamed(t, e.exp.GetSpans(), name, trace.SpanKindConsumer)
			if n := len(spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer)); n != 1 {
				t.Errorf("%d CONSUMER spans, want 1", n)
			}
			if cs.Parent.SpanID() != get.SpanContext().SpanID() || cs.SpanContext.TraceID() != get.SpanContext().TraceID() {
				t.Errorf("parent %v, want GET /logs/kafka %v", cs.Parent.SpanID(), get.SpanContext().SpanID())
			}
			if cs.Status.Code != codes.Unset {
				t.Errorf("status %+v", cs.Status)
			}
			assertLinkedTo(t, cs, producers)
			want := map[string]attribute.Value{
				"messaging.system":              str("kafka"),
				"messaging.batch.message_count": i64(5),
			}
			if semconv.EmitOld(mode) {
				want["messaging.destination"] = str(topic)
				want["messaging.operation"] = str("receive")
				want["messaging.kafka.partition"] = i64(0)
				want["messaging.kafka.consumer_group"] = str("logs-readers")
				want["messaging.kafka.client_id"] = str("consumer-1")
			}
			if semconv.EmitStable(mode) {
				want["messaging.destination.name"] = str(topic)
				want["messaging.operation.type"] = str("receive")
				want["messaging.operation.name"] = str("receive")
				want["messaging.destination.partition.id"] = str("0")
				want["messaging.consumer.group.name"] = str("logs-readers")
				want["messaging.client.id"] = str("consumer-1")
			}
			assertAttrs(t, cs, want)

			for _, r := range recs {
				if got := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), r)); !got.Equal(cs.SpanContext) {
					t.Errorf("RecordContext(offset %d) = %v, want the batch span %v", r.Offset, got.SpanID(), cs.SpanContext.SpanID())
				}
			}
			recvAttrs := attribute.NewSet(
				attribute.String("messaging.system", "kafka"),
				attribute.String("messaging.destination.name", topic),
				attribute.String("messaging.operation.name", "receive"),
				attribute.String("messaging.consumer.group.name", "logs-readers"))
			if got := counter(t, collect(t, e.reader), "messaging.client.consumed.messages", recvAttrs); got != 5 {
				t.Errorf("consumed.messages = %d, want 5", got)
			}
		})
	}
}

// TestBatchSpanUnsampledCaller: a request span that is not sampled gets no
// consume span, and RecordContext keeps the request's context.
func TestBatchSpanUnsampledCaller(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer(kafkax.WithBatchSpans(true))
	produceBatch(t, e, prod, 5)

	csc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, Remote: true})
	ctx := trace.ContextWithSpanContext(context.Background(), csc)
	recs := pollN(t, ctx, cons, 5)
	if cs := spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer); len(cs) != 0 {
		t.Errorf("%d CONSUMER spans under an unsampled caller, want none: %v", len(cs), names(cs))
	}
	if got := trace.SpanContextFromContext(kafkax.RecordContext(ctx, recs[0])); !got.Equal(csc) {
		t.Errorf("RecordContext = %v, want the caller's %v", got, csc)
	}
}

// TestBatchSpanTwoPartitions: records of two partitions in one span, which
// then has no partition key.
func TestBatchSpanTwoPartitions(t *testing.T) {
	for _, mode := range []semconv.Mode{semconv.Old, semconv.Dup} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, sdktrace.AlwaysSample())
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			e.addrs = c.ListenAddrs()
			prod := e.client(true, nil, kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
			cons := e.consumer(kafkax.WithBatchSpans(true), kafkax.WithSemconv(mode))
			// kfake usually answers one fetch with both partitions' new
			// records, but a fetch can land between the two partitions'
			// appends: then the records come in two polls (two spans of
			// one partition each). Try again with new records until one
			// poll holds both partitions.
			var (
				producers []trace.SpanContext
				get       trace.Span
				cs        tracetest.SpanStubs
			)
			for attempt := 1; ; attempt++ {
				e.exp.Reset()
				producers = produceBatch(t, e, prod, 6, 0, 1)
				var ctx context.Context
				ctx, get = e.tp.Tracer("test").Start(context.Background(), "GET /logs/kafka", trace.WithSpanKind(trace.SpanKindServer))
				recs := pollN(t, ctx, cons, 6)
				get.End()
				parts := map[int32]bool{}
				for _, r := range recs {
					parts[r.Partition] = true
				}
				if len(parts) != 2 {
					t.Fatalf("records from partitions %v, want 0 and 1", parts)
				}
				cs = spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer)
				if len(cs) == 1 {
					break
				}
				if attempt == 5 {
					t.Fatalf("%d CONSUMER spans in each of %d attempts, want 1 poll holding both partitions", len(cs), attempt)
				}
			}
			s := cs[0]
			if s.Parent.SpanID() != get.SpanContext().SpanID() {
				t.Errorf("parent %v, want GET /logs/kafka", s.Parent.SpanID())
			}
			assertLinkedTo(t, s, producers)
			got := map[string]attribute.Value{}
			for _, kv := range s.Attributes {
				got[string(kv.Key)] = kv.Value
			}
			for _, k := range []string{"messaging.kafka.partition", "messaging.destination.partition.id", "messaging.kafka.offset", "messaging.kafka.message.key"} {
				if v, ok := got[k]; ok {
					t.Errorf("%s = %v on a span of two partitions' records", k, v.String())
				}
			}
			if got["messaging.batch.message_count"] != i64(6) {
				t.Errorf("messaging.batch.message_count = %v, want 6", got["messaging.batch.message_count"].String())
			}
		})
	}
}
