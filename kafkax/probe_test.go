package kafkax

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// countingTC is an application's propagator that wraps TraceContext and
// counts its calls: its own code runs for every record, so it must keep
// the slow path.
type countingTC struct{ calls *atomic.Int64 }

func (c countingTC) Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	c.calls.Add(1)
	propagation.TraceContext{}.Inject(ctx, carrier)
}

func (c countingTC) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	c.calls.Add(1)
	return propagation.TraceContext{}.Extract(ctx, carrier)
}

func (countingTC) Fields() []string { return propagation.TraceContext{}.Fields() }

// embedTC is TraceContext embedded in a type of the application.
type embedTC struct{ propagation.TraceContext }

// panicProp claims the W3C fields and panics when used.
type panicProp struct{}

func (panicProp) Inject(context.Context, propagation.TextMapCarrier) { panic("inject") }
func (panicProp) Extract(context.Context, propagation.TextMapCarrier) context.Context {
	panic("extract")
}
func (panicProp) Fields() []string { return []string{traceparentHeader} }

// upperTC writes the W3C fields with upper-case hex digits, which
// TraceContext does not.
type upperTC struct{}

func (upperTC) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	sc := trace.SpanContextFromContext(ctx)
	if sc.IsValid() {
		c.Set(tracestateHeader, sc.TraceState().String())
		c.Set(traceparentHeader, "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-0X")
	}
}
func (upperTC) Extract(ctx context.Context, _ propagation.TextMapCarrier) context.Context {
	return ctx
}
func (upperTC) Fields() []string { return propagation.TraceContext{}.Fields() }

