package httpx

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// The tracer that otelhttp starts its spans with is httpx's (tracerProvider,
// passed with otelhttp.WithTracerProvider), so that httpx's keys reach the
// span in the calls otelhttp makes anyway instead of calls of their own:
//
//   - the start hook's attributes are added to otelhttp's span start
//     options, so the sampler sees them;
//   - the keys that httpx computes when the handler or the base round trip
//     returns are held (spanState.pending) and added to otelhttp's own last
//     SetAttributes call (the response's keys, or error.type), in front of
//     otelhttp's: the SDK then grows the span's attribute slice once at the
//     end, as it does under bare otelhttp, instead of twice.
//
// Only a recording span is wrapped. The wrapper is also the context handed
// back to otelhttp, on top of the SDK's (which keeps the SDK's span itself:
// trace.SpanFromContext returns it, child spans are counted), so that it
// costs no context node of its own and the handler and the base round trip
// find it at once, as their request's context (stateFrom); deeper down it
// is reached through spanStateKey. The wrapper's labeler is otelhttp's,
// which then allocates none of its own: the wrapper answers otelhttp's
// look-up of the labeler itself (no context node) when the labeler's key
// could be found out (labelerKey), and is put in a context node otherwise.

// tracerProvider gives otelhttp the tracer below. With no provider set it
// resolves one per span as otelhttp would: the provider of the context's
// local span, or the global one.
type tracerProvider struct {
	embedded.TracerProvider
	tp        trace.TracerProvider // nil: resolved per span
	client    bool
	startHook bool // a start hook puts its attributes in the context
}

func (p *tracerProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	t := &tracer{name: name, opts: opts, client: p.client, startHook: p.startHook}
	t.labelerKey = labelerKey(t.labelerFuncs())
	if p.tp != nil {
		t.fixed = p.tp.Tracer(name, opts...)
	}
	return t
}

type tracer struct {
	embedded.Tracer
	fixed     trace.Tracer // from WithTracerProvider; nil: resolved per span
	name      string
	opts      []trace.TracerOption
	client    bool
	startHook bool
	last      atomic.Pointer[resolvedTracer] // the last resolved provider's tracer
	// labelerKey is the context key of otelhttp's labeler for the
	// tracer's side, server or client (see labelerKey); nil when it could
	// not be found out.
	labelerKey any
}

// labelerFuncs returns otelhttp's look-up of the labeler for the tracer's
// side, and the function that puts one in a context.
func (t *tracer) labelerFuncs() (func(context.Context) (*otelhttp.Labeler, bool), func(context.Context, *otelhttp.Labeler) context.Context) {
	if t.client {
		return otelhttp.ClientLabelerFromContext, otelhttp.ContextWithClientLabeler
	}
	return otelhttp.LabelerFromContext, otelhttp.ContextWithLabeler
}

// withLabeler makes s's labeler the one that otelhttp finds in the span's
// context ctx when the caller put none there: with the labeler key, s
// answers otelhttp's look-up itself (spanState.value) and ctx is
// returned as is; without it, the labeler is put in a context node on
// top of ctx, as before the key was known.
func (t *tracer) withLabeler(ctx context.Context, s *spanState) context.Context {
	if t.labelerKey != nil {
		s.labelerKey = &t.labelerKey
		return ctx
	}
	// Direct calls, not labelerFuncs': inlined, the look-up's empty
	// labeler for a miss stays on the stack.
	if t.client {
		if _, found := otelhttp.ClientLabelerFromContext(ctx); !found {
			ctx = otelhttp.ContextWithClientLabeler(ctx, &s.labeler)
		}
		return ctx
	}
	if _, found := otelhttp.LabelerFromContext(ctx); !found {
		ctx = otelhttp.ContextWithLabeler(ctx, &s.labeler)
	}
	return ctx
}

// keyProbe is a context that notes the keys it is asked for.
type keyProbe struct {
	context.Context
	key any
	n   int
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	p.n++
	return p.Context.Value(key)
}

// labelerKey returns the context key that lookup (an otelhttp labeler
// look-up) asks the context for, found out through the public functions
// alone: lookup asks a probe context for it once, and with must store a
// labeler under it that lookup finds again. nil when either does not hold.
// With the key, a span's state answers otelhttp's look-up itself
// (spanState.value), with the caller's labeler or its
// own: no context node for the labeler, and no look-up of it when the
// span starts. Server and client labelers have keys of their own.
func labelerKey(lookup func(context.Context) (*otelhttp.Labeler, bool),
	with func(context.Context, *otelhttp.Labeler) context.Context,
) any {
	p := &keyProbe{Context: context.Background()}
	if _, found := lookup(p); found || p.n != 1 || p.key == nil {
		return nil
	}
	l := &otelhttp.Labeler{}
	ctx := with(context.Background(), l)
	if got, found := lookup(ctx); !found || got != l {
		return nil
	}
	if v, _ := ctx.Value(p.key).(*otelhttp.Labeler); v != l {
		return nil
	}
	return p.key
}

