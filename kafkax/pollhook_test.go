package kafkax

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// plainPoll runs the hooks kgo calls for one poll of the client's own
// PollFetches returning recs.
func plainPollOf(h *hooks, ctx context.Context, recs ...*kgo.Record) {
	h.OnPollStart(ctx)
	for _, r := range recs {
		h.OnFetchRecordUnbuffered(r, true)
	}
}

// TestPlainPollSpans: the hooks of a client's own poll give each record a
// consume span parented by its producer (sampled), none when the producer
// is not sampled, and leave alone discarded records and every record of a
// client that kafkax polled.
func TestPlainPollSpans(t *testing.T) {
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithConsumerGroup("g"))
	sampled, unsampled := producerSC(1, true), producerSC(2, false)
	rs := batchRecord("orders", 1, 7, sampled)
	ru := batchRecord("orders", 1, 8, unsampled)
	rd := batchRecord("orders", 1, 9, sampled)
	h.OnPollStart(context.Background())
	h.OnFetchRecordUnbuffered(rs, true)
	h.OnFetchRecordUnbuffered(ru, true)
	h.OnFetchRecordUnbuffered(rd, false) // discarded, not polled

	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1 (the sampled producer's record)", len(spans))
	}
	s := spans[0]
	if s.Parent.SpanID() != sampled.SpanID() || s.SpanContext.TraceID() != sampled.TraceID() || s.SpanKind != trace.SpanKindConsumer {
		t.Errorf("span parent %v kind %v, want the producer %v, CONSUMER", s.Parent.SpanID(), s.SpanKind, sampled.SpanID())
	}
	if a := attrMap(s.Attributes); a["messaging.kafka.offset"].AsInt64() != 7 || a["messaging.kafka.consumer_group"].AsString() != "g" {
		t.Errorf("attributes %v", s.Attributes)
	}
	if got := trace.SpanContextFromContext(RecordContext(context.Background(), rs)); !got.Equal(s.SpanContext) {
		t.Errorf("RecordContext(sampled) = %v, want the consume span", got.SpanID())
	}
	if got := trace.SpanContextFromContext(RecordContext(context.Background(), ru)); !got.Equal(unsampled) {
		t.Errorf("RecordContext(unsampled) = %v, want the producer's %v", got, unsampled)
	}
	if rd.Context != nil {
		t.Errorf("discarded record got a context")
	}

	// Once kafkax has polled the client, its hooks start nothing and do
	// not touch the records.
	exp.Reset()
	h.kafkaxPolls.Store(true)
	r := batchRecord("orders", 1, 10, sampled)
	plainPollOf(h, context.Background(), r)
	if n := len(exp.GetSpans()); n != 0 || r.Context != nil {
		t.Errorf("after a kafkax poll: %d spans, record context %v; want none", n, r.Context)
	}
}

