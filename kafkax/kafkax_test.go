package kafkax

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/twmb/franz-go/pkg/kerr"
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

func testHooks(t testing.TB, sampler sdktrace.Sampler, opts ...Option) (*hooks, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sampler))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	opts = append([]Option{WithTracerProvider(tp), WithMeterProvider(mp), WithPropagators(propagation.TraceContext{})}, opts...)
	return newHooks(newConfig(opts)), exp
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestPollErrorSpan(t *testing.T) {
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithSemconv(semconv.Dup), WithConsumerGroup("g"))
	ctx, parent := sdktrace.NewTracerProvider().Tracer("t").Start(context.Background(), "GET /logs/kafka")
	fetches := kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "orders", Partitions: []kgo.FetchPartition{
		{Partition: 3, Err: kerr.TopicAuthorizationFailed},
	}}}}}
	now := time.Now()
	h.pollDone(ctx, fetches, now.Add(-time.Millisecond), now)

	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name != "receive orders" || s.SpanKind != trace.SpanKindConsumer {
		t.Errorf("span %q kind %v", s.Name, s.SpanKind)
	}
	if s.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("parent %v, want the caller", s.Parent.SpanID())
	}
	if s.Status.Code != codes.Error || len(s.Events) != 1 || s.Events[0].Name != "exception" {
		t.Errorf("status %+v events %+v, want Error with an exception", s.Status, s.Events)
	}
	a := attrMap(s.Attributes)
	if a["error.type"].AsString() != "TOPIC_AUTHORIZATION_FAILED" || a["messaging.destination.partition.id"].AsString() != "3" ||
		a["messaging.kafka.partition"].AsInt64() != 3 || a["messaging.consumer.group.name"].AsString() != "g" {
		t.Errorf("attributes %v", s.Attributes)
	}
}

func TestPollEndIsNotAnError(t *testing.T) {
	h, exp := testHooks(t, sdktrace.AlwaysSample())
	for _, err := range []error{context.Canceled, context.DeadlineExceeded, kgo.ErrClientClosed} {
		h.pollDone(context.Background(), kgo.NewErrFetch(err), time.Now(), time.Now())
	}
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("%d spans for the normal end of a poll", n)
	}
	h.pollDone(context.Background(), kgo.NewErrFetch(errors.New("boom")), time.Now(), time.Now())
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != ConsumeSpanName || spans[0].Status.Code != codes.Error {
		t.Fatalf("spans %v, want one failed %s", spans, ConsumeSpanName)
	}
	if _, ok := attrMap(spans[0].Attributes)["error.type"]; ok {
		t.Errorf("error.type emitted in old mode")
	}
}

func TestProduceHooksReuseExistingHeader(t *testing.T) {
	h, _ := testHooks(t, sdktrace.AlwaysSample())
	r := &kgo.Record{Topic: "t", Context: context.Background(), Headers: []kgo.RecordHeader{{Key: "a", Value: []byte("1")}}}
	for range 2 { // a record produced twice keeps one traceparent
		h.OnProduceRecordBuffered(r)
		h.OnProduceRecordUnbuffered(r, nil)
	}
	if len(r.Headers) != 2 || r.Headers[0].Key != "a" || r.Headers[1].Key != "traceparent" {
		t.Errorf("headers %v", r.Headers)
	}
	if r.Context != context.Background() {
		t.Errorf("record context not given back")
	}
}

func TestMessageKey(t *testing.T) {
	for _, tc := range []struct {
		key  []byte
		want bool
	}{
		{nil, false}, {[]byte("user-1"), true}, {[]byte("caf\xc3\xa9"), true},
		{[]byte{0xff, 0xfe}, false}, {[]byte("a\x00b"), false}, {[]byte{0, 0, 0, 7}, false},
		{[]byte("a\tb"), true}, {[]byte("a\x7f"), false}, {[]byte("caf\xc3"), false},
		{[]byte("caf\xc3\xa9\x01"), false}, {[]byte("\x80"), false}, {[]byte("\xe2\x82\xac-1"), true},
	} {
		if _, ok := messageKey(tc.key); ok != tc.want {
			t.Errorf("messageKey(%q) = %v, want %v", tc.key, ok, tc.want)
		}
	}
}

