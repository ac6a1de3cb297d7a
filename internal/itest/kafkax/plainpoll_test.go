package kafkax_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/kafkax"
)

// plainPollN polls with the client's own PollFetches, as an application
// that was never changed for kafkax does, until n records arrived.
func plainPollN(t *testing.T, cl *kgo.Client, n int) []*kgo.Record {
	t.Helper()
	var recs []*kgo.Record
	deadline := time.Now().Add(10 * time.Second)
	for len(recs) < n {
		pctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		for _, fe := range fs.Errors() {
			if fe.Err != context.DeadlineExceeded {
				t.Fatalf("poll: %v", fe.Err)
			}
		}
		recs = append(recs, fs.Records()...)
		if time.Now().After(deadline) {
			t.Fatalf("got %d records, want %d", len(recs), n)
		}
	}
	return recs
}

// producerOf returns the producer span context named by r's traceparent.
func producerOf(t *testing.T, r *kgo.Record) trace.SpanID {
	t.Helper()
	tp := header(r, "traceparent")
	if len(tp) != 55 {
		t.Fatalf("record %s: traceparent %q", r.Key, tp)
	}
	id, err := trace.SpanIDFromHex(tp[36:52])
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestPlainPollFetchesPerRecordSpans: a consumer calling cl.PollFetches
// itself gets one consume span per record, a child of the record's
// producer span, and RecordContext returns it.
func TestPlainPollFetchesPerRecordSpans(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	const n = 4
	producers := produceBatch(t, e, prod, n)
	recs := plainPollN(t, cons, n)

	cspans := spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer)
	if len(cspans) != n {
		t.Fatalf("%d CONSUMER spans, want %d (one per record)", len(cspans), n)
	}
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range cspans {
		byID[s.SpanContext.SpanID()] = s
	}
	for i, r := range recs {
		got := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), r))
		s, ok := byID[got.SpanID()]
		if !ok {
			t.Fatalf("record %d: RecordContext span %v is none of the consume spans", i, got.SpanID())
		}
		want := producerOf(t, r)
		if s.Parent.SpanID() != want || !s.Parent.IsRemote() || s.SpanContext.TraceID() != producers[0].TraceID() {
			t.Errorf("record %d: consume span parent %v, want its producer span %v (remote)", i, s.Parent.SpanID(), want)
		}
		if len(s.Links) != 0 {
			t.Errorf("record %d: links %v, want none", i, s.Links)
		}
		if s.Name != "kafka.consume" || !s.EndTime.After(s.StartTime) && !s.EndTime.Equal(s.StartTime) {
			t.Errorf("record %d: span %q from %v to %v", i, s.Name, s.StartTime, s.EndTime)
		}
		assertAttrs(t, s, map[string]attribute.Value{
			"messaging.system":               str("kafka"),
			"messaging.destination":          str(topic),
			"messaging.operation":            str("receive"),
			"messaging.kafka.partition":      i64(int64(r.Partition)),
			"messaging.kafka.offset":         i64(r.Offset),
			"messaging.kafka.message.key":    str(string(r.Key)),
			"messaging.kafka.consumer_group": str("logs-readers"),
			"messaging.kafka.client_id":      str("consumer-1"),
		})
	}
}

// TestPlainPollFetchesBatchSpans: with WithBatchSpans(true), a consumer
// calling cl.PollFetches itself gets one span per topic and poll, linked
// to every producer span, ended at the next poll; RecordContext returns it.
func TestPlainPollFetchesBatchSpans(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer(kafkax.WithBatchSpans(true))
	const n = 5
	producers := produceBatch(t, e, prod, n)
	recs := plainPollN(t, cons, n)
	if got := len(spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer)); got != 0 {
		// The batch of the latest poll is open until the next one.
		t.Logf("%d batch spans ended before the next poll (records came in several polls)", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	cons.PollFetches(ctx) // ends the batch spans of the previous poll
	cancel()

	cspans := spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer)
	if len(cspans) == 0 {
		t.Fatal("no batch span")
	}
	total, links := 0, 0
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range cspans {
		byID[s.SpanContext.SpanID()] = s
		links += len(s.Links)
		if s.Parent.IsValid() {
			t.Errorf("batch span parent %v, want a root (the poll's ctx has no span)", s.Parent.SpanID())
		}
		for _, kv := range s.Attributes {
			if kv.Key == "messaging.batch.message_count" {
				total += int(kv.Value.AsInt64())
			}
		}
	}
	if total != n || links != n {
		t.Errorf("batch spans count %d records with %d links, want %d of each", total, links, n)
	}
	if len(cspans) == 1 {
		assertLinkedTo(t, cspans[0], producers)
	}
	for i, r := range recs {
		got := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), r))
		if _, ok := byID[got.SpanID()]; !ok {
			t.Errorf("record %d: RecordContext span %v is not a batch span", i, got.SpanID())
		}
	}
}

