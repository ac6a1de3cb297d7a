package kafkax

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/semconv"
)

// producerSC returns the i-th producer span context of a test (sampled
// unless told otherwise), as a consumer reads it from a header.
func producerSC(i int, sampled bool) trace.SpanContext {
	var flags trace.TraceFlags
	if sampled {
		flags = trace.FlagsSampled
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xaa, byte(i >> 8), byte(i), 1}, SpanID: trace.SpanID{0xbb, byte(i >> 8), byte(i), 2},
		TraceFlags: flags, Remote: true,
	})
}

// batchRecord returns a record of topic/partition whose traceparent
// header is sc's.
func batchRecord(topic string, partition int32, offset int64, sc trace.SpanContext) *kgo.Record {
	r := &kgo.Record{Topic: topic, Partition: partition, Offset: offset, Key: []byte("user-1")}
	if sc.IsValid() {
		r.Headers = []kgo.RecordHeader{{Key: traceparentHeader,
			Value: fmt.Appendf(nil, "00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())}}
	}
	return r
}

// fetchOf returns one broker's fetch of topic's partitions.
func fetchOf(topic string, parts ...kgo.FetchPartition) kgo.Fetch {
	return kgo.Fetch{Topics: []kgo.FetchTopic{{Topic: topic, Partitions: parts}}}
}

func consumerSpans(spans tracetest.SpanStubs) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range spans {
		if s.SpanKind == trace.SpanKindConsumer {
			out = append(out, s)
		}
	}
	return out
}

// assertExactAttrs checks that s has exactly want.
func assertExactAttrs(t *testing.T, s tracetest.SpanStub, want map[attribute.Key]attribute.Value) {
	t.Helper()
	got := attrMap(s.Attributes)
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: %s = %v (%v), want %v (%v)", s.Name, k, g.String(), g.Type(), v.String(), v.Type())
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s = %v", s.Name, k, v.String())
		}
	}
}

func assertLinks(t *testing.T, s tracetest.SpanStub, want []trace.SpanContext) {
	t.Helper()
	if len(s.Links) != len(want) {
		t.Fatalf("%s: %d links, want %d", s.Name, len(s.Links), len(want))
	}
	for i, l := range s.Links {
		if !l.SpanContext.Equal(want[i]) {
			t.Errorf("%s: link %d = %v/%v, want the producer %v/%v", s.Name, i,
				l.SpanContext.TraceID(), l.SpanContext.SpanID(), want[i].TraceID(), want[i].SpanID())
		}
	}
}

