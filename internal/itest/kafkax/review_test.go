package kafkax_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/kafkax"
)

func tpOf(sc trace.SpanContext) string {
	return fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
}

// unsampledCtx returns a context with a valid, unsampled remote span
// context whose trace id encodes i.
func unsampledCtx(i int) (context.Context, trace.SpanContext) {
	var tid trace.TraceID
	var sid trace.SpanID
	tid[0], tid[14], tid[15] = 0xaa, byte(i>>8), byte(i)
	sid[0], sid[7] = 0xbb, byte(i)
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true})
	return trace.ContextWithSpanContext(context.Background(), sc), sc
}

func sendSet() attribute.Set {
	return attribute.NewSet(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination.name", topic),
		attribute.String("messaging.operation.name", "send"))
}

func recvSet() attribute.Set {
	return attribute.NewSet(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination.name", topic),
		attribute.String("messaging.operation.name", "receive"),
		attribute.String("messaging.consumer.group.name", "logs-readers"))
}

// TestReviewConcurrentMixedParents produces from many goroutines with
// sampled, unsampled and no parents, keeps the header slices seen in the
// promises, and checks that every record carries its own parent's or span's
// context (a produce state shared by two records would show as another
// record's bytes), on the wire and in the kept slices.
func TestReviewConcurrentMixedParents(t *testing.T) {
	for name, prop := range map[string]propagation.TextMapPropagator{
		"TraceContext": propagation.TraceContext{},
		"W3C pair":     propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, sdktrace.AlwaysSample())
			prod := e.client(true, []kafkax.Option{kafkax.WithPropagators(prop)}, kgo.DefaultProduceTopic(topic))
			cons := e.consumer(kafkax.WithPropagators(prop))
			tracer := e.tp.Tracer("test")

			const goroutines, per = 16, 48
			const n = goroutines * per
			parents := make([]trace.SpanContext, n) // invalid: no parent
			kept := make([][]kgo.RecordHeader, n)   // r.Headers as the promise saw them
			atAck := make([]string, n)              // their traceparent, copied then
			var wg, produced sync.WaitGroup
			produced.Add(n)
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range per {
						i := g*per + j
						ctx := context.Background()
						var span trace.Span
						switch i % 3 {
						case 0:
							ctx, span = tracer.Start(ctx, "parent")
							parents[i] = span.SpanContext()
						case 1:
							ctx, parents[i] = unsampledCtx(i)
						}
						r := &kgo.Record{Value: []byte(strconv.Itoa(i))}
						prod.Produce(ctx, r, func(r *kgo.Record, err error) {
							defer produced.Done()
							if err != nil {
								t.Errorf("record %d: %v", i, err)
								return
							}
							if r.Context != ctx {
								t.Errorf("record %d: Context not given back", i)
							}
							kept[i] = r.Headers
							atAck[i] = header(r, "traceparent")
						})
						if span != nil {
							span.End()
						}
					}
				}()
			}
			wg.Wait()
			produced.Wait()

			// More records through the same slabs.
			for i := range 200 {
				ctx, _ := unsampledCtx(5000 + i)
				if err := prod.ProduceSync(ctx, &kgo.Record{Value: []byte("extra")}).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
			for i := range n {
				if len(kept[i]) != 1 || kept[i][0].Key != "traceparent" || string(kept[i][0].Value) != atAck[i] {
					t.Fatalf("record %d: kept headers %q changed from %q", i, kept[i], atAck[i])
				}
			}

			spans := e.exp.GetSpans()
			byOffset := map[int64]tracetest.SpanStub{}
			for _, s := range spans {
				if s.SpanKind != trace.SpanKindProducer || s.Name != "kafka.produce" {
					continue
				}
				for _, kv := range s.Attributes {
					if kv.Key == "messaging.kafka.offset" {
						byOffset[kv.Value.AsInt64()] = s
					}
				}
			}
			if want := n - n/3; len(byOffset) != want {
				t.Errorf("%d produce spans, want %d (none under unsampled parents)", len(byOffset), want)
			}
			e.exp.Reset()

			recs := pollN(t, context.Background(), cons, n+200)
			seen := map[int]bool{}
			var consumedSampled int
			for _, r := range recs {
				i, err := strconv.Atoi(string(r.Value))
				if err != nil {
					continue // an extra record
				}
				seen[i] = true
				tp := header(r, "traceparent")
				if tp != atAck[i] {
					t.Errorf("record %d: traceparent on the wire %q, at the ack %q", i, tp, atAck[i])
				}
				rc := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), r))
				switch i % 3 {
				case 1:
					if tp != tpOf(parents[i].WithRemote(false)) {
						t.Errorf("record %d: traceparent %q, want its unsampled parent's %q", i, tp, tpOf(parents[i]))
					}
					if _, ok := byOffset[r.Offset]; ok {
						t.Errorf("record %d: produce span under an unsampled parent", i)
					}
					if rc.SpanID() != parents[i].SpanID() || rc.TraceID() != parents[i].TraceID() || rc.IsSampled() {
						t.Errorf("record %d: RecordContext %v, want the unsampled parent's", i, rc)
					}
				default:
					consumedSampled++
					ps, ok := byOffset[r.Offset]
					if !ok {
						t.Errorf("record %d (offset %d): no produce span", i, r.Offset)
						continue
					}
					if tp != tpOf(ps.SpanContext) {
						t.Errorf("record %d: traceparent %q, want its produce span's %q", i, tp, tpOf(ps.SpanContext))
					}
					if ps.Parent.SpanID() != parents[i].SpanID() || (parents[i].IsValid() && ps.SpanContext.TraceID() != parents[i].TraceID()) {
						t.Errorf("record %d: produce span parent %v, want %v", i, ps.Parent, parents[i])
					}
					if rc.TraceID() != ps.SpanContext.TraceID() || !rc.IsSampled() {
						t.Errorf("record %d: RecordContext %v, want the produce span's trace", i, rc)
					}
				}
			}
			if len(seen) != n {
				t.Errorf("consumed %d distinct records, want %d", len(seen), n)
			}
			var consumeSpans int
			for _, s := range e.exp.GetSpans() {
				if s.SpanKind == trace.SpanKindConsumer {
					consumeSpans++
				}
			}
			if consumeSpans != consumedSampled {
				t.Errorf("%d consume spans, want %d (none for unsampled producers)", consumeSpans, consumedSampled)
			}

			// Every record is counted, span or not.
			rm := collect(t, e.reader)
			if got := counter(t, rm, "messaging.client.sent.messages", sendSet()); got != n+200 {
				t.Errorf("sent.messages = %d, want %d", got, n+200)
			}
			if got := counter(t, rm, "messaging.client.consumed.messages", recvSet()); got != int64(len(recs)) {
				t.Errorf("consumed.messages = %d, want %d", got, len(recs))
			}
			if got := histCount(t, rm, "messaging.client.operation.duration", sendSet()); got != n+200 {
				t.Errorf("operation.duration{send} count = %d, want %d", got, n+200)
			}
		})
	}
}