// TestPlainPollBatchSpans: with WithBatchSpans(true), the records of one
// plain poll share one span per topic, a child of the poll's ctx span,
// ended at the next poll (at the last record's hand-over) or at close.
func TestPlainPollBatchSpans(t *testing.T) {
	h, exp := batchHooks(t, sdktrace.NewSpanLimits())
	ctx, caller := sdktrace.NewTracerProvider().Tracer("t").Start(context.Background(), "job")
	a1 := batchRecord("a", 0, 1, producerSC(1, true))
	a2 := batchRecord("a", 1, 2, producerSC(2, true))
	b1 := batchRecord("b", 0, 3, producerSC(3, true))
	plainPollOf(h, ctx, a1, a2, b1)
	if n := len(exp.GetSpans()); n != 0 {
		t.Fatalf("%d spans ended during the poll, want none before the next", n)
	}
	if RecordContext(context.Background(), a1) == nil || trace.SpanFromContext(a1.Context) != trace.SpanFromContext(a2.Context) {
		t.Errorf("records of one topic do not share the batch span")
	}
	h.OnPollStart(context.Background()) // the next poll ends them
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2 (one per topic)", len(spans))
	}
	for _, s := range spans {
		if s.Parent.SpanID() != caller.SpanContext().SpanID() {
			t.Errorf("%s: parent %v, want the poll's ctx span", s.Name, s.Parent.SpanID())
		}
		a := attrMap(s.Attributes)
		switch s.Name {
		case "kafka.consume":
		default:
			t.Errorf("name %q", s.Name)
		}
		n := a["messaging.batch.message_count"].AsInt64()
		_, hasPartition := a["messaging.kafka.partition"]
		if len(s.Links) != int(n) || (n == 2) == hasPartition {
			t.Errorf("count %d, links %d, partition %v", n, len(s.Links), hasPartition)
		}
		if got := trace.SpanContextFromContext(RecordContext(context.Background(), b1)); n == 1 && !got.Equal(s.SpanContext) {
			t.Errorf("RecordContext(b1) = %v, want its batch span", got.SpanID())
		}
	}
	exp.Reset()
	plainPollOf(h, context.Background(), batchRecord("a", 0, 4, producerSC(4, true)))
	h.OnClientClosed(nil)
	if n := len(exp.GetSpans()); n != 1 {
		t.Errorf("%d spans after close, want the open batch ended", n)
	}
}

// TestPlainPollUnsampledAllocs: a plain poll of records whose producer is
// not sampled costs kafkax about no allocation per record (the consumed
// counter included), as kafkax.PollFetches does.
func TestPlainPollUnsampledAllocs(t *testing.T) {
	for _, batch := range []bool{false, true} {
		h, _ := testHooks(t, sdktrace.ParentBased(sdktrace.AlwaysSample()), WithBatchSpans(batch),
			WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})))
		const n = 500
		recs := make([]*kgo.Record, n)
		for i := range recs {
			recs[i] = batchRecord("orders", 0, int64(i), producerSC(i, false))
		}
		caller, _ := unsampledParent(true)
		allocs := testing.AllocsPerRun(20, func() {
			for _, r := range recs {
				r.Context = nil
			}
			ctx := context.Background()
			if batch {
				ctx = caller
			}
			plainPollOf(h, ctx, recs...)
		})
		if perRecord := allocs / n; perRecord > 0.05 {
			t.Errorf("batch %v: %.3f allocations per record (%.0f per poll of %d), want about none", batch, perRecord, allocs, n)
		}
	}
}

// TestPlainPollConcurrent: hooks called from several goroutines (kgo may
// run one poll's unbuffered hooks on another poller) race on nothing
// (run with -race) and give every sampled record one span.
func TestPlainPollConcurrent(t *testing.T) {
	for _, batch := range []bool{false, true} {
		h, exp := testHooks(t, sdktrace.AlwaysSample(), WithBatchSpans(batch))
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					plainPollOf(h, context.Background(), batchRecord("orders", int32(g), int64(i), producerSC(g*100+i, true)))
				}
			}()
		}
		wg.Wait()
		h.OnClientClosed(nil)
		links, spans := 0, exp.GetSpans()
		for _, s := range spans {
			links += len(s.Links)
		}
		if !batch && len(spans) != 200 || batch && links != 200 {
			t.Errorf("batch %v: %d spans with %d links for 200 records", batch, len(spans), links)
		}
	}
}

// recordingSampler records the attributes of each ShouldSample call.
type recordingSampler struct {
	mu    sync.Mutex
	attrs [][]attribute.KeyValue
}

func (s *recordingSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.mu.Lock()
	s.attrs = append(s.attrs, p.Attributes)
	s.mu.Unlock()
	return sdktrace.AlwaysSample().ShouldSample(p)
}
func (s *recordingSampler) Description() string { return "recording" }

