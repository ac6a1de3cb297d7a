package kafkax

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// oneFetch returns a fetch of recs on topic orders, partition 0.
func oneFetch(recs ...*kgo.Record) kgo.Fetches {
	return kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "orders", Partitions: []kgo.FetchPartition{
		{Partition: 0, Records: recs},
	}}}}}
}

func traceparentOf(sc trace.SpanContext) string {
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()
}

// TestReviewForwardUnsampledConsumedRecord: a record consumed without a
// caller span, whose producer was not sampled, and produced again as it is
// (forwarded to another topic) keeps the producer's unsampled trace: kgo
// uses the record's Context, not the Produce ctx, since it is set.
func TestReviewForwardUnsampledConsumedRecord(t *testing.T) {
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithPropagators(prop))
	_, psc := unsampledParent(true)
	in := &kgo.Record{Topic: "orders", Headers: []kgo.RecordHeader{
		{Key: traceparentHeader, Value: []byte(traceparentOf(psc))},
		{Key: "baggage", Value: []byte("user=alice")},
	}}
	h.pollDone(context.Background(), oneFetch(in), time.Now(), time.Now())
	if n := len(exp.GetSpans()); n != 0 {
		t.Fatalf("%d consume spans under an unsampled producer", n)
	}

	// Forward: kgo keeps r.Context since it is set.
	in.Topic = "orders-copy"
	h.OnProduceRecordBuffered(in)
	h.OnProduceRecordUnbuffered(in, nil)
	if spans := exp.GetSpans(); len(spans) != 0 {
		t.Errorf("forwarding an unsampled record started %d spans (trace %v, parent %v), want none",
			len(spans), spans[0].SpanContext.TraceID(), spans[0].Parent)
	}
	if got := headerValue(in, traceparentHeader); got != traceparentOf(psc) {
		t.Errorf("forwarded traceparent %q, want the producer's %q", got, traceparentOf(psc))
	}
	if got := headerValue(in, "baggage"); got != "user=alice" {
		t.Errorf("forwarded baggage %q, want user=alice", got)
	}
	if len(in.Headers) != 2 {
		t.Errorf("headers %v, want traceparent and baggage only", in.Headers)
	}
}

// TestReviewForwardSampledConsumedRecord is the sampled counterpart: the
// forwarded record's produce span is a child of the consume span.
func TestReviewForwardSampledConsumedRecord(t *testing.T) {
	h, exp := testHooks(t, sdktrace.AlwaysSample())
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{8}, TraceFlags: trace.FlagsSampled, Remote: true})
	in := &kgo.Record{Topic: "orders", Headers: []kgo.RecordHeader{{Key: traceparentHeader, Value: []byte(traceparentOf(sc))}}}
	h.pollDone(context.Background(), oneFetch(in), time.Now(), time.Now())
	in.Topic = "orders-copy"
	h.OnProduceRecordBuffered(in)
	h.OnProduceRecordUnbuffered(in, nil)
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want consume and produce", len(spans))
	}
	cons, prod := spans[0], spans[1]
	if cons.SpanKind != trace.SpanKindConsumer || prod.SpanKind != trace.SpanKindProducer {
		t.Fatalf("kinds %v, %v", cons.SpanKind, prod.SpanKind)
	}
	if prod.Parent.SpanID() != cons.SpanContext.SpanID() || prod.SpanContext.TraceID() != sc.TraceID() {
		t.Errorf("forwarded produce span parent %v, want the consume span %v", prod.Parent, cons.SpanContext)
	}
	if got := headerValue(in, traceparentHeader); got != traceparentOf(prod.SpanContext) {
		t.Errorf("traceparent %q, want the produce span's", got)
	}
}

