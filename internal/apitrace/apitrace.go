// Package apitrace is a TracerProvider written against the OpenTelemetry
// API only, for tests: the wrappers must record under it the same spans as
// under the SDK (a vendor SDK or the auto-instrumentation SDK is no more
// the SDK's types than this is).
package apitrace

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// Provider is a TracerProvider written against the API only, as a vendor
// SDK or the auto-instrumentation SDK would be: its spans are not the
// OpenTelemetry SDK's types. It records every ended span.
type Provider struct {
	embedded.TracerProvider

	mu    sync.Mutex
	next  uint64
	spans []*span
}

// Tracer returns a tracer whose spans name name as their scope.
func (p *Provider) Tracer(name string, _ ...trace.TracerOption) trace.Tracer {
	return &tracer{p: p, scope: name}
}

func (p *Provider) id() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	return p.next
}

// ended returns the spans ended so far, in the order they ended.
func (p *Provider) ended() []*span {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.spans)
}

type tracer struct {
	embedded.Tracer
	p     *Provider
	scope string
}

func (t *tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	parent := trace.SpanContextFromContext(ctx)
	kind := cfg.SpanKind()
	if kind == trace.SpanKindUnspecified {
		kind = trace.SpanKindInternal
	}
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], t.p.id())
	tid := parent.TraceID()
	if !parent.IsValid() {
		binary.BigEndian.PutUint64(tid[8:], t.p.id())
	}
	s := &span{
		p:      t.p,
		scope:  t.scope,
		name:   name,
		kind:   kind,
		parent: parent,
		sc:     trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}),
		attrs:  setAttrs(nil, cfg.Attributes()),
	}
	return trace.ContextWithSpan(ctx, s), s
}

type event struct {
	name  string
	attrs []attribute.KeyValue
}

type span struct {
	embedded.Span
	p      *Provider
	scope  string
	kind   trace.SpanKind
	parent trace.SpanContext
	sc     trace.SpanContext

	mu     sync.Mutex
	name   string
	attrs  []attribute.KeyValue
	events []event
	status codes.Code
	desc   string
	ended  bool
}

func (s *span) End(...trace.SpanEndOption) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	s.mu.Unlock()
	s.p.mu.Lock()
	s.p.spans = append(s.p.spans, s)
	s.p.mu.Unlock()
}

func (s *span) AddEvent(name string, opts ...trace.EventOption) {
	cfg := trace.NewEventConfig(opts...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, event{name, slices.Clone(cfg.Attributes())})
}

func (s *span) AddLink(trace.Link) {}

func (s *span) IsRecording() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

func (s *span) RecordError(err error, opts ...trace.EventOption) {
	if err == nil {
		return
	}
	cfg := trace.NewEventConfig(opts...)
	attrs := append([]attribute.KeyValue{
		attribute.String("exception.type", fmt.Sprintf("%T", err)),
		attribute.String("exception.message", err.Error()),
	}, cfg.Attributes()...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, event{"exception", attrs})
}

func (s *span) SpanContext() trace.SpanContext { return s.sc }

func (s *span) SetStatus(code codes.Code, desc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == codes.Error || code == codes.Ok {
		s.status, s.desc = code, desc
	}
}

func (s *span) SetName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.name = name
}

// SetAttributes sets kv; a key set again takes the new value, as the API
// specifies.
func (s *span) SetAttributes(kv ...attribute.KeyValue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attrs = setAttrs(s.attrs, kv)
}

func setAttrs(to, kv []attribute.KeyValue) []attribute.KeyValue {
outer:
	for _, a := range kv {
		for i := range to {
			if to[i].Key == a.Key {
				to[i] = a
				continue outer
			}
		}
		to = append(to, a)
	}
	return to
}

func (s *span) TracerProvider() trace.TracerProvider { return s.p }

// View is what a comparison looks at: what an exporter would send,
// without ids and times.
type View struct {
	Scope, Name, Parent, Kind, Status, Desc string
	// Attrs are key=value, sorted; Events name(keys), in order (with the
	// exception message's value).
	Attrs, Events []string
}

// String returns v on one line.
func (v View) String() string {
	return fmt.Sprintf("%s %q parent=%q kind=%s status=%s %q attrs=%v events=%v",
		v.Scope, v.Name, v.Parent, v.Kind, v.Status, v.Desc, v.Attrs, v.Events)
}

func viewAttrs(kvs []attribute.KeyValue) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, string(kv.Key)+"="+kv.Value.String())
	}
	slices.Sort(out)
	return out
}

func viewEvent(name string, kvs []attribute.KeyValue) string {
	var keys []string
	for _, kv := range kvs {
		k := string(kv.Key)
		if k == "exception.message" {
			k += "=" + kv.Value.String()
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return name + "(" + strings.Join(keys, ",") + ")"
}

// ViewsOf returns the spans an SDK in-memory exporter holds as Views.
func ViewsOf(stubs tracetest.SpanStubs) []View {
	names := map[trace.SpanID]string{}
	for _, s := range stubs {
		names[s.SpanContext.SpanID()] = s.Name
	}
	var out []View
	for _, s := range stubs {
		v := View{
			Scope: s.InstrumentationScope.Name, Name: s.Name, Parent: names[s.Parent.SpanID()],
			Kind: s.SpanKind.String(), Status: s.Status.Code.String(), Desc: s.Status.Description,
			Attrs: viewAttrs(s.Attributes),
		}
		for _, e := range s.Events {
			v.Events = append(v.Events, viewEvent(e.Name, e.Attributes))
		}
		out = append(out, v)
	}
	return out
}

func viewsOfSpans(spans []*span) []View {
	names := map[trace.SpanID]string{}
	for _, s := range spans {
		names[s.sc.SpanID()] = s.name
	}
	var out []View
	for _, s := range spans {
		v := View{
			Scope: s.scope, Name: s.name, Parent: names[s.parent.SpanID()],
			Kind: s.kind.String(), Status: s.status.String(), Desc: s.desc,
			Attrs: viewAttrs(s.attrs),
		}
		s.mu.Lock()
		for _, e := range s.events {
			v.Events = append(v.Events, viewEvent(e.name, e.attrs))
		}
		s.mu.Unlock()
		out = append(out, v)
	}
	return out
}

// Views returns the spans ended so far as Views, in the order they ended.
func (p *Provider) Views() []View { return viewsOfSpans(p.ended()) }

// Reset forgets the spans ended so far.
func (p *Provider) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.spans = nil
}

// Diff compares got (under Provider) with want (under the SDK), span by
// span in order, and describes every difference; "" when they are equal.
func Diff(got, want []View) string {
	var b strings.Builder
	if len(got) != len(want) {
		fmt.Fprintf(&b, "%d spans without the SDK, %d with it\nwithout:\n%s\nwith:\n%s", len(got), len(want), Lines(got), Lines(want))
		return b.String()
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			fmt.Fprintf(&b, "span %d differs\nwithout the SDK: %v\nwith the SDK:    %v\n", i, got[i], want[i])
		}
	}
	return b.String()
}

// Lines returns one View per line.
func Lines(vs []View) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}