// TestBatchSpanUnderCaller: one CONSUMER span for the topic's records of
// a poll, child of the caller, linked to each producer, with the keys of
// each mode and no per-record key.
func TestBatchSpanUnderCaller(t *testing.T) {
	for _, mode := range []semconv.Mode{semconv.Old, semconv.Stable, semconv.Dup} {
		t.Run(mode.String(), func(t *testing.T) {
			var logs bytes.Buffer
			h, exp := testHooks(t, sdktrace.AlwaysSample(), WithBatchSpans(true), WithSemconv(mode),
				WithConsumerGroup("g"), WithClientID("c"),
				WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			ctx, caller := sdktrace.NewTracerProvider().Tracer("t").Start(context.Background(), "GET /logs/kafka")
			var producers []trace.SpanContext
			var recs []*kgo.Record
			for i := range 3 {
				producers = append(producers, producerSC(i, i != 1)) // an unsampled producer is linked too
				recs = append(recs, batchRecord("orders", 2, int64(10+i), producers[i]))
			}
			noHeader := batchRecord("orders", 2, 13, trace.SpanContext{})
			corrupt := batchRecord("orders", 2, 14, trace.SpanContext{})
			corrupt.Headers = []kgo.RecordHeader{{Key: traceparentHeader, Value: []byte("00-zz-zz-01")}}
			all := append(append([]*kgo.Record{}, recs...), noHeader, corrupt)
			start := time.Now().Add(-time.Second)
			end := start.Add(200 * time.Millisecond)
			h.pollDone(ctx, kgo.Fetches{fetchOf("orders", kgo.FetchPartition{Partition: 2, Records: all})}, start, end)

			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("got %d spans, want one batch span", len(spans))
			}
			s := spans[0]
			wantName := ConsumeSpanName
			if mode != semconv.Old {
				wantName = "receive orders"
			}
			if s.Name != wantName || s.SpanKind != trace.SpanKindConsumer {
				t.Errorf("span %q kind %v, want %q CONSUMER", s.Name, s.SpanKind, wantName)
			}
			if s.Parent.SpanID() != caller.SpanContext().SpanID() || s.SpanContext.TraceID() != caller.SpanContext().TraceID() {
				t.Errorf("parent %v, want the caller %v", s.Parent.SpanID(), caller.SpanContext().SpanID())
			}
			if !s.StartTime.Equal(start) || !s.EndTime.Equal(end) {
				t.Errorf("span %v..%v, want the poll %v..%v", s.StartTime, s.EndTime, start, end)
			}
			if s.Status.Code != codes.Unset {
				t.Errorf("status %+v", s.Status)
			}
			assertLinks(t, s, producers)

			want := map[attribute.Key]attribute.Value{
				"messaging.system":              attribute.StringValue("kafka"),
				"messaging.batch.message_count": attribute.IntValue(5),
			}
			if semconv.EmitOld(mode) {
				want["messaging.destination"] = attribute.StringValue("orders")
				want["messaging.operation"] = attribute.StringValue("receive")
				want["messaging.kafka.partition"] = attribute.Int64Value(2)
				want["messaging.kafka.consumer_group"] = attribute.StringValue("g")
				want["messaging.kafka.client_id"] = attribute.StringValue("c")
			}
			if semconv.EmitStable(mode) {
				want["messaging.destination.name"] = attribute.StringValue("orders")
				want["messaging.operation.type"] = attribute.StringValue("receive")
				want["messaging.operation.name"] = attribute.StringValue("receive")
				want["messaging.destination.partition.id"] = attribute.StringValue("2")
				want["messaging.consumer.group.name"] = attribute.StringValue("g")
				want["messaging.client.id"] = attribute.StringValue("c")
			}
			assertExactAttrs(t, s, want)

			for _, r := range all {
				if got := trace.SpanContextFromContext(RecordContext(context.Background(), r)); !got.Equal(s.SpanContext) {
					t.Errorf("RecordContext(offset %d) = %v, want the batch span %v", r.Offset, got.SpanID(), s.SpanContext.SpanID())
				}
			}
			if !bytes.Contains(logs.Bytes(), []byte("offset=14")) || bytes.Contains(logs.Bytes(), []byte("offset=13")) {
				t.Errorf("want a debug log for the corrupt header only; logs: %s", logs.String())
			}
		})
	}
}

// TestBatchSpanPerTopic: a topic's partitions, also from two brokers'
// fetches, make one span, with no partition key when they are several;
// each topic gets its own span.
func TestBatchSpanPerTopic(t *testing.T) {
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithBatchSpans(true))
	ctx, caller := sdktrace.NewTracerProvider().Tracer("t").Start(context.Background(), "GET /logs/kafka")
	o0, o1, o2, p0 := producerSC(1, true), producerSC(2, true), producerSC(3, true), producerSC(4, true)
	fetches := kgo.Fetches{
		{Topics: []kgo.FetchTopic{
			{Topic: "orders", Partitions: []kgo.FetchPartition{
				{Partition: 0, Records: []*kgo.Record{batchRecord("orders", 0, 0, o0), batchRecord("orders", 0, 1, o1)}},
				{Partition: 3}, // nothing new there
			}},
			{Topic: "payments", Partitions: []kgo.FetchPartition{
				{Partition: 5, Records: []*kgo.Record{batchRecord("payments", 5, 7, p0)}},
			}},
		}},
		fetchOf("orders", kgo.FetchPartition{Partition: 1, Records: []*kgo.Record{batchRecord("orders", 1, 0, o2)}}),
	}
	h.pollDone(ctx, fetches, time.Now(), time.Now())

	spans := consumerSpans(exp.GetSpans())
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want one per topic", len(spans))
	}
	for _, s := range spans {
		if s.Name != ConsumeSpanName || s.Parent.SpanID() != caller.SpanContext().SpanID() {
			t.Errorf("span %q parent %v, want %s under the caller", s.Name, s.Parent.SpanID(), ConsumeSpanName)
		}
		a := attrMap(s.Attributes)
		switch a["messaging.destination"].AsString() {
		case "orders":
			assertLinks(t, s, []trace.SpanContext{o0, o1, o2})
			assertExactAttrs(t, s, map[attribute.Key]attribute.Value{
				"messaging.system":              attribute.StringValue("kafka"),
				"messaging.destination":         attribute.StringValue("orders"),
				"messaging.operation":           attribute.StringValue("receive"),
				"messaging.batch.message_count": attribute.IntValue(3),
			})
		case "payments":
			assertLinks(t, s, []trace.SpanContext{p0})
			assertExactAttrs(t, s, map[attribute.Key]attribute.Value{
				"messaging.system":              attribute.StringValue("kafka"),
				"messaging.destination":         attribute.StringValue("payments"),
				"messaging.operation":           attribute.StringValue("receive"),
				"messaging.kafka.partition":     attribute.Int64Value(5),
				"messaging.batch.message_count": attribute.IntValue(1),
			})
		default:
			t.Errorf("span of topic %q", a["messaging.destination"].AsString())
		}
	}
}