// TestStartHooksReachTheSampler: the attributes of WithProduceHook and
// WithConsumeHook are in the sampler's parameters and on the span, for
// produced records and for records consumed by kafkax's poll and by the
// client's own; the hooks get the record and its parent context.
func TestStartHooksReachTheSampler(t *testing.T) {
	sampler := &recordingSampler{}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sampler))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	var gotParents []trace.SpanContext
	hook := func(side string) StartHook {
		return func(ctx context.Context, r *kgo.Record) []attribute.KeyValue {
			gotParents = append(gotParents, trace.SpanContextFromContext(ctx))
			return []attribute.KeyValue{attribute.String("app.side", side), attribute.String("app.tenant", string(r.Key))}
		}
	}
	h := newHooks(newConfig([]Option{WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(propagation.TraceContext{}),
		WithProduceHook(hook("produce")), WithConsumeHook(hook("consume"))}))

	pctx, parent := tp.Tracer("t").Start(context.Background(), "POST")
	sampler.attrs = nil
	r := &kgo.Record{Topic: "orders", Key: []byte("acme"), Context: pctx}
	h.OnProduceRecordBuffered(r)
	h.OnProduceRecordUnbuffered(r, nil)
	in := &kgo.Record{Topic: "orders", Key: []byte("acme"), Headers: r.Headers}
	h.pollDone(context.Background(), oneFetch(in), time.Now(), time.Now())
	in2 := &kgo.Record{Topic: "orders", Key: []byte("acme"), Headers: r.Headers}
	plainPollOf(h, context.Background(), in2)

	if len(sampler.attrs) != 3 {
		t.Fatalf("sampler asked %d times, want 3", len(sampler.attrs))
	}
	for i, side := range []string{"produce", "consume", "consume"} {
		a := attrMap(sampler.attrs[i])
		if a["app.side"].AsString() != side || a["app.tenant"].AsString() != "acme" {
			t.Errorf("call %d: sampler saw %v, want app.side=%s app.tenant=acme", i, sampler.attrs[i], side)
		}
	}
	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3 (POST is not ended)", len(spans))
	}
	for _, s := range spans {
		if attrMap(s.Attributes)["app.tenant"].AsString() != "acme" {
			t.Errorf("%s: hook attributes not on the span: %v", s.Name, s.Attributes)
		}
	}
	if !gotParents[0].Equal(parent.SpanContext()) || gotParents[1].SpanID() != spans[0].SpanContext.SpanID() || gotParents[2].SpanID() != spans[0].SpanContext.SpanID() {
		t.Errorf("hook parents %v, want POST then the produce span twice", gotParents)
	}
}

// TestStartHookNotCalledWithoutSpan: no span started (unsampled parent),
// no hook call; a hook returning nothing costs no start option.
func TestStartHookNotCalledWithoutSpan(t *testing.T) {
	calls := 0
	hook := func(context.Context, *kgo.Record) []attribute.KeyValue { calls++; return nil }
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithProduceHook(hook), WithConsumeHook(hook))
	parent, _ := unsampledParent(false)
	r := &kgo.Record{Topic: "orders", Context: parent}
	h.OnProduceRecordBuffered(r)
	h.OnProduceRecordUnbuffered(r, nil)
	h.pollDone(context.Background(), oneFetch(&kgo.Record{Topic: "orders", Headers: r.Headers}), time.Now(), time.Now())
	plainPollOf(h, context.Background(), &kgo.Record{Topic: "orders", Headers: r.Headers})
	if calls != 0 || len(exp.GetSpans()) != 0 {
		t.Errorf("%d hook calls, %d spans under an unsampled parent; want none", calls, len(exp.GetSpans()))
	}
}