type resolvedTracer struct {
	tp trace.TracerProvider
	t  trace.Tracer
}

// resolve returns the tracer of the provider that otelhttp would use for a
// span started in ctx when no provider is set: the provider of the local
// span of ctx, or the global provider. (On the server, ctx already holds
// the extracted remote span context, whose provider is never used.)
func (t *tracer) resolve(ctx context.Context) trace.Tracer {
	if t.fixed != nil {
		return t.fixed
	}
	var tp trace.TracerProvider
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && !sc.IsRemote() {
		tp = trace.SpanFromContext(ctx).TracerProvider()
	} else {
		tp = otel.GetTracerProvider()
	}
	if r := t.last.Load(); r != nil && r.tp == tp {
		return r.t
	}
	r := &resolvedTracer{tp: tp, t: tp.Tracer(t.name, t.opts...)}
	t.last.Store(r)
	return r.t
}

// startAttrsKey holds, in a request's context, the start hook's attributes
// for the span otelhttp starts next. It is set for every request when there
// is a start hook, even with no attributes, so that a span of a handler or
// transport with a hook never takes those of an outer one.
type startAttrsKey struct{}

// withStartAttrs returns r with the start hook's attributes in its context.
func withStartAttrs(r *http.Request, hook StartHook) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), startAttrsKey{}, hook(r)))
}

func (t *tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if t.startHook {
		if a, _ := ctx.Value(startAttrsKey{}).([]attribute.KeyValue); len(a) > 0 {
			opts = append(opts[:len(opts):len(opts)], trace.WithAttributes(a...))
		}
	}
	ctx, span := t.resolve(ctx).Start(ctx, name, opts...)
	if !span.IsRecording() {
		return ctx, span
	}
	if t.client {
		st := &clientState{}
		st.Span = span
		st.Context = t.withLabeler(ctx, &st.spanState)
		return st, st
	}
	st := &serverState{}
	st.Span = span
	st.Context = t.withLabeler(ctx, &st.spanState)
	return st, st
}

// spanStateKey is the context key of a span's state (the Value methods of
// serverState and clientState).
type spanStateKey struct{}

// stateFrom returns the state of the span whose context, as httpx's tracer
// returned it, is ctx; nil when ctx is another context (the span is not
// recording, or a tracer provider of the caller's own started it, or
// otelhttp added to the context): then see stateOf. S is *serverState or
// *clientState.
func stateFrom[S any](ctx context.Context) S {
	st, _ := ctx.(S)
	return st
}

// stateOf returns the state of span, the recording span of ctx, when
// httpx's tracer started it; nil otherwise (a tracer provider passed with
// WithOtelhttpOptions, or the state of an outer span).
func stateOf[S interface{ *serverState | *clientState }](ctx context.Context, span trace.Span) S {
	st, _ := ctx.Value(spanStateKey{}).(S)
	if st == nil || spanOf(st).SpanContext().SpanID() != span.SpanContext().SpanID() {
		return nil
	}
	return st
}

// spanOf returns the SDK's span of a state.
func spanOf[S interface{ *serverState | *clientState }](st S) trace.Span {
	switch st := any(st).(type) {
	case *serverState:
		return st.Span
	case *clientState:
		return st.Span
	}
	return nil
}

// pendingLen is the size of the pooled buffers of held keys: the most that
// the server or the client holds without captured headers, and otelhttp's
// last keys.
const pendingLen = 24

var pendingPool = sync.Pool{New: func() any { return new([pendingLen]attribute.KeyValue) }}

// unheldBuf is a pooled buffer of the keys that the server or the client
// sets on a span at once, not held (a tracer provider of the caller's own,
// or a server span that ends on a panic). The keys are written on the
// caller's stack (middleware.finish): passed to the span from there, they
// would escape to the heap on every request. The SDK copies attributes in
// SetAttributes and keeps no reference to the slice.
type unheldBuf [max(maxServerKeys, maxClientKeys)]attribute.KeyValue

var unheldPool = sync.Pool{New: func() any { return new(unheldBuf) }}

// unheld returns a pooled buffer and keys copied to its start, to append
// to and set on the span; release the buffer after.
func unheld(keys []attribute.KeyValue) (*unheldBuf, []attribute.KeyValue) {
	buf := unheldPool.Get().(*unheldBuf)
	return buf, append(buf[:0], keys...)
}

// release drops the buffer's references to request data and returns it to
// the pool.
func (b *unheldBuf) release() {
	clear(b[:])
	unheldPool.Put(b)
}