// TestReviewProduceTwice produces a record, then the same record again
// under another parent: its trace context header is replaced, not
// appended, and the user's own header stays.
func TestReviewProduceTwice(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()

	r := &kgo.Record{Value: []byte("v"), Headers: []kgo.RecordHeader{{Key: "app", Value: []byte("x")}}}
	if err := prod.ProduceSync(context.Background(), r).FirstErr(); err != nil {
		t.Fatal(err)
	}
	first := header(r, "traceparent")
	ps := spanNamed(t, e.exp.GetSpans(), "kafka.produce", trace.SpanKindProducer)
	if first != tpOf(ps.SpanContext) {
		t.Fatalf("first traceparent %q, want %q", first, tpOf(ps.SpanContext))
	}
	ctx, psc := unsampledCtx(1)
	r.Context = nil // given back as context.Background: let Produce set it
	if err := prod.ProduceSync(ctx, r).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if len(r.Headers) != 2 || r.Headers[0].Key != "app" || r.Headers[1].Key != "traceparent" {
		t.Fatalf("headers %q, want app and one traceparent", r.Headers)
	}
	if got := header(r, "traceparent"); got != tpOf(psc.WithRemote(false)) {
		t.Errorf("second traceparent %q, want the unsampled parent's %q", got, tpOf(psc))
	}
	if n := len(e.exp.GetSpans()); n != 1 {
		t.Errorf("%d spans, want only the first produce's", n)
	}
	recs := pollN(t, context.Background(), cons, 2)
	if got := header(recs[0], "traceparent"); got != first {
		t.Errorf("first record on the wire %q, want %q", got, first)
	}
	if got := header(recs[1], "traceparent"); got != tpOf(psc.WithRemote(false)) || len(recs[1].Headers) != 2 {
		t.Errorf("second record on the wire %q (%d headers)", got, len(recs[1].Headers))
	}
}

