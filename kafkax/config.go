package kafkax

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/internal/semconv"
)

// Option configures Opts. PollFetches and PollRecords use the options
// given to the client's Opts; NewClient uses the defaults.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	propagator     propagation.TextMapPropagator
	mode           semconv.Mode
	modeSet        bool
	excSignal      otelkit.ExceptionSignal
	logger         *slog.Logger
	clientID       string
	consumerGroup  string
	attrs          []attribute.KeyValue
	askAlways      bool // WithSamplerForEveryRecord
	batch          bool // WithBatchSpans
	produceHook    StartHook
	consumeHook    StartHook
	endHook        EndHook
}

// newConfig applies opts over the defaults, read from the OpenTelemetry
// globals, slog.Default and OTEL_SEMCONV_STABILITY_OPT_IN at this moment.
func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.tracerProvider == nil {
		c.tracerProvider = otel.GetTracerProvider()
	}
	if c.meterProvider == nil {
		c.meterProvider = otel.GetMeterProvider()
	}
	if c.propagator == nil {
		c.propagator = otel.GetTextMapPropagator()
	}
	if !c.modeSet {
		c.mode = semconv.FromEnv().Messaging
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// WithTracerProvider sets the tracer provider. The default is the global one
// at the time the options are built.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tracerProvider = tp })
}

// WithMeterProvider sets the meter provider. The default is the global one at
// the time the options are built.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meterProvider = mp })
}

// WithPropagators sets the propagator that writes the trace context into
// record headers and that the consume side (the client's own polls and
// kafkax's PollFetches and PollRecords) reads it back with. The
// default is the global one (W3C traceparent and baggage under otelboot).
// It is named like httpx.WithPropagators and otelhttp's option.
//
// RecordContext reads the headers with the global propagator only for a
// record that was not polled by a client built with Opts.
//
// Opts calls the propagator's methods a few times with sample contexts and
// headers of its own, to tell whether it is OpenTelemetry's TraceContext
// and Baggage only, whose headers kafkax then writes and reads itself (the
// same bytes, fewer allocations); see the package documentation.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) { c.propagator = p })
}

// WithSemconv overrides the messaging conventions that
// OTEL_SEMCONV_STABILITY_OPT_IN selects: otelkit.SemconvOld (the default;
// span names kafka.produce and kafka.consume and the telemetry spec's keys),
// otelkit.SemconvStable ("messaging": span names "send <topic>" and "receive
// <topic>" and the stable keys) or otelkit.SemconvDup ("messaging/dup": both
// sets of keys, stable names). See the package documentation for the keys.
func WithSemconv(m otelkit.SemconvMode) Option {
	return optionFunc(func(c *config) { c.mode, c.modeSet = m, true })
}

// WithExceptionSignal overrides, for this wrapper's exceptions (a record
// that could not be produced, a fetch that failed), the signal that
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN selects: otelkit.ExceptionEvents
// (span events, the variable's default), otelkit.ExceptionLogs ("logs") or
// otelkit.ExceptionLogsDup ("logs/dup"). otelkit.ExceptionSignalFromEnv,
// the default, reads the variable at each exception. See "Exceptions as
// logs" in the package documentation.
func WithExceptionSignal(s otelkit.ExceptionSignal) Option {
	return optionFunc(func(c *config) { c.excSignal = s })
}

// WithLogger sets the logger that reports, at debug level, records whose
// trace context header cannot be parsed. The default is slog.Default at the
// time the options are built.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithClientID sets the client id put on spans. By default it is read from
// the client (kgo.ClientID, "kgo" unless set) when the client is created.
func WithClientID(id string) Option {
	return optionFunc(func(c *config) { c.clientID = id })
}

// WithConsumerGroup sets the consumer group put on consume spans. By default
// it is read from the client (kgo.ConsumerGroup) when the client is created.
func WithConsumerGroup(group string) Option {
	return optionFunc(func(c *config) { c.consumerGroup = group })
}

// WithAttributes adds attributes to every produce and consume span, as
// sqlx.WithAttributes and redisx.WithAttributes do. Like the other span
// attributes they are set only on recorded spans; the metrics do not get
// them.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c *config) { c.attrs = append(c.attrs, attrs...) })
}