// TestPlainPollUnsampledProducer: a record whose producer span was not
// sampled gets no consume span from a plain poll (ParentBased would drop
// it), and RecordContext still returns the producer's context.
func TestPlainPollUnsampledProducer(t *testing.T) {
	e := newEnv(t, sdktrace.ParentBased(sdktrace.AlwaysSample()))
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}})
	pctx := trace.ContextWithSpanContext(context.Background(), parent)
	if err := prod.ProduceSync(pctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	recs := plainPollN(t, cons, 1)
	if spans := e.exp.GetSpans(); len(spans) != 0 {
		t.Errorf("spans %v, want none under an unsampled producer", names(spans))
	}
	if got := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), recs[0])); got.TraceID() != parent.TraceID() || got.SpanID() != parent.SpanID() {
		t.Errorf("RecordContext = %v/%v, want the producer's %v/%v", got.TraceID(), got.SpanID(), parent.TraceID(), parent.SpanID())
	}
}

// TestKafkaxPollFetchesNeverTwice: records polled with kafkax.PollFetches,
// by several goroutines at once, get exactly one consume span each, the
// caller-parented one with a link to the producer, none from the hooks.
func TestKafkaxPollFetchesNeverTwice(t *testing.T) {
	for _, pollers := range []int{1, 4} {
		e := newEnv(t, sdktrace.AlwaysSample())
		prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
		cons := e.consumer()
		const n = 40
		produceBatch(t, e, prod, n)
		ctx, get := e.tp.Tracer("test").Start(context.Background(), "GET /logs/kafka", trace.WithSpanKind(trace.SpanKindServer))

		var mu sync.Mutex
		var recs []*kgo.Record
		var wg sync.WaitGroup
		deadline := time.Now().Add(10 * time.Second)
		for range pollers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					mu.Lock()
					done := len(recs) >= n
					mu.Unlock()
					if done {
						return
					}
					pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
					fs := kafkax.PollRecords(pctx, cons, 3)
					cancel()
					mu.Lock()
					recs = append(recs, fs.Records()...)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		get.End()
		if len(recs) != n {
			t.Fatalf("%d pollers: got %d records, want %d", pollers, len(recs), n)
		}
		cspans := spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer)
		if len(cspans) != n {
			t.Errorf("%d pollers: %d CONSUMER spans for %d records, want one each", pollers, len(cspans), n)
		}
		linked := map[trace.SpanID]int{}
		for _, s := range cspans {
			if s.Parent.SpanID() != get.SpanContext().SpanID() {
				t.Errorf("%d pollers: consume span parent %v, want the caller", pollers, s.Parent.SpanID())
			}
			for _, l := range s.Links {
				linked[l.SpanContext.SpanID()]++
			}
		}
		for _, r := range recs {
			if c := linked[producerOf(t, r)]; c != 1 {
				t.Errorf("%d pollers: record %s linked from %d consume spans, want 1", pollers, r.Key, c)
			}
			got := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), r))
			if got.TraceID() != get.SpanContext().TraceID() {
				t.Errorf("%d pollers: RecordContext trace %v, want the caller's", pollers, got.TraceID())
			}
		}
	}
}

// TestClientPolledBothWays: records of a client's own polls get hook spans
// until kafkax.PollFetches first polls it; from then on kafkax's spans
// only, one per record.
func TestClientPolledBothWays(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	produceBatch(t, e, prod, 2)
	plainPollN(t, cons, 2)
	if n := len(spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer)); n != 2 {
		t.Fatalf("%d consume spans from the plain poll, want 2", n)
	}
	e.exp.Reset()
	produceBatch(t, e, prod, 3)
	ctx, get := e.tp.Tracer("test").Start(context.Background(), "GET /logs/kafka")
	pollN(t, ctx, cons, 3)
	get.End()
	cspans := spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer)
	if len(cspans) != 3 {
		t.Errorf("%d consume spans from kafkax.PollFetches, want 3", len(cspans))
	}
	for _, s := range cspans {
		if s.Parent.SpanID() != get.SpanContext().SpanID() {
			t.Errorf("kafkax poll span parent %v, want the caller", s.Parent.SpanID())
		}
	}
	e.exp.Reset()
	produceBatch(t, e, prod, 2)
	e.exp.Reset()
	plainPollN(t, cons, 2) // after kafkax polled: no hook spans
	if n := len(spansOfKind(e.exp.GetSpans(), trace.SpanKindConsumer)); n != 0 {
		t.Errorf("%d consume spans from a plain poll after kafkax.PollFetches, want 0", n)
	}
}
