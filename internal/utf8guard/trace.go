package utf8guard

import (
	"context"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Spans returns exp behind the guard: every span it exports has valid
// UTF-8 strings. A nil exp gives nil.
func Spans(exp sdktrace.SpanExporter) sdktrace.SpanExporter {
	if exp == nil {
		return nil
	}
	return &spanExporter{SpanExporter: exp}
}

type spanExporter struct {
	sdktrace.SpanExporter
	res resourceCache
}

// ExportSpans hands spans on as they are when every string is valid, or
// else a copy of the slice in which each span that needs it is replaced by
// a fixed snapshot.
func (e *spanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	for i, s := range spans {
		if e.validSpan(s) {
			continue
		}
		out := make([]sdktrace.ReadOnlySpan, len(spans))
		copy(out, spans[:i])
		for j := i; j < len(spans); j++ {
			out[j] = e.span(spans[j])
		}
		return e.SpanExporter.ExportSpans(ctx, out)
	}
	return e.SpanExporter.ExportSpans(ctx, spans)
}

func (e *spanExporter) validSpan(s sdktrace.ReadOnlySpan) bool {
	if !validString(s.Name()) || !ValidKeyValues(s.Attributes()) ||
		!validString(s.Status().Description) {
		return false
	}
	if !validEvents(s.Events()) || !validLinks(s.Links()) {
		return false
	}
	sc := s.InstrumentationScope()
	if !ValidScope(&sc) {
		return false
	}
	_, changed := e.res.get(s.Resource())
	return !changed
}

// span returns s, or a snapshot of it with every string made valid.
func (e *spanExporter) span(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	if e.validSpan(s) {
		return s
	}
	st := tracetest.SpanStubFromReadOnlySpan(s)
	st.Name = String(st.Name)
	st.Attributes, _ = KeyValues(st.Attributes)
	st.Status.Description = String(st.Status.Description)
	if !validEvents(st.Events) {
		evs := make([]sdktrace.Event, len(st.Events))
		for i, ev := range st.Events {
			ev.Name = String(ev.Name)
			ev.Attributes, _ = KeyValues(ev.Attributes)
			evs[i] = ev
		}
		st.Events = evs
	}
	if !validLinks(st.Links) {
		ls := make([]sdktrace.Link, len(st.Links))
		for i, l := range st.Links {
			l.Attributes, _ = KeyValues(l.Attributes)
			ls[i] = l
		}
		st.Links = ls
	}
	st.InstrumentationScope, _ = Scope(st.InstrumentationScope)
	//lint:ignore SA1019 Snapshot reads both fields; the old one must agree.
	st.InstrumentationLibrary = st.InstrumentationScope
	st.Resource, _ = e.res.get(st.Resource)
	return st.Snapshot()
}

func validEvents(evs []sdktrace.Event) bool {
	for i := range evs {
		if ev := &evs[i]; !validString(ev.Name) || !ValidKeyValues(ev.Attributes) {
			return false
		}
	}
	return true
}

func validLinks(ls []sdktrace.Link) bool {
	for i := range ls {
		if !ValidKeyValues(ls[i].Attributes) {
			return false
		}
	}
	return true
}