func autoProp(t *testing.T, names ...string) propagation.TextMapPropagator {
	t.Helper()
	p, err := autoprop.TextMapPropagator(names...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPropagatorPaths checks which propagators take kafkax's own W3C
// formatting and parsing (the fast path): TraceContext and Baggage alone,
// through a pointer or in composites however nested (otel's, autoprop's),
// and no other (contrib's b3 and jaeger, a composite with any of them, an
// application's propagator that wraps TraceContext (one that only embeds
// it has its methods, and takes the fast path), otel's global delegate,
// a composite of none, a propagator that panics).
// Either way, the headers a produced record gets are byte for byte those
// the propagator writes itself, and the consumer's parent and baggage are
// those it reads.
func TestPropagatorPaths(t *testing.T) {
	// Before any test sets a global propagator: otel's delegate, which
	// forwards to whatever is set later.
	global := otel.GetTextMapPropagator()
	tc, bg := propagation.TraceContext{}, propagation.Baggage{}
	comp := propagation.NewCompositeTextMapPropagator
	var calls atomic.Int64
	counting := countingTC{&calls}
	for _, tt := range []struct {
		name  string
		p     propagation.TextMapPropagator
		parts []propagation.TextMapPropagator // nil: the slow path
	}{
		{"tracecontext", tc, []propagation.TextMapPropagator{tc}},
		{"baggage", bg, []propagation.TextMapPropagator{bg}},
		{"tracecontext+baggage", comp(tc, bg), []propagation.TextMapPropagator{tc, bg}},
		{"baggage+nested tracecontext", comp(bg, comp(tc)), []propagation.TextMapPropagator{bg, tc}},
		{"tracecontext twice", comp(tc, comp(tc, bg)), []propagation.TextMapPropagator{tc, tc, bg}},
		{"pointer", &propagation.TraceContext{}, []propagation.TextMapPropagator{tc}},
		{"autoprop default", autoprop.NewTextMapPropagator(), []propagation.TextMapPropagator{tc, bg}},
		{"autoprop tracecontext,baggage", autoProp(t, "tracecontext", "baggage"), []propagation.TextMapPropagator{tc, bg}},
		{"b3", autoProp(t, "b3"), nil},
		{"jaeger", autoProp(t, "jaeger"), nil},
		{"tracecontext,baggage,b3", autoProp(t, "tracecontext", "baggage", "b3"), nil},
		{"custom", headerProp{"x-trace"}, nil},
		{"custom with a W3C name", headerProp{traceparentHeader}, nil},
		{"tracecontext+custom", comp(tc, headerProp{"x-trace"}), nil},
		{"counting wrapper", counting, nil},
		{"counting wrapper+baggage", comp(counting, bg), nil},
		{"embedded", embedTC{}, []propagation.TextMapPropagator{tc}}, // the same methods
		{"upper case", upperTC{}, nil},
		{"global delegate", global, nil},
		{"none", comp(), nil},
		{"panics", panicProp{}, nil},
		{"tracecontext+panics", comp(tc, panicProp{}), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parts, ok := stdPropagators(tt.p)
			if ok != (tt.parts != nil) || !slices.Equal(parts, tt.parts) {
				t.Fatalf("stdPropagators = %v, %v; want %v", parts, ok, tt.parts)
			}
			if _, ok := tt.p.(panicProp); ok || tt.name == "tracecontext+panics" {
				return
			}
			checkSameHeaders(t, tt.p)
		})
	}
	if calls.Load() == 0 {
		t.Error("the counting wrapper was never called")
	}
}

// checkSameHeaders produces and consumes records through hooks using p,
// under sampled and unsampled parents with baggage and without a parent,
// on records with and without headers, and compares the headers and the
// consumer's contexts with what p itself writes and reads.
func checkSameHeaders(t *testing.T, p propagation.TextMapPropagator) {
	t.Helper()
	ts, _ := trace.ParseTraceState("vendor=abc")
	bag, _ := baggage.Parse("user=42;zone=eu") // one member: a fixed order
	tid := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	sid := trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	bctx := baggage.ContextWithBaggage(context.Background(), bag)
	parents := map[string]context.Context{
		"sampled parent":   trace.ContextWithRemoteSpanContext(bctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts})),
		"unsampled parent": trace.ContextWithRemoteSpanContext(bctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})),
		"no parent":        context.Background(),
	}
	for pname, parent := range parents {
		for _, orig := range [][]kgo.RecordHeader{nil, {{Key: "a", Value: []byte("b")}}, {{Key: traceparentHeader, Value: []byte("old")}, {Key: "a", Value: []byte("b")}}} {
			h, exp := testHooks(t, sdktrace.AlwaysSample(), WithPropagators(p))
			r := &kgo.Record{Topic: "orders", Context: parent, Headers: slices.Clone(orig)}
			h.OnProduceRecordBuffered(r)
			sent := trace.SpanContextFromContext(r.Context)
			want := &kgo.Record{Headers: slices.Clone(orig)}
			p.Inject(trace.ContextWithSpanContext(parent, sent), (*recordCarrier)(want))
			h.OnProduceRecordUnbuffered(r, nil)
			if !sameHeaders(r.Headers, want.Headers) {
				t.Errorf("%s, headers %q: produced %q, want %q", pname, orig, r.Headers, want.Headers)
			}

			// The consumer, without a caller span.
			exp.Reset()
			in := &kgo.Record{Topic: "orders", Headers: slices.Clone(r.Headers)}
			wctx := p.Extract(context.Background(), (*recordCarrier)(in))
			wsc := trace.SpanContextFromContext(wctx)
			h.pollDone(context.Background(), kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "orders", Partitions: []kgo.FetchPartition{{Records: []*kgo.Record{in}}}}}}}, time.Now(), time.Now())
			got := RecordContext(context.Background(), in)
			gsc := trace.SpanContextFromContext(got)
			if spans := exp.GetSpans(); len(spans) == 1 {
				if !spans[0].Parent.Equal(wsc) {
					t.Errorf("%s, headers %q: consume span's parent %v, want %v", pname, orig, spans[0].Parent, wsc)
				}
				if !gsc.Equal(spans[0].SpanContext) {
					t.Errorf("%s, headers %q: RecordContext %v, want the consume span's", pname, orig, gsc)
				}
			} else if len(spans) != 0 || !gsc.Equal(wsc) {
				t.Errorf("%s, headers %q: %d consume spans, RecordContext %v; want the producer's %v", pname, orig, len(spans), gsc, wsc)
			}
			if g, w := baggage.FromContext(got).String(), baggage.FromContext(wctx).String(); g != w {
				t.Errorf("%s, headers %q: RecordContext baggage %q, want %q", pname, orig, g, w)
			}
		}
	}
}