// TestUnsampledProduceAllocs guards the cost of an unsampled record with
// no parent on the produce side: the tracer's non-recording span and its
// context, and the record's own state, which also holds the header.
func TestUnsampledProduceAllocs(t *testing.T) {
	h, _ := testHooks(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	r := &kgo.Record{Topic: "t"}
	allocs := testing.AllocsPerRun(1000, func() {
		r.Headers, r.Context = nil, context.Background()
		h.OnProduceRecordBuffered(r)
		h.OnProduceRecordUnbuffered(r, nil)
	})
	// The SDK's non-recording span and its context, and the record's
	// own state (TestRetainedRecordKeepsOnlyItsState).
	if allocs > 3 {
		t.Errorf("%.1f allocations per unsampled produced record, want <= 3", allocs)
	}
	if len(r.Headers) != 1 || len(r.Headers[0].Value) != 55 {
		t.Errorf("headers %v", r.Headers)
	}
}

func BenchmarkProduceHooksUnsampled(b *testing.B) {
	h, _ := testHooks(b, sdktrace.ParentBased(sdktrace.NeverSample()))
	r := &kgo.Record{Topic: "t"}
	b.ReportAllocs()
	for b.Loop() {
		r.Headers, r.Context = nil, context.Background()
		h.OnProduceRecordBuffered(r)
		h.OnProduceRecordUnbuffered(r, nil)
	}
}

// headerProp is a propagator writing the span id under its own header name,
// so a test can see which propagator wrote a record's headers.
type headerProp struct{ key string }

func (p headerProp) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	c.Set(p.key, trace.SpanContextFromContext(ctx).SpanID().String())
}
func (p headerProp) Extract(ctx context.Context, _ propagation.TextMapCarrier) context.Context {
	return ctx
}
func (p headerProp) Fields() []string { return []string{p.key} }

func TestWithPropagators(t *testing.T) {
	for name, opt := range map[string]Option{
		"WithPropagators": WithPropagators(headerProp{"x-trace"}),
	} {
		t.Run(name, func(t *testing.T) {
			h, exp := testHooks(t, sdktrace.AlwaysSample(), opt)
			r := &kgo.Record{Topic: "orders", Context: context.Background()}
			h.OnProduceRecordBuffered(r)
			h.OnProduceRecordUnbuffered(r, nil)
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("got %d spans, want 1", len(spans))
			}
			if len(r.Headers) != 1 || r.Headers[0].Key != "x-trace" || string(r.Headers[0].Value) != spans[0].SpanContext.SpanID().String() {
				t.Errorf("headers %+v, want x-trace = %s", r.Headers, spans[0].SpanContext.SpanID())
			}
		})
	}
}

func TestWithAttributes(t *testing.T) {
	h, exp := testHooks(t, sdktrace.AlwaysSample(), WithAttributes(attribute.String("deployment.zone", "eu-1")))
	r := &kgo.Record{Topic: "orders", Context: context.Background()}
	h.OnProduceRecordBuffered(r)
	h.OnProduceRecordUnbuffered(r, nil)
	in := &kgo.Record{Topic: "orders", Headers: r.Headers}
	fetches := kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "orders", Partitions: []kgo.FetchPartition{
		{Partition: 0, Records: []*kgo.Record{in}},
		{Partition: 1, Err: errors.New("boom")},
	}}}}}
	h.pollDone(context.Background(), fetches, time.Now(), time.Now())

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("got %d spans, want produce, consume and a failed poll", len(spans))
	}
	for _, s := range spans {
		if got := attrMap(s.Attributes)["deployment.zone"].AsString(); got != "eu-1" {
			t.Errorf("%s (%v): deployment.zone = %q, want eu-1", s.Name, s.SpanKind, got)
		}
	}
}

// TestRecordContextSameWhateverSampling checks that the processing of a
// polled record continues the producer's trace and baggage, read with the
// client's propagator (not the global one, here left as the no-op default),
// whether the consume span is sampled or not.
func TestRecordContextSameWhateverSampling(t *testing.T) {
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	for name, sampler := range map[string]sdktrace.Sampler{
		"sampled":   sdktrace.AlwaysSample(),
		"unsampled": sdktrace.ParentBased(sdktrace.NeverSample()),
	} {
		t.Run(name, func(t *testing.T) {
			h, _ := testHooks(t, sampler, WithPropagators(prop))
			member, _ := baggage.NewMember("user", "alice")
			bag, _ := baggage.New(member)
			r := &kgo.Record{Topic: "orders", Context: baggage.ContextWithBaggage(context.Background(), bag)}
			h.OnProduceRecordBuffered(r)
			producer := trace.SpanContextFromContext(r.Context)
			h.OnProduceRecordUnbuffered(r, nil)

			in := &kgo.Record{Topic: "orders", Headers: r.Headers}
			fetches := kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "orders", Partitions: []kgo.FetchPartition{
				{Partition: 0, Records: []*kgo.Record{in}},
			}}}}}
			h.pollDone(context.Background(), fetches, time.Now(), time.Now())

			ctx := RecordContext(context.Background(), in)
			if got := trace.SpanContextFromContext(ctx); got.TraceID() != producer.TraceID() {
				t.Errorf("RecordContext trace %v, want the producer's %v", got.TraceID(), producer.TraceID())
			}
			if got := baggage.FromContext(ctx).Member("user").Value(); got != "alice" {
				t.Errorf("RecordContext baggage user = %q, want alice", got)
			}
		})
	}
}

