package kafkax

import (
	"context"
	"runtime"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// stdPropagators returns, in the order they run, the propagators that p
// is made of when p is propagation.TraceContext, propagation.Baggage or a
// composite of them only (as otelboot, autoprop and otel's examples build
// it), and false for any other propagator. Their behaviour is known, which
// lets kafkax write the traceparent header without a string and read it
// without a copy or a context of its own.
//
// A composite's parts are not public, so p is probed once, with public
// calls only: its Fields must be W3C ones, and p injects and extracts a set
// of sample contexts and headers with exactly the carrier calls (keys,
// values, order) and results of the composite of the parts it seems made
// of. Every call p makes on the probe's carrier and context must come from
// OpenTelemetry's own propagation, trace and baggage packages (read from
// the call stack): a propagator of the application that wraps
// TraceContext, for instance to count or log, is code of its own between
// the two, and keeps the slow path, which calls it for every record. So
// does otel's global delegate, which forwards to whatever propagator is
// set later, and a propagator that propagates nothing (the composite of
// none, the global delegate before a propagator is set). The probe cannot
// see a part of a composite that touches neither the carrier nor the
// context.
func stdPropagators(p propagation.TextMapPropagator) (parts []propagation.TextMapPropagator, ok bool) {
	switch p.(type) {
	case propagation.TraceContext, propagation.Baggage:
		return []propagation.TextMapPropagator{p}, true
	case nil:
		return nil, false
	}
	for _, f := range p.Fields() {
		if f != traceparentHeader && f != tracestateHeader && f != baggageHeader {
			return nil, false
		}
	}
	defer func() {
		// A propagator that panics on the probe keeps the slow path
		// (where it panics as it would without kafkax).
		if recover() != nil {
			parts, ok = nil, false
		}
	}()
	parts, ok = probeParts(p)
	if !ok || !behavesAs(p, parts) {
		return nil, false
	}
	return parts, true
}

// probeParts reads the parts of p from the headers it injects for a
// sampled span context with a trace state and baggage: TraceContext sets
// tracestate then traceparent, Baggage sets baggage.
func probeParts(p propagation.TextMapPropagator) ([]propagation.TextMapPropagator, bool) {
	pr := &prober{}
	runProbe(probeContexts()[0], p, pr, nil, false)
	if pr.foreign {
		return nil, false
	}
	return partsOf(pr.ops)
}

// partsOf returns the W3C propagators that make the carrier calls ops when
// injecting probeContexts()[0]. A propagator that calls nothing gets
// false: it may be otel's global delegate, which propagates nothing until
// a propagator is set.
func partsOf(ops []probeOp) ([]propagation.TextMapPropagator, bool) {
	var parts []propagation.TextMapPropagator
	for len(ops) > 0 {
		switch {
		case len(ops) >= 2 && ops[0].set && ops[0].key == tracestateHeader && ops[1].set && ops[1].key == traceparentHeader:
			parts = append(parts, propagation.TraceContext{})
			ops = ops[2:]
		case ops[0].set && ops[0].key == baggageHeader:
			parts = append(parts, propagation.Baggage{})
			ops = ops[1:]
		default:
			return nil, false
		}
	}
	return parts, len(parts) > 0
}

// behavesAs reports whether p makes the same carrier calls as the
// composite of parts, and extracts the same span context and baggage, for
// every probe context and header set, and has the same Fields.
func behavesAs(p propagation.TextMapPropagator, parts []propagation.TextMapPropagator) bool {
	ref := propagation.NewCompositeTextMapPropagator(parts...)
	if !sameSet(p.Fields(), ref.Fields()) {
		return false
	}
	for _, ctx := range probeContexts() {
		got, want := &prober{}, &prober{}
		runProbe(ctx, p, got, nil, false)
		runProbe(ctx, ref, want, nil, false)
		if got.foreign || want.foreign || !slices.Equal(got.ops, want.ops) {
			return false
		}
	}
	for _, hs := range probeHeaders() {
		got, want := &prober{}, &prober{}
		gctx := runProbe(context.Background(), p, got, hs, true)
		wctx := runProbe(context.Background(), ref, want, hs, true)
		if got.foreign || want.foreign || !slices.Equal(got.ops, want.ops) ||
			!trace.SpanContextFromContext(gctx).Equal(trace.SpanContextFromContext(wctx)) ||
			baggage.FromContext(gctx).String() != baggage.FromContext(wctx).String() {
			return false
		}
	}
	return true
}

// sameSet reports whether a and b hold the same strings, ignoring order
// and repeats.
func sameSet(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			return false
		}
	}
	return true
}