// TestBatchSpanWithoutCaller: a new root whose sampling the tracer's
// sampler decides; unrecorded, RecordContext gives each record its
// producer's context.
func TestBatchSpanWithoutCaller(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run(fmt.Sprintf("sampled=%v", sampled), func(t *testing.T) {
			sampler := sdktrace.ParentBased(sdktrace.NeverSample())
			if sampled {
				sampler = sdktrace.AlwaysSample()
			}
			prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
			h, exp := testHooks(t, sampler, WithBatchSpans(true), WithPropagators(prop))
			producers := []trace.SpanContext{producerSC(1, true), producerSC(2, true)}
			recs := []*kgo.Record{batchRecord("orders", 0, 0, producers[0]), batchRecord("orders", 0, 1, producers[1])}
			recs[1].Headers = append(recs[1].Headers, kgo.RecordHeader{Key: baggageHeader, Value: []byte("user=alice")})
			h.pollDone(context.Background(), kgo.Fetches{fetchOf("orders", kgo.FetchPartition{Records: recs})}, time.Now(), time.Now())

			spans := exp.GetSpans()
			if !sampled {
				if len(spans) != 0 {
					t.Fatalf("%d spans under NeverSample, want none", len(spans))
				}
				for i, r := range recs {
					ctx := RecordContext(context.Background(), r)
					if got := trace.SpanContextFromContext(ctx); !got.Equal(producers[i]) {
						t.Errorf("RecordContext %v/%v, want the producer's %v/%v", got.TraceID(), got.SpanID(), producers[i].TraceID(), producers[i].SpanID())
					}
					if got, want := baggage.FromContext(ctx).Member("user").Value(), map[int]string{1: "alice"}[i]; got != want {
						t.Errorf("RecordContext of record %d: baggage user = %q, want %q", i, got, want)
					}
				}
				return
			}
			if len(spans) != 1 {
				t.Fatalf("got %d spans, want one", len(spans))
			}
			s := spans[0]
			if s.Parent.IsValid() || s.SpanKind != trace.SpanKindConsumer || s.Name != ConsumeSpanName {
				t.Errorf("span %q kind %v parent %v, want a root %s CONSUMER", s.Name, s.SpanKind, s.Parent, ConsumeSpanName)
			}
			for _, p := range producers {
				if s.SpanContext.TraceID() == p.TraceID() {
					t.Errorf("batch span in a producer's trace %v", p.TraceID())
				}
			}
			assertLinks(t, s, producers)
			if got := attrMap(s.Attributes)["messaging.batch.message_count"]; got != attribute.IntValue(2) {
				t.Errorf("messaging.batch.message_count = %v", got.String())
			}
			for _, r := range recs {
				if got := trace.SpanContextFromContext(RecordContext(context.Background(), r)); !got.Equal(s.SpanContext) {
					t.Errorf("RecordContext %v, want the batch span %v", got.SpanID(), s.SpanContext.SpanID())
				}
			}
		})
	}
}