// unsampledParent returns a context carrying a valid, unsampled span
// context, as a request span dropped by a ParentBased sampler leaves it.
func unsampledParent(remote bool) (context.Context, trace.SpanContext) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, Remote: remote,
	})
	return trace.ContextWithSpanContext(context.Background(), sc), sc
}

// TestUnsampledParentStartsNoSpan checks the default decision for records
// whose parent is not sampled, under a sampler (AlwaysSample, not
// parent-based) that would record them: no span, the parent's context
// carried on; and that
// WithSamplerForEveryRecord asks the sampler instead.
func TestUnsampledParentStartsNoSpan(t *testing.T) {
	for _, ask := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "WithSamplerForEveryRecord"}[ask], func(t *testing.T) {
			var opts []Option
			if ask {
				opts = append(opts, WithSamplerForEveryRecord(true))
			}
			h, exp := testHooks(t, sdktrace.AlwaysSample(), opts...)
			parent, psc := unsampledParent(false)

			// Produce.
			r := &kgo.Record{Topic: "orders", Context: parent}
			h.OnProduceRecordBuffered(r)
			h.OnProduceRecordUnbuffered(r, nil)
			if r.Context != parent {
				t.Error("the record's own context was not given back")
			}
			tp := string(r.Headers[0].Value)
			spans := exp.GetSpans()
			if !ask {
				if len(spans) != 0 {
					t.Fatalf("%d spans under an unsampled parent, want none", len(spans))
				}
				if want := "00-" + psc.TraceID().String() + "-" + psc.SpanID().String() + "-00"; tp != want {
					t.Errorf("traceparent %q, want the parent's %q", tp, want)
				}
			} else {
				if len(spans) != 1 || spans[0].Parent.SpanID() != psc.SpanID() || spans[0].SpanKind != trace.SpanKindProducer {
					t.Fatalf("spans %v, want one PRODUCER span under the parent", spans)
				}
				if want := "00-" + psc.TraceID().String() + "-" + spans[0].SpanContext.SpanID().String() + "-01"; tp != want {
					t.Errorf("traceparent %q, want the produce span's %q", tp, want)
				}
			}
			exp.Reset()

			// Consume without a caller span: the producer's context is
			// the parent.
			in := &kgo.Record{Topic: "orders", Headers: []kgo.RecordHeader{{Key: traceparentHeader, Value: []byte("00-" + psc.TraceID().String() + "-" + psc.SpanID().String() + "-00")}}}
			fetch := func(r *kgo.Record) kgo.Fetches {
				return kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "orders", Partitions: []kgo.FetchPartition{
					{Partition: 0, Records: []*kgo.Record{r}},
				}}}}}
			}
			h.pollDone(context.Background(), fetch(in), time.Now(), time.Now())
			if n := len(exp.GetSpans()); n != map[bool]int{false: 0, true: 1}[ask] {
				t.Errorf("%d consume spans under an unsampled producer", n)
			}
			got := trace.SpanContextFromContext(RecordContext(context.Background(), in))
			if got.TraceID() != psc.TraceID() || got.IsSampled() == !ask {
				t.Errorf("RecordContext %v, want the producer's trace (sampled: %v)", got, ask)
			}
			if !ask && got.SpanID() != psc.SpanID() {
				t.Errorf("RecordContext span %v, want the producer's %v", got.SpanID(), psc.SpanID())
			}
			exp.Reset()

			// Consume under an unsampled caller span.
			caller, csc := unsampledParent(true)
			in2 := &kgo.Record{Topic: "orders", Headers: in.Headers}
			h.pollDone(caller, fetch(in2), time.Now(), time.Now())
			spans = exp.GetSpans()
			if !ask && len(spans) != 0 {
				t.Errorf("%d consume spans under an unsampled caller, want none", len(spans))
			}
			if ask && (len(spans) != 1 || spans[0].Parent.SpanID() != csc.SpanID()) {
				t.Errorf("spans %v, want one under the caller", spans)
			}
			if !ask {
				if got := trace.SpanContextFromContext(RecordContext(caller, in2)); !got.Equal(csc) {
					t.Errorf("RecordContext %v, want the caller's %v", got, csc)
				}
			}
		})
	}
}