// spanState is the part that serverState and clientState share: the span
// otelhttp holds and the context it runs the request in, that is the SDK's
// recording span and context, the keys httpx holds for otelhttp's last
// SetAttributes call, and the per-request state that httpx would otherwise
// allocate apart (the context node, the labeler).
type spanState struct {
	context.Context // the SDK's context of the span, with the labeler
	trace.Span
	labeler otelhttp.Labeler

	// pending are the held keys, nil when none: at the start of a buffer of
	// pendingPool (of capacity pendingLen), or beyond it when captured
	// headers overflow it.
	pending []attribute.KeyValue

	after func() // the end hook's call, run after the held keys are set

	// small says that the held keys and otelhttp's last ones are the
	// standard ones alone (no captured headers, which can be large): flush
	// then returns the pooled buffer without clearing it, as what it keeps
	// of the request until the buffer's next use or the pool's drop at a
	// collection is a URL and a method, already in telemetry.
	small bool

	// labelerKey is the tracer's labelerKey (a pointer: the states fit
	// smaller size classes); when set, Value answers otelhttp's look-up of
	// the labeler (labelerValue).
	labelerKey *any
}

// value is the Value of the state self (a *serverState or *clientState,
// whose spanState s is): self for spanStateKey; for otelhttp's labeler key
// of the state's side, labelerValue; the parent's value otherwise.
func (s *spanState) value(self, key any) any {
	if _, ok := key.(spanStateKey); ok {
		return self
	}
	if k := s.labelerKey; k != nil && key == *k {
		return s.labelerValue(key)
	}
	return s.Context.Value(key)
}

// labelerValue is the value of the labeler key: the caller's labeler, in
// the parent context, or else the state's own.
func (s *spanState) labelerValue(key any) any {
	if l := s.Context.Value(key); l != nil {
		return l
	}
	return &s.labeler
}

// serverState is the state of a server span: with the response writer, and
// the route matched for middleware.spanName.
type serverState struct {
	spanState
	rw   rwBase
	info *routeInfo
}

// clientState is the state of a client span: with the response body, and
// the last url.full that otelhttp set (its request's keys, set before the
// base round trip; "" when none).
type clientState struct {
	spanState
	body    clientBody
	urlFull string
}

// Value returns s for spanStateKey; for otelhttp's server labeler key,
// the caller's labeler or else the state's own; the parent's value
// otherwise (spanState.value).
func (s *serverState) Value(key any) any { return s.value(s, key) }

// Value is serverState.Value for otelhttp's client labeler key.
func (s *clientState) Value(key any) any { return s.value(s, key) }

// hold returns an empty slice to append the held keys to; set them with
// setPending.
func (s *spanState) hold() []attribute.KeyValue {
	return pendingPool.Get().(*[pendingLen]attribute.KeyValue)[:0]
}

func (s *spanState) setPending(a []attribute.KeyValue) { s.pending = a }

// flush sets the held keys followed by attrs in one call.
func (s *spanState) flush(attrs []attribute.KeyValue) {
	held := s.pending
	all := append(held, attrs...)
	s.Span.SetAttributes(all...)
	s.pending = nil
	if cap(held) == pendingLen { // still in its pooled buffer (outgrown, it has left it behind)
		buf := (*[pendingLen]attribute.KeyValue)(held[:pendingLen])
		if !s.small {
			// Drop the references to request data: the keys are in the
			// first len(all) entries (all of them when all outgrew the
			// buffer).
			clear(buf[:min(len(all), pendingLen)])
		}
		pendingPool.Put(buf)
	}
	if f := s.after; f != nil {
		s.after = nil
		f()
	}
}

// SetAttributes sets attrs after the held keys, in one call.
func (s *spanState) SetAttributes(attrs ...attribute.KeyValue) {
	if s.pending == nil {
		s.Span.SetAttributes(attrs...)
		return
	}
	s.flush(attrs)
}

// SetAttributes sets attrs after the held keys, in one call, noting
// otelhttp's url.full (of its request's keys) on the way.
func (s *clientState) SetAttributes(attrs ...attribute.KeyValue) {
	if s.pending == nil {
		s.noteURLFull(attrs)
		s.Span.SetAttributes(attrs...)
		return
	}
	s.flush(attrs)
}

// noteURLFull notes the url.full of attrs (otelhttp's request keys hold
// one, after the method: the scan goes forward).
func (s *clientState) noteURLFull(attrs []attribute.KeyValue) {
	for i := range attrs {
		if attrs[i].Key == otelsemconv.URLFullKey && attrs[i].Value.Type() == attribute.STRING {
			s.urlFull = attrs[i].Value.AsString()
			return
		}
	}
}

// End sets the keys still held and ends the span.
func (s *spanState) End(opts ...trace.SpanEndOption) {
	if s.pending != nil {
		s.flush(nil)
	}
	s.Span.End(opts...)
}