// TestReviewCanceledBeforeSend produces under an already cancelled
// context: the promise gets the error, the record its context back, the
// span (when there is one) status ERROR, and the failure is counted.
func TestReviewCanceledBeforeSend(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run(fmt.Sprintf("sampled=%v", sampled), func(t *testing.T) {
			e := newEnv(t, sdktrace.AlwaysSample())
			prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
			var parent context.Context
			var psc trace.SpanContext
			if sampled {
				var span trace.Span
				parent, span = e.tp.Tracer("test").Start(context.Background(), "parent")
				psc = span.SpanContext()
				defer span.End()
			} else {
				parent, psc = unsampledCtx(7)
			}
			ctx, cancel := context.WithCancel(parent)
			cancel()
			r := &kgo.Record{Value: []byte("v")}
			err := prod.ProduceSync(ctx, r).FirstErr()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("produce error %v, want context.Canceled", err)
			}
			if r.Context != ctx {
				t.Error("record's Context not given back")
			}
			spans := e.exp.GetSpans()
			if !sampled {
				if len(spans) != 0 {
					t.Errorf("%d spans under an unsampled parent", len(spans))
				}
				if got := header(r, "traceparent"); got != tpOf(psc.WithRemote(false)) {
					t.Errorf("traceparent %q, want the parent's", got)
				}
			} else {
				ps := spanNamed(t, spans, "kafka.produce", trace.SpanKindProducer)
				if ps.Status.Code != codes.Error || ps.Parent.SpanID() != psc.SpanID() {
					t.Errorf("produce span status %v parent %v", ps.Status, ps.Parent)
				}
			}
			send := sendSet()
			failed := attribute.NewSet(append(send.ToSlice(), attribute.String("error.type", "canceled"))...)
			rm := collect(t, e.reader)
			if got := counter(t, rm, "messaging.client.sent.messages", failed); got != 1 {
				t.Errorf("sent.messages{error.type=canceled} = %d, want 1", got)
			}
			if got := histCount(t, rm, "messaging.client.operation.duration", failed); got != 1 {
				t.Errorf("operation.duration{error.type=canceled} count = %d, want 1", got)
			}
		})
	}
}

// TestReviewForwardUnsampledRecord consumes a record whose producer was
// not sampled, without a caller span, and produces the record itself again
// (kgo then keeps its Context): the copy carries the same unsampled trace
// and no span is started under a sampler that would record a root.
func TestReviewForwardUnsampledRecord(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	ctx, psc := unsampledCtx(3)
	if err := prod.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	in := pollN(t, context.Background(), cons, 1)[0]
	if err := cons.ProduceSync(kafkax.RecordContext(context.Background(), in), in).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if spans := e.exp.GetSpans(); len(spans) != 0 {
		t.Errorf("spans %v, want none: the forwarded record's parent is not sampled", names(spans))
	}
	again := pollN(t, context.Background(), cons, 1)[0]
	if got := header(again, "traceparent"); got != tpOf(psc.WithRemote(false)) {
		t.Errorf("forwarded traceparent %q, want the producer's %q", got, tpOf(psc))
	}
}

// TestReviewUnsampledCallerCountsRecords polls under an unsampled caller
// span: no consume span, RecordContext is the caller's, and the records
// and the poll are still measured.
func TestReviewUnsampledCallerCountsRecords(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	for range 3 {
		if err := prod.ProduceSync(context.Background(), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	e.exp.Reset()
	caller, csc := unsampledCtx(9)
	recs := pollN(t, caller, cons, 3)
	if spans := e.exp.GetSpans(); len(spans) != 0 {
		t.Errorf("spans %v under an unsampled caller, want none", names(spans))
	}
	for _, r := range recs {
		if got := trace.SpanContextFromContext(kafkax.RecordContext(caller, r)); !got.Equal(csc) {
			t.Errorf("RecordContext %v, want the caller's %v", got, csc)
		}
	}
	rm := collect(t, e.reader)
	if got := counter(t, rm, "messaging.client.consumed.messages", recvSet()); got != 3 {
		t.Errorf("consumed.messages = %d, want 3", got)
	}
	if got := histCount(t, rm, "messaging.client.operation.duration", recvSet()); got < 1 {
		t.Errorf("operation.duration{receive} count = %d, want >= 1", got)
	}
}