// TestReviewProduceTwiceDropsStaleTracestate: a record produced under a
// parent with a trace state, acknowledged, and produced again under one
// without must not carry the first trace's tracestate with the second
// traceparent.
func TestReviewProduceTwiceDropsStaleTracestate(t *testing.T) {
	for name, prop := range map[string]propagation.TextMapPropagator{
		"TraceContext": propagation.TraceContext{},
		"W3C pair":     propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	} {
		t.Run(name, func(t *testing.T) {
			h, _ := testHooks(t, sdktrace.AlwaysSample(), WithPropagators(prop))
			ts, err := trace.ParseTraceState("vendor=abc")
			if err != nil {
				t.Fatal(err)
			}
			p1 := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceState: ts}))
			r := &kgo.Record{Topic: "orders", Context: p1}
			h.OnProduceRecordBuffered(r)
			h.OnProduceRecordUnbuffered(r, nil)
			if got := headerValue(r, tracestateHeader); got != "vendor=abc" {
				t.Fatalf("tracestate %q after the first produce", got)
			}
			p2, psc := unsampledParent(false)
			r.Context = p2
			h.OnProduceRecordBuffered(r)
			h.OnProduceRecordUnbuffered(r, nil)
			if got := headerValue(r, traceparentHeader); got != traceparentOf(psc) {
				t.Errorf("traceparent %q, want %q", got, traceparentOf(psc))
			}
			got := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), (*recordCarrier)(r)))
			if got.TraceState().Len() != 0 {
				t.Errorf("second produce carries the first trace's tracestate %q", got.TraceState())
			}
			for _, hd := range r.Headers {
				if hd.Key == traceparentHeader && string(hd.Value) != traceparentOf(psc) {
					t.Errorf("duplicate traceparent header %q", hd.Value)
				}
			}
		})
	}
}

// TestReviewBaggageOnlyPropagator: with a Baggage propagator alone, the
// consumer does not parse traceparent, starts a new trace, carries the
// baggage, and does not report an unparsable trace context.
func TestReviewBaggageOnlyPropagator(t *testing.T) {
	var logs bytes.Buffer
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithPropagators(propagation.Baggage{}),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	parent, psc := unsampledParent(false)
	member, _ := baggage.NewMember("user", "alice")
	bag, _ := baggage.New(member)
	out := &kgo.Record{Topic: "orders", Context: baggage.ContextWithBaggage(parent, bag)}
	h.OnProduceRecordBuffered(out)
	h.OnProduceRecordUnbuffered(out, nil)
	if len(exp.GetSpans()) != 0 || len(out.Headers) != 1 || out.Headers[0].Key != "baggage" || string(out.Headers[0].Value) != "user=alice" {
		t.Fatalf("produced headers %q (%d spans), want only baggage user=alice and no span", out.Headers, len(exp.GetSpans()))
	}
	in := &kgo.Record{Topic: "orders", Headers: []kgo.RecordHeader{
		{Key: traceparentHeader, Value: []byte(traceparentOf(psc))},
		{Key: "baggage", Value: []byte("user=alice")},
	}}
	h.pollDone(context.Background(), oneFetch(in), time.Now(), time.Now())
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want one consume span (the unsampled traceparent is not read)", len(spans))
	}
	if spans[0].Parent.IsValid() || spans[0].SpanContext.TraceID() == psc.TraceID() {
		t.Errorf("consume span parent %v, want a new trace", spans[0].Parent)
	}
	ctx := RecordContext(context.Background(), in)
	if got := baggage.FromContext(ctx).Member("user").Value(); got != "alice" {
		t.Errorf("RecordContext baggage user = %q, want alice", got)
	}
	if got := trace.SpanContextFromContext(ctx); got.SpanID() != spans[0].SpanContext.SpanID() {
		t.Errorf("RecordContext span %v, want the consume span", got)
	}
	if strings.Contains(logs.String(), "unparsable") {
		t.Errorf("baggage reported as an unparsable trace context: %s", logs.String())
	}
}