func sameHeaders(a, b []kgo.RecordHeader) bool {
	return slices.EqualFunc(a, b, func(x, y kgo.RecordHeader) bool {
		return x.Key == y.Key && string(x.Value) == string(y.Value)
	})
}

// TestPartsOf checks how the probe reads a propagator's parts from its
// carrier calls: tracestate then traceparent is TraceContext, baggage is
// Baggage, anything else (a read, another header, a traceparent alone,
// nothing at all) is not a W3C composite.
func TestPartsOf(t *testing.T) {
	tc, bg := propagation.TraceContext{}, propagation.Baggage{}
	set := func(k string) probeOp { return probeOp{set: true, key: k, val: "v"} }
	for _, tt := range []struct {
		ops  []probeOp
		want []propagation.TextMapPropagator
	}{
		{[]probeOp{set(tracestateHeader), set(traceparentHeader)}, []propagation.TextMapPropagator{tc}},
		{[]probeOp{set(baggageHeader)}, []propagation.TextMapPropagator{bg}},
		{[]probeOp{set(baggageHeader), set(tracestateHeader), set(traceparentHeader), set(baggageHeader)}, []propagation.TextMapPropagator{bg, tc, bg}},
		{nil, nil},
		{[]probeOp{set(traceparentHeader)}, nil},
		{[]probeOp{set(tracestateHeader)}, nil},
		{[]probeOp{set(traceparentHeader), set(tracestateHeader)}, nil},
		{[]probeOp{{key: baggageHeader}}, nil},
		{[]probeOp{set(tracestateHeader), {key: traceparentHeader}}, nil},
		{[]probeOp{set(baggageHeader), set("x-trace")}, nil},
		{[]probeOp{{}}, nil},
	} {
		got, ok := partsOf(tt.ops)
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("partsOf(%v) = %v, %v; want %v", tt.ops, got, ok, tt.want)
		}
	}
}

// TestProbeCheck checks that the probe sees code outside OpenTelemetry's
// between it and the carrier, also in the context's Value, and not in
// otel's own propagators.
func TestProbeCheck(t *testing.T) {
	var calls atomic.Int64
	for _, tt := range []struct {
		name    string
		p       propagation.TextMapPropagator
		foreign bool
	}{
		{"tracecontext", propagation.TraceContext{}, false},
		{"baggage", propagation.Baggage{}, false},
		{"composite", propagation.NewCompositeTextMapPropagator(propagation.Baggage{}, propagation.TraceContext{}), false},
		{"wrapper", countingTC{&calls}, true},
		{"context reader", ctxReader{}, true},
	} {
		for _, extract := range []bool{false, true} {
			pr := &prober{}
			runProbe(probeContexts()[0], tt.p, pr, probeHeaders()[0], extract)
			if pr.foreign != tt.foreign {
				t.Errorf("%s (extract %v): foreign %v, want %v", tt.name, extract, pr.foreign, tt.foreign)
			}
		}
	}
	if !inPackages("go.opentelemetry.io/otel/propagation.TraceContext.Inject") ||
		!inPackages("go.opentelemetry.io/otel/propagation/internal/hextable.init") ||
		inPackages("go.opentelemetry.io/otel/propagationx.F") ||
		inPackages("go.opentelemetry.io/otel/internal/global.(*textMapPropagator).Inject") ||
		inPackages("go.opentelemetry.io/contrib/propagators/b3.propagator.Inject") {
		t.Error("inPackages")
	}
}

// ctxReader reads the context but not the carrier.
type ctxReader struct{}

func (ctxReader) Inject(ctx context.Context, _ propagation.TextMapCarrier) {
	_ = trace.SpanContextFromContext(ctx)
}
func (ctxReader) Extract(ctx context.Context, _ propagation.TextMapCarrier) context.Context {
	_ = ctx.Value(stateKey{})
	return ctx
}
func (ctxReader) Fields() []string { return nil }