// WithSamplerForEveryRecord(true) makes kafkax ask the tracer's sampler about
// every record, even one whose parent span context (the Produce context's
// span, the PollFetches caller's span or, without one, the producer's
// context read from the record headers) is valid and not sampled.
//
// By default kafkax starts no span for such a record: a ParentBased sampler,
// OpenTelemetry's default and that of every OTEL_TRACES_SAMPLER value but
// always_on and traceidratio, drops it anyway, and asking costs the SDK a
// non-recording span and its context, two allocations per record on each
// side. The record still carries its parent's context to the consumer, so
// the decision travels on. Use this option with a sampler that may record
// the child of an unsampled parent. WithSamplerForEveryRecord(false) is the
// default; the last of several of these options wins.
func WithSamplerForEveryRecord(on bool) Option {
	return optionFunc(func(c *config) { c.askAlways = on })
}

// WithBatchSpans(true) makes the consume side (kafkax's PollFetches and
// PollRecords, and the client's own polls) start one CONSUMER span per
// topic and poll, as the OpenTelemetry messaging conventions describe
// batch receiving, instead of one per record. The span has the name of the
// per-record span (kafka.consume, or "receive <topic>"), covers the poll,
// and is a child of the span in the poll's ctx or, without one, the root of
// a new trace. It links to the producer span of each record whose headers
// carry one (the links are added only to a recorded span, and no more than
// the SDK keeps: the SDK's link limit, 128 by default, is reached at the
// first dropped link and the remaining headers are not read). Its
// attributes are those of the per-record span but the offset and message
// key, the partition only when all the records come from one, and
// messaging.batch.message_count, the number of the topic's records in the
// poll. The batch span of the client's own poll ends at the start of the
// next poll or when the client closes (see the package documentation).
//
// A caller span that is not sampled gets no batch span, unless
// WithSamplerForEveryRecord(true) was given; without a caller span the tracer's
// sampler decides once per topic and poll. RecordContext returns, for a
// record of a recorded batch span, a context carrying that span, so that
// the processing spans are its children; for the other records it returns
// what it returns for unsampled records. The metrics are the same with or
// without this option. WithBatchSpans(false) is the default, one span per
// record; the last of several of these options wins.
func WithBatchSpans(on bool) Option {
	return optionFunc(func(c *config) { c.batch = on })
}

// StartHook is called with a record just before the start of its span, with
// the span's parent context (the Produce context, the PollFetches caller's
// context or the producer's context read from the record headers). The
// attributes it returns are given to the tracer at the start
// (trace.WithAttributes), so the sampler sees them in its parameters, and
// they are on the span. It runs on the goroutine that produces or polls
// the record; it must not keep r, nor change it.
type StartHook func(ctx context.Context, r *kgo.Record) []attribute.KeyValue

// EndHook is called with a recorded span just before it ends, after
// kafkax has set its attributes and, on failure, its status: span can take
// more attributes or events. r is the span's record, nil for a batch span
// (WithBatchSpans) and for the span of a failed poll; err is the produce
// or poll error, nil on success. It must not end the span, keep r, nor
// change it.
type EndHook func(span trace.Span, r *kgo.Record, err error)

// WithProduceHook sets the hook called before the start of each produce
// span, Python's produce_hook but run before the start, so that the
// attributes it returns reach the sampler (otelhttp has no such hook). It
// is not called for a record that gets no span because its parent is not
// sampled (see WithSamplerForEveryRecord). The last of several of these
// options wins; nil removes it.
func WithProduceHook(hook StartHook) Option {
	return optionFunc(func(c *config) { c.produceHook = hook })
}

// WithConsumeHook sets the hook called before the start of each
// per-record consume span, from kafkax's PollFetches and PollRecords as
// from the client's own polls, Python's consume_hook but run before the
// start, so that the attributes it returns reach the sampler. It is not
// called for a record that gets no span because its parent is not sampled
// (see WithSamplerForEveryRecord), nor for batch spans (WithBatchSpans),
// which have no one record. The last of several of these options wins; nil
// removes it.
func WithConsumeHook(hook StartHook) Option {
	return optionFunc(func(c *config) { c.consumeHook = hook })
}

// WithEndHook sets the hook called with every recorded produce and consume
// span just before it ends, with its record and error (see EndHook). The
// last of several of these options wins; nil removes it.
func WithEndHook(hook EndHook) Option {
	return optionFunc(func(c *config) { c.endHook = hook })
}