// TestReviewBaggageWithoutTraceparentIsNotMalformed: the W3C pair, a record
// with baggage and no traceparent (a producer without tracing): no debug
// log about an unparsable trace context.
func TestReviewBaggageWithoutTraceparentIsNotMalformed(t *testing.T) {
	var logs bytes.Buffer
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithPropagators(prop),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	in := &kgo.Record{Topic: "orders", Headers: []kgo.RecordHeader{{Key: "baggage", Value: []byte("user=alice")}}}
	h.pollDone(context.Background(), oneFetch(in), time.Now(), time.Now())
	if len(exp.GetSpans()) != 1 {
		t.Fatalf("%d spans, want one", len(exp.GetSpans()))
	}
	if strings.Contains(logs.String(), "unparsable") {
		t.Errorf("baggage reported as an unparsable trace context: %s", logs.String())
	}
	// A malformed traceparent still is.
	logs.Reset()
	bad := &kgo.Record{Topic: "orders", Headers: []kgo.RecordHeader{{Key: traceparentHeader, Value: []byte("00-xyz-01")}}}
	h.pollDone(context.Background(), oneFetch(bad), time.Now(), time.Now())
	if !strings.Contains(logs.String(), "header=traceparent") || !strings.Contains(logs.String(), "offset=0") {
		t.Errorf("no debug log for a malformed traceparent: %q", logs.String())
	}
}

// TestReviewMalformedTraceparentUnsampledCaller: an unsampled caller drops
// the record's span (no log: the header is not read); with
// WithSamplerForEveryRecord and a sampler that records it, the span is the
// caller's child, without link, and the header is reported.
func TestReviewMalformedTraceparentUnsampledCaller(t *testing.T) {
	for _, ask := range []bool{false, true} {
		var logs bytes.Buffer
		opts := []Option{WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))}
		if ask {
			opts = append(opts, WithSamplerForEveryRecord(true))
		}
		h, exp := testHooks(t, sdktrace.AlwaysSample(), opts...)
		caller, csc := unsampledParent(false)
		in := &kgo.Record{Topic: "orders", Headers: []kgo.RecordHeader{{Key: traceparentHeader, Value: []byte("00-zz-01")}}}
		h.pollDone(caller, oneFetch(in), time.Now(), time.Now())
		spans := exp.GetSpans()
		ctx := RecordContext(caller, in)
		if !ask {
			if len(spans) != 0 || logs.Len() != 0 {
				t.Errorf("default: spans %d, logs %q; want none", len(spans), logs.String())
			}
			if got := trace.SpanContextFromContext(ctx); !got.Equal(csc) {
				t.Errorf("RecordContext %v, want the caller's", got)
			}
			continue
		}
		if len(spans) != 1 || spans[0].Parent.SpanID() != csc.SpanID() || len(spans[0].Links) != 0 || spans[0].SpanKind != trace.SpanKindConsumer {
			t.Fatalf("spans %+v, want one CONSUMER span under the caller without link", spans)
		}
		if !strings.Contains(logs.String(), "header=traceparent") {
			t.Errorf("no debug log: %q", logs.String())
		}
		if got := trace.SpanContextFromContext(ctx); got.SpanID() != spans[0].SpanContext.SpanID() {
			t.Errorf("RecordContext %v, want the consume span", got)
		}
	}
}

// TestReviewUnsampledCallerAskAlwaysParentBased: an unsampled caller with
// WithSamplerForEveryRecord and a ParentBased sampler: no span, the record
// context is the caller's.
func TestReviewUnsampledCallerAskAlwaysParentBased(t *testing.T) {
	h, exp := testHooks(t, sdktrace.ParentBased(sdktrace.AlwaysSample()), WithSamplerForEveryRecord(true))
	caller, csc := unsampledParent(false)
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{8}, TraceFlags: trace.FlagsSampled, Remote: true})
	in := &kgo.Record{Topic: "orders", Headers: []kgo.RecordHeader{{Key: traceparentHeader, Value: []byte(traceparentOf(sc))}}}
	h.pollDone(caller, oneFetch(in), time.Now(), time.Now())
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("%d spans under an unsampled caller", n)
	}
	if got := trace.SpanContextFromContext(RecordContext(caller, in)); !got.Equal(csc) {
		t.Errorf("RecordContext %v, want the caller's %v", got, csc)
	}
}

// prefixProp is a non-W3C propagator: TraceContext under header names
// prefixed with x-.
type prefixProp struct{}

type prefixCarrier struct{ propagation.TextMapCarrier }