// TestEndHook: the end hook sees every recorded span before its end, with
// the record and the error: a failed produce (after kafkax set the
// status), a consumed record, a batch span and a failed poll (no record).
func TestEndHook(t *testing.T) {
	type call struct {
		name   string
		r      *kgo.Record
		err    error
		status codes.Code
	}
	var calls []call
	end := func(span trace.Span, r *kgo.Record, err error) {
		ro := span.(sdktrace.ReadOnlySpan)
		if !span.IsRecording() {
			t.Error("end hook called with an ended or unrecorded span")
		}
		span.SetAttributes(attribute.Bool("app.ended", true))
		calls = append(calls, call{ro.Name(), r, err, ro.Status().Code})
	}
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithEndHook(end))
	failed := &kgo.Record{Topic: "orders", Context: context.Background()}
	perr := errors.New("produce: boom")
	h.OnProduceRecordBuffered(failed)
	h.OnProduceRecordUnbuffered(failed, perr)
	if len(calls) != 1 || calls[0].r != failed || !errors.Is(calls[0].err, perr) || calls[0].status != codes.Error {
		t.Fatalf("produce: calls %+v, want the failed record, its error and status Error", calls)
	}

	in := &kgo.Record{Topic: "orders", Headers: failed.Headers}
	h.pollDone(context.Background(), oneFetch(in), time.Now(), time.Now())
	in2 := &kgo.Record{Topic: "orders", Headers: failed.Headers}
	plainPollOf(h, context.Background(), in2)
	if len(calls) != 3 || calls[1].r != in || calls[1].err != nil || calls[2].r != in2 {
		t.Fatalf("consume: calls %+v", calls)
	}
	pollErr := kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "orders", Partitions: []kgo.FetchPartition{{Partition: 1, Err: kerr.TopicAuthorizationFailed}}}}}}
	h.pollDone(context.Background(), pollErr, time.Now(), time.Now())
	if len(calls) != 4 || calls[3].r != nil || !errors.Is(calls[3].err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("poll error: calls %+v", calls)
	}
	for _, s := range exp.GetSpans() {
		if !attrMap(s.Attributes)["app.ended"].AsBool() {
			t.Errorf("%s: attribute of the end hook missing", s.Name)
		}
	}

	hb, _ := batchHooks(t, sdktrace.NewSpanLimits())
	hb.cfg.endHook = end
	calls = nil
	hb.pollDone(context.Background(), oneFetch(&kgo.Record{Topic: "orders", Headers: failed.Headers}), time.Now(), time.Now())
	plainPollOf(hb, context.Background(), &kgo.Record{Topic: "orders", Headers: failed.Headers})
	hb.OnClientClosed(nil)
	if len(calls) != 2 || calls[0].r != nil || calls[1].r != nil {
		t.Errorf("batch: calls %+v, want two without a record", calls)
	}
}

// BenchmarkPlainPollHooks: the hooks' cost per record of a client's own
// poll, producer sampled or not.
func BenchmarkPlainPollHooks(b *testing.B) {
	for _, sampled := range []bool{false, true} {
		b.Run(map[bool]string{false: "unsampled", true: "sampled"}[sampled], func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			h := newHooks(newConfig([]Option{WithTracerProvider(tp), WithMeterProvider(mp),
				WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))}))
			r := batchRecord("orders", 0, 1, producerSC(1, sampled))
			h.OnPollStart(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				r.Context = nil
				h.OnFetchRecordUnbuffered(r, true)
			}
		})
	}
}

// TestPlainPollSamplerForEveryRecord: WithSamplerForEveryRecord(true)
// asks the sampler about a plain poll's record whose producer is not
// sampled too, and the span is the producer's child.
func TestPlainPollSamplerForEveryRecord(t *testing.T) {
	for _, ask := range []bool{false, true} {
		h, exp := testHooks(t, sdktrace.AlwaysSample(), WithSamplerForEveryRecord(ask))
		sc := producerSC(1, false)
		r := batchRecord("orders", 0, 1, sc)
		plainPollOf(h, context.Background(), r)
		spans := exp.GetSpans()
		if !ask && len(spans) != 0 || ask && (len(spans) != 1 || spans[0].Parent.SpanID() != sc.SpanID()) {
			t.Errorf("ask %v: %d spans, want %d under the producer", ask, len(spans), map[bool]int{false: 0, true: 1}[ask])
		}
		if got := trace.SpanContextFromContext(RecordContext(context.Background(), r)); got.TraceID() != sc.TraceID() {
			t.Errorf("ask %v: RecordContext trace %v, want the producer's", ask, got.TraceID())
		}
	}
}