// TestUnsampledParentAllocs guards the cost of records whose parent is not
// sampled: on the producer side the record's own state only (it holds the
// header), on the consumer side about none (the consumed records' contexts
// come one block per partition, as kgo's records and their bytes do).
func TestUnsampledParentAllocs(t *testing.T) {
	h, _ := testHooks(t, sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.01)),
		WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})))
	parent, _ := unsampledParent(false)
	r := &kgo.Record{Topic: "orders"}
	if allocs := testing.AllocsPerRun(1000, func() {
		r.Headers, r.Context = nil, parent
		h.OnProduceRecordBuffered(r)
		h.OnProduceRecordUnbuffered(r, nil)
	}); allocs > 1 {
		// The record's own state, which holds its header
		// (TestRetainedRecordKeepsOnlyItsState).
		t.Errorf("%.2f allocations per produced record under an unsampled parent, want <= 1", allocs)
	}

	const n = 500
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "orders", Headers: r.Headers}
	}
	fetches := kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "orders", Partitions: []kgo.FetchPartition{{Records: recs}}}}}}
	caller, _ := unsampledParent(true)
	for name, ctx := range map[string]context.Context{"no caller": context.Background(), "unsampled caller": caller} {
		allocs := testing.AllocsPerRun(20, func() {
			for _, r := range recs {
				r.Context = nil
			}
			h.pollDone(ctx, fetches, time.Now(), time.Now())
		})
		if perRecord := allocs / n; perRecord > 0.05 {
			t.Errorf("%s: %.3f allocations per consumed record (%.0f per poll of %d), want about none", name, perRecord, allocs, n)
		}
	}
}

// TestBoolOptions checks that the on/off options take their bool and that
// the last of several wins.
func TestBoolOptions(t *testing.T) {
	for _, tt := range []struct {
		opts             []Option
		batch, askAlways bool
	}{
		{nil, false, false},
		{[]Option{WithBatchSpans(true)}, true, false},
		{[]Option{WithBatchSpans(false)}, false, false},
		{[]Option{WithBatchSpans(true), WithBatchSpans(false)}, false, false},
		{[]Option{WithSamplerForEveryRecord(true)}, false, true},
		{[]Option{WithSamplerForEveryRecord(false)}, false, false},
		{[]Option{WithSamplerForEveryRecord(false), WithSamplerForEveryRecord(true), WithBatchSpans(true)}, true, true},
	} {
		c := newConfig(tt.opts)
		if c.batch != tt.batch || c.askAlways != tt.askAlways {
			t.Errorf("%d options: batch %v, askAlways %v; want %v, %v", len(tt.opts), c.batch, c.askAlways, tt.batch, tt.askAlways)
		}
	}
}

// TestRetainedRecordKeepsOnlyItsState checks that a produced record the
// application keeps keeps alive its own produce state (which holds its
// trace context header) and no other record's: once the other records are
// unreachable, a GC frees their states (read through weak pointers), while
// the kept record's state and header live on. Sampled, unsampled-parent
// and root records alike.
func TestRetainedRecordKeepsOnlyItsState(t *testing.T) {
	for _, tt := range []struct {
		name    string
		sampler sdktrace.Sampler
		parent  func() context.Context
	}{
		{"sampled", sdktrace.AlwaysSample(), context.Background},
		{"unsampled parent", sdktrace.AlwaysSample(), func() context.Context { ctx, _ := unsampledParent(false); return ctx }},
		{"unsampled root", sdktrace.NeverSample(), context.Background},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := testHooks(t, tt.sampler)
			const n = 100
			const keep = 37
			var kept *kgo.Record
			states := make([]weak.Pointer[produceState], n)
			for i := range n {
				r := &kgo.Record{Topic: "orders", Context: tt.parent()}
				h.OnProduceRecordBuffered(r)
				st, ok := r.Context.Value(stateKey{}).(*produceState)
				if !ok {
					t.Fatal("no produce state")
				}
				states[i] = weak.Make(st)
				h.OnProduceRecordUnbuffered(r, nil)
				if i == keep {
					kept = r
				}
			}
			want := string(kept.Headers[0].Value)
			// A bounded poll: a GC cycle clears the weak pointers of
			// unreachable states; a few more leave room for a slow
			// machine's background work, never a sleep.
			alive := n
			for range 20 {
				runtime.GC()
				alive = 0
				for i := range states {
					if i != keep && states[i].Value() != nil {
						alive++
					}
				}
				if alive == 0 {
					break
				}
			}
			if alive != 0 {
				t.Errorf("%d states of dropped records still alive beside the kept one", alive)
			}
			if states[keep].Value() == nil {
				t.Error("the kept record's state was freed")
			}
			if got := string(kept.Headers[0].Value); got != want || len(got) != traceparentLen {
				t.Errorf("kept record's traceparent %q, want %q", got, want)
			}
			runtime.KeepAlive(kept)
		})
	}
}