func (c prefixCarrier) Get(k string) string { return c.TextMapCarrier.Get("x-" + k) }
func (c prefixCarrier) Set(k, v string)     { c.TextMapCarrier.Set("x-"+k, v) }

func (prefixProp) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	propagation.TraceContext{}.Inject(ctx, prefixCarrier{c})
}
func (prefixProp) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	return propagation.TraceContext{}.Extract(ctx, prefixCarrier{c})
}
func (prefixProp) Fields() []string { return []string{"x-traceparent", "x-tracestate"} }

// TestReviewCustomPropagatorUnsampled: a custom propagator, unsampled
// parents on both sides: no span, the parent's context in the custom
// header, and RecordContext returns the producer's.
func TestReviewCustomPropagatorUnsampled(t *testing.T) {
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithPropagators(prefixProp{}))
	parent, psc := unsampledParent(false)
	r := &kgo.Record{Topic: "orders", Context: parent}
	h.OnProduceRecordBuffered(r)
	h.OnProduceRecordUnbuffered(r, nil)
	if len(exp.GetSpans()) != 0 {
		t.Fatalf("%d produce spans under an unsampled parent", len(exp.GetSpans()))
	}
	if len(r.Headers) != 1 || r.Headers[0].Key != "x-traceparent" || string(r.Headers[0].Value) != traceparentOf(psc) {
		t.Fatalf("headers %v, want x-traceparent %s", r.Headers, traceparentOf(psc))
	}
	in := &kgo.Record{Topic: "orders", Headers: r.Headers}
	h.pollDone(context.Background(), oneFetch(in), time.Now(), time.Now())
	if len(exp.GetSpans()) != 0 {
		t.Fatalf("%d consume spans under an unsampled producer", len(exp.GetSpans()))
	}
	if got := trace.SpanContextFromContext(RecordContext(context.Background(), in)); got.TraceID() != psc.TraceID() || got.SpanID() != psc.SpanID() || got.IsSampled() {
		t.Errorf("RecordContext %v, want the producer's %v", got, psc)
	}
	// Under an unsampled caller.
	caller, csc := unsampledParent(true)
	in2 := &kgo.Record{Topic: "orders", Headers: r.Headers}
	h.pollDone(caller, oneFetch(in2), time.Now(), time.Now())
	if len(exp.GetSpans()) != 0 {
		t.Fatalf("%d consume spans under an unsampled caller", len(exp.GetSpans()))
	}
	if got := trace.SpanContextFromContext(RecordContext(caller, in2)); !got.Equal(csc) {
		t.Errorf("RecordContext %v, want the caller's", got)
	}
}

// TestReviewRecordContextReplacedOrPolledTwice: RecordContext after the
// user replaced r.Context, and on a record polled twice.
func TestReviewRecordContextReplacedOrPolledTwice(t *testing.T) {
	h, exp := testHooks(t, sdktrace.AlwaysSample())
	_, psc := unsampledParent(true)
	in := &kgo.Record{Topic: "orders", Headers: []kgo.RecordHeader{{Key: traceparentHeader, Value: []byte(traceparentOf(psc))}}}
	h.pollDone(context.Background(), oneFetch(in), time.Now(), time.Now())
	h.pollDone(context.Background(), oneFetch(in), time.Now(), time.Now())
	if len(exp.GetSpans()) != 0 {
		t.Fatalf("%d spans", len(exp.GetSpans()))
	}
	if got := trace.SpanContextFromContext(RecordContext(context.Background(), in)); got.SpanID() != psc.SpanID() || got.TraceID() != psc.TraceID() {
		t.Errorf("polled twice: RecordContext %v, want the producer's", got)
	}
	own := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{7}, SpanID: trace.SpanID{7}, TraceFlags: trace.FlagsSampled})
	in.Context = trace.ContextWithSpanContext(context.Background(), own)
	if got := trace.SpanContextFromContext(RecordContext(context.Background(), in)); !got.Equal(own) {
		t.Errorf("replaced Context: RecordContext %v, want the user's %v", got, own)
	}
}