// TestBatchSpanUnsampledCaller: no span under an unsampled caller, unless
// WithSamplerForEveryRecord asks the sampler.
func TestBatchSpanUnsampledCaller(t *testing.T) {
	for _, ask := range []bool{false, true} {
		t.Run(fmt.Sprintf("ask=%v", ask), func(t *testing.T) {
			opts := []Option{WithBatchSpans(true)}
			if ask {
				opts = append(opts, WithSamplerForEveryRecord(true))
			}
			h, exp := testHooks(t, sdktrace.AlwaysSample(), opts...)
			caller, csc := unsampledParent(true)
			producer := producerSC(1, true)
			r := batchRecord("orders", 0, 0, producer)
			h.pollDone(caller, kgo.Fetches{fetchOf("orders", kgo.FetchPartition{Records: []*kgo.Record{r}})}, time.Now(), time.Now())
			spans := exp.GetSpans()
			if !ask {
				if len(spans) != 0 {
					t.Fatalf("%d spans under an unsampled caller, want none", len(spans))
				}
				if got := trace.SpanContextFromContext(RecordContext(caller, r)); !got.Equal(csc) {
					t.Errorf("RecordContext %v, want the caller's %v", got, csc)
				}
				return
			}
			if len(spans) != 1 || spans[0].Parent.SpanID() != csc.SpanID() {
				t.Fatalf("spans %v, want one under the caller", spans)
			}
			assertLinks(t, spans[0], []trace.SpanContext{producer})
		})
	}
}

// batchHooks is testHooks with span limits.
func batchHooks(t testing.TB, limits sdktrace.SpanLimits) (*hooks, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithRawSpanLimits(limits))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	return newHooks(newConfig([]Option{WithTracerProvider(tp), WithMeterProvider(mp),
		WithPropagators(propagation.TraceContext{}), WithBatchSpans(true)})), exp
}

// TestBatchSpanLinkLimit: kafkax stops adding links once the SDK drops
// one.
func TestBatchSpanLinkLimit(t *testing.T) {
	limits := sdktrace.NewSpanLimits()
	limits.LinkCountLimit = 3
	h, exp := batchHooks(t, limits)
	var recs []*kgo.Record
	for i := range 10 {
		recs = append(recs, batchRecord("orders", 0, int64(i), producerSC(i, true)))
	}
	h.pollDone(context.Background(), kgo.Fetches{fetchOf("orders", kgo.FetchPartition{Records: recs})}, time.Now(), time.Now())
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans", len(spans))
	}
	s := spans[0]
	// The SDK keeps the last links it was given: those of records 1 to 3,
	// record 0's being dropped when record 3's came.
	assertLinks(t, s, []trace.SpanContext{producerSC(1, true), producerSC(2, true), producerSC(3, true)})
	if s.DroppedLinks != 1 {
		t.Errorf("%d dropped links, want 1 (no link offered after the limit)", s.DroppedLinks)
	}
	if got := attrMap(s.Attributes)["messaging.batch.message_count"]; got != attribute.IntValue(10) {
		t.Errorf("messaging.batch.message_count = %v, want 10", got.String())
	}
}

// TestBatchSpanAllocs measures a sampled poll of 500 records: the span and
// its links cost about as much as the SDK's link queue, not per record.
func TestBatchSpanAllocs(t *testing.T) {
	const n = 500
	for name, linkLimit := range map[string]int{"default limit": 128, "no limit": -1} {
		t.Run(name, func(t *testing.T) {
			limits := sdktrace.NewSpanLimits()
			limits.LinkCountLimit = linkLimit
			h, _ := batchHooks(t, limits)
			recs := make([]*kgo.Record, n)
			for i := range recs {
				recs[i] = batchRecord("orders", 0, int64(i), producerSC(i, true))
			}
			fetches := kgo.Fetches{fetchOf("orders", kgo.FetchPartition{Records: recs})}
			ctx, _ := sdktrace.NewTracerProvider().Tracer("t").Start(context.Background(), "GET /logs/kafka")
			allocs := testing.AllocsPerRun(50, func() {
				for _, r := range recs {
					r.Context = nil
				}
				h.pollDone(ctx, fetches, time.Now(), time.Now())
			})
			t.Logf("%.0f allocations per sampled poll of %d records (%.3f per record)", allocs, n, allocs/n)
			if allocs/n > 0.1 {
				t.Errorf("%.3f allocations per record (%.0f per poll), want far under one", allocs/n, allocs)
			}
		})
	}
}

func BenchmarkBatchSpan(b *testing.B) {
	const n = 500
	h, exp := batchHooks(b, sdktrace.NewSpanLimits())
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = batchRecord("orders", 0, int64(i), producerSC(i, true))
	}
	fetches := kgo.Fetches{fetchOf("orders", kgo.FetchPartition{Records: recs})}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range recs {
			r.Context = nil
		}
		h.pollDone(context.Background(), fetches, time.Now(), time.Now())
		exp.Reset()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}