// probeContexts are the contexts injected by the probe; the first one
// makes every W3C part set its headers.
func probeContexts() []context.Context {
	ts, _ := trace.ParseTraceState("kafkax=probe,other=1")
	bag, _ := baggage.Parse("kafkax=probe;p=v") // one member: a fixed order
	tid := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	sid := trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	with := func(scc trace.SpanContextConfig, b bool) context.Context {
		ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(scc))
		if b {
			ctx = baggage.ContextWithBaggage(ctx, bag)
		}
		return ctx
	}
	return []context.Context{
		with(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts}, true),
		with(trace.SpanContextConfig{TraceID: tid, SpanID: sid}, false),
		with(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: 0xff, TraceState: ts}, false),
		with(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsRandom, Remote: true}, true),
		with(trace.SpanContextConfig{TraceID: tid}, true), // invalid span context
		context.Background(),
	}
}

// probeHeaders are the header sets extracted by the probe.
func probeHeaders() [][]kgo.RecordHeader {
	h := func(kv ...string) []kgo.RecordHeader {
		var hs []kgo.RecordHeader
		for i := 0; i+1 < len(kv); i += 2 {
			hs = append(hs, kgo.RecordHeader{Key: kv[i], Value: []byte(kv[i+1])})
		}
		return hs
	}
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	return [][]kgo.RecordHeader{
		h(traceparentHeader, tp, tracestateHeader, "kafkax=probe", baggageHeader, "kafkax=probe"),
		h(traceparentHeader, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
		h(traceparentHeader, "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-extra", tracestateHeader, "bad state"),
		h(traceparentHeader, "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", baggageHeader, "kafkax=probe"),
		h(traceparentHeader, "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
		nil,
	}
}

// probeOp is one call of a propagator on the probe's carrier.
type probeOp struct {
	set      bool // Set, else Get (or Keys, with an empty key)
	key, val string
}

// prober records the calls a propagator makes on the probe's carrier and
// context, and whether any came through code outside OpenTelemetry's.
type prober struct {
	ops     []probeOp
	foreign bool
}

// probeCarrier is the carrier of a probe: a record's headers.
type probeCarrier struct {
	pr  *prober
	rec kgo.Record
}

// Get records the call and returns the header's value.
func (c *probeCarrier) Get(key string) string {
	c.pr.check()
	c.pr.ops = append(c.pr.ops, probeOp{key: key})
	return (*recordCarrier)(&c.rec).Get(key)
}

// Set records the call and sets the header.
func (c *probeCarrier) Set(key, val string) {
	c.pr.check()
	c.pr.ops = append(c.pr.ops, probeOp{set: true, key: key, val: val})
	(*recordCarrier)(&c.rec).Set(key, val)
}

// Keys records the call and returns the header names.
func (c *probeCarrier) Keys() []string {
	c.pr.check()
	c.pr.ops = append(c.pr.ops, probeOp{})
	return (*recordCarrier)(&c.rec).Keys()
}

// probeCtx is the context of a probe: it checks who reads its values.
type probeCtx struct {
	context.Context
	pr *prober
}

// Value checks the caller and returns the wrapped context's value.
func (c *probeCtx) Value(key any) any {
	c.pr.check()
	return c.Context.Value(key)
}

// probeEntry is the function name of runProbe, where a check stops.
const probeEntry = ScopeName + ".runProbe"

// runProbe has p inject ctx into a carrier holding headers, or, when
// extract is set, extract headers into ctx, recording the calls into pr.
//
//go:noinline
func runProbe(ctx context.Context, p propagation.TextMapPropagator, pr *prober, headers []kgo.RecordHeader, extract bool) context.Context {
	c := &probeCarrier{pr: pr, rec: kgo.Record{Headers: slices.Clone(headers)}}
	pctx := &probeCtx{Context: ctx, pr: pr}
	if !extract {
		p.Inject(pctx, c)
		return ctx
	}
	return p.Extract(pctx, c)
}

// otelPackages are the packages whose code may stand between runProbe and
// a call on the probe's carrier or context: those of propagation.TraceContext,
// propagation.Baggage and their composite, and Go's context. Not
// go.opentelemetry.io/otel/internal/global, whose delegate forwards to any
// propagator set later.
var otelPackages = []string{
	"go.opentelemetry.io/otel/propagation",
	"go.opentelemetry.io/otel/trace",
	"go.opentelemetry.io/otel/baggage",
	"go.opentelemetry.io/otel/internal/baggage",
	"context",
}

// check marks pr foreign unless every function between runProbe and the
// caller of check belongs to otelPackages (or to the probe itself).
func (pr *prober) check() {
	var pcs [128]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		switch {
		case f.Function == probeEntry:
			return
		case strings.HasPrefix(f.Function, ScopeName+".(*probe"):
			// The probe's carrier and context.
		case !inPackages(f.Function):
			pr.foreign = true
			return
		}
		if !more {
			// runProbe not reached: too deep to tell.
			pr.foreign = true
			return
		}
	}
}

// inPackages reports whether the function named fn belongs to one of
// otelPackages (or to a package under one).
func inPackages(fn string) bool {
	for _, p := range otelPackages {
		if strings.HasPrefix(fn, p) && len(fn) > len(p) && (fn[len(p)] == '.' || fn[len(p)] == '/') {
			return true
		}
	}
	return false
}
