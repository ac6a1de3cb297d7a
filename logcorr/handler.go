package logcorr

import (
	"context"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/trace"
)

// corrHandler adds the ids of the context's span to each record.
//
// Groups opened with WithGroup are kept here rather than passed to inner, so
// that the id attributes stay at the top level of the record (a handler
// cannot leave a group once opened). Until the first group every call goes
// straight to inner and costs nothing extra.
type corrHandler struct {
	inner  slog.Handler
	cfg    *config
	groups []pendingGroup
}

type pendingGroup struct {
	name  string
	attrs []slog.Attr
}

var _ slog.Handler = (*corrHandler)(nil)

// NewHandler returns a handler that adds the trace id, span id and trace
// flags of the span in the record's context (the ctx of slog's *Context
// methods) to every record, as the attributes trace_id (32 lowercase hex
// digits), span_id (16) and trace_flags (2), and passes it to inner: a
// slog.TextHandler, slog.JSONHandler or any other. A record logged without a
// valid span context passes unchanged. The attributes stay at the top level
// even inside [slog.Logger.WithGroup].
//
// The options rename the attributes or also record errors as span events.
func NewHandler(inner slog.Handler, opts ...Option) slog.Handler {
	cfg := newConfig(opts)
	var h slog.Handler = inner
	if cfg.traceIDKey != "" || cfg.spanIDKey != "" || cfg.traceFlagsKey != "" {
		h = &corrHandler{inner: inner, cfg: &cfg}
	}
	if cfg.spanEvents != nil {
		h = NewSpanEventHandler(h, cfg.spanEvents)
	}
	return h
}

// Enabled reports whether inner is enabled for l.
func (h *corrHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

// WithAttrs returns a handler whose records also carry attrs.
func (h *corrHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	if len(h.groups) == 0 {
		return &corrHandler{inner: h.inner.WithAttrs(attrs), cfg: h.cfg}
	}
	gs := slices.Clone(h.groups)
	last := &gs[len(gs)-1]
	last.attrs = append(slices.Clip(last.attrs), attrs...)
	return &corrHandler{inner: h.inner, cfg: h.cfg, groups: gs}
}

// WithGroup returns a handler that puts later attributes in group name.
func (h *corrHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	gs := append(slices.Clip(h.groups), pendingGroup{name: name})
	return &corrHandler{inner: h.inner, cfg: h.cfg, groups: gs}
}

// Handle adds the ids and passes r to inner.
func (h *corrHandler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if len(h.groups) == 0 {
		if !sc.IsValid() {
			return h.inner.Handle(ctx, r)
		}
		var ids [3]slog.Attr
		r = r.Clone()
		r.AddAttrs(h.idAttrs(ids[:0], sc)...)
		return h.inner.Handle(ctx, r)
	}

	// Nest the record's attributes in the pending groups, innermost first.
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	var (
		child slog.Attr
		has   bool
	)
	for i := len(h.groups) - 1; i >= 0; i-- {
		g := h.groups[i]
		content := make([]slog.Attr, 0, len(g.attrs)+r.NumAttrs()+1)
		content = append(content, g.attrs...)
		if i == len(h.groups)-1 {
			r.Attrs(func(a slog.Attr) bool {
				content = append(content, a)
				return true
			})
		} else if has {
			content = append(content, child)
		}
		has = len(content) > 0
		if has {
			child = slog.GroupAttrs(g.name, content...)
		}
	}
	if has {
		nr.AddAttrs(child)
	}
	if sc.IsValid() {
		var ids [3]slog.Attr
		nr.AddAttrs(h.idAttrs(ids[:0], sc)...)
	}
	return h.inner.Handle(ctx, nr)
}

// idAttrs appends the id attributes of sc to dst. Both ids share one string
// allocation.
func (h *corrHandler) idAttrs(dst []slog.Attr, sc trace.SpanContext) []slog.Attr {
	var buf [48]byte
	hexTraceID((*[32]byte)(buf[:32]), sc.TraceID())
	hexSpanID((*[16]byte)(buf[32:]), sc.SpanID())
	s := string(buf[:])
	if k := h.cfg.traceIDKey; k != "" {
		dst = append(dst, slog.String(k, s[:32]))
	}
	if k := h.cfg.spanIDKey; k != "" {
		dst = append(dst, slog.String(k, s[32:]))
	}
	if k := h.cfg.traceFlagsKey; k != "" {
		dst = append(dst, slog.String(k, flagsString(sc.TraceFlags())))
	}
	return dst
}

func flagsString(f trace.TraceFlags) string {
	switch f {
	case 0:
		return "00"
	case trace.FlagsSampled:
		return "01"
	}
	return f.String()
}
