package logcorr

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/exception"
)

// Attribute keys of the span events that [NewSpanEventHandler] records.
const (
	// LogEventName is the name of the event for a record without an error.
	LogEventName = "log"
	// LogSeverityKey holds the Python level name (ERROR, CRITICAL, ...).
	LogSeverityKey = "log.severity"
	// LogMessageKey holds the record's message.
	LogMessageKey = "log.message"
)

type spanEventHandler struct {
	inner  slog.Handler
	level  slog.Leveler
	prefix string               // dotted group prefix of later attributes
	attrs  []attribute.KeyValue // WithAttrs, converted once
}

var _ slog.Handler = (*spanEventHandler)(nil)

// NewSpanEventHandler returns a handler that passes every record to inner
// and, when a record at or above level is logged with the context of a
// recording span, also adds it to that span as an event: the span's events
// then hold its exceptions and logs (events named "log" with log.severity
// and log.message, beside the "exception" events).
//
// A record with an error among its attributes becomes an "exception" event
// (span.RecordError: exception.type and exception.message); any other record
// a "log" event. Both carry log.severity (the Python level name),
// log.message, and the record's and logger's attributes, group keys joined
// with dots. With OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN=logs (exceptions as
// log records, not span events) a record with an error is a "log" event
// too: the record itself is the log record, passed to inner (for example
// [NewOTLPHandler]), so no second one is emitted. Nothing is built for records below level or without a recording
// span. A nil level means slog.LevelError.
func NewSpanEventHandler(inner slog.Handler, level slog.Leveler) slog.Handler {
	if level == nil {
		level = slog.LevelError
	}
	return &spanEventHandler{inner: inner, level: level}
}

// Enabled reports whether l reaches the event level or inner is enabled for
// it.
func (h *spanEventHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() || h.inner.Enabled(ctx, l)
}

// WithAttrs returns a handler whose records and events also carry attrs.
func (h *spanEventHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.inner = h.inner.WithAttrs(attrs)
	h2.attrs = slices.Clip(h.attrs)
	for _, a := range attrs {
		h2.attrs = appendKeyValues(h2.attrs, h.prefix, a)
	}
	return &h2
}

// WithGroup returns a handler that puts later attributes in group name.
func (h *spanEventHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.inner = h.inner.WithGroup(name)
	h2.prefix = h.prefix + name + "."
	return &h2
}

// Handle records the event, if any, and passes r to inner if inner is
// enabled for it.
func (h *spanEventHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= h.level.Level() {
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			h.record(span, r)
		}
		if !h.inner.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return h.inner.Handle(ctx, r)
}

func (h *spanEventHandler) record(span trace.Span, r slog.Record) {
	kvs := make([]attribute.KeyValue, 0, 2+len(h.attrs)+r.NumAttrs())
	kvs = append(kvs,
		attribute.String(LogSeverityKey, levelName(r.Level)),
		attribute.String(LogMessageKey, r.Message),
	)
	kvs = append(kvs, h.attrs...)
	var err error
	r.Attrs(func(a slog.Attr) bool {
		if err == nil && a.Value.Kind() == slog.KindAny {
			if e, ok := a.Value.Any().(error); ok {
				err = e
			}
		}
		kvs = appendKeyValues(kvs, h.prefix, a)
		return true
	})
	opts := []trace.EventOption{trace.WithTimestamp(r.Time), trace.WithAttributes(kvs...)}
	if err != nil && exception.FromEnv().Events() {
		span.RecordError(err, opts...)
		return
	}
	span.AddEvent(LogEventName, opts...)
}

// appendKeyValues converts a to OpenTelemetry attributes, flattening groups
// into dotted keys. The conversions follow the otelslog bridge where span
// attributes allow it.
func appendKeyValues(kvs []attribute.KeyValue, prefix string, a slog.Attr) []attribute.KeyValue {
	a.Value = a.Value.Resolve()
	if a.Key == "" && a.Value.Kind() == slog.KindAny && a.Value.Any() == nil {
		return kvs
	}
	key := prefix + a.Key
	v := a.Value
	switch v.Kind() {
	case slog.KindGroup:
		p := prefix
		if a.Key != "" {
			p = key + "."
		}
		for _, ga := range v.Group() {
			kvs = appendKeyValues(kvs, p, ga)
		}
		return kvs
	case slog.KindString:
		return append(kvs, attribute.String(key, v.String()))
	case slog.KindInt64:
		return append(kvs, attribute.Int64(key, v.Int64()))
	case slog.KindUint64:
		if u := v.Uint64(); u <= math.MaxInt64 {
			return append(kvs, attribute.Int64(key, int64(u)))
		}
		return append(kvs, attribute.String(key, strconv.FormatUint(v.Uint64(), 10)))
	case slog.KindFloat64:
		return append(kvs, attribute.Float64(key, v.Float64()))
	case slog.KindBool:
		return append(kvs, attribute.Bool(key, v.Bool()))
	case slog.KindDuration:
		return append(kvs, attribute.Int64(key, v.Duration().Nanoseconds()))
	case slog.KindTime:
		return append(kvs, attribute.Int64(key, v.Time().UnixNano()))
	default:
		switch x := v.Any().(type) {
		case error:
			return append(kvs, attribute.String(key, x.Error()))
		case fmt.Stringer:
			return append(kvs, attribute.String(key, x.String()))
		case []string:
			return append(kvs, attribute.StringSlice(key, x))
		default:
			return append(kvs, attribute.String(key, fmt.Sprintf("%+v", x)))
		}
	}
}
