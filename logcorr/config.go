package logcorr

import "log/slog"

// Default attribute keys that [NewHandler] adds.
const (
	TraceIDKey    = "trace_id"
	SpanIDKey     = "span_id"
	TraceFlagsKey = "trace_flags"
)

// config holds the settings of [NewHandler].
type config struct {
	traceIDKey, spanIDKey, traceFlagsKey string
	spanEvents                           slog.Leveler
}

func newConfig(opts []Option) config {
	c := config{traceIDKey: TraceIDKey, spanIDKey: SpanIDKey, traceFlagsKey: TraceFlagsKey}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// Option configures [NewHandler].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithAttrKeys sets the keys of the trace id, span id and trace flags
// attributes (by default [TraceIDKey], [SpanIDKey] and [TraceFlagsKey]). An
// empty key leaves that attribute out; with all three empty the handler adds
// no attributes, which is useful with [WithSpanEvents] alone.
func WithAttrKeys(traceID, spanID, traceFlags string) Option {
	return optionFunc(func(c *config) {
		c.traceIDKey, c.spanIDKey, c.traceFlagsKey = traceID, spanID, traceFlags
	})
}

// WithSpanEvents makes the handler also record every record at or above
// level, logged with the context of a recording span, as an event on that
// span (see [NewSpanEventHandler]). A nil level turns it off, which is the
// default.
func WithSpanEvents(level slog.Leveler) Option {
	return optionFunc(func(c *config) { c.spanEvents = level })
}
