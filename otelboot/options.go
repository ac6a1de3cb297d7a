package otelboot

import (
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/otelboot/liveview"
)

// Option configures Start. Options add to or override what the environment
// says, except where an option's documentation says it only sets a default.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	serviceName     string
	serviceVersion  string
	resourceAttrs   []attribute.KeyValue
	spanMetrics     bool
	view            *liveview.View
	setDefaultSlog  bool
	logger          *slog.Logger
	spanProcessors  []sdktrace.SpanProcessor
	metricReaders   []sdkmetric.Reader
	logProcessors   []sdklog.Processor
	env             func(string) (string, bool)
}

func newConfig(opts []Option) *config {
	c := &config{spanMetrics: true, setDefaultSlog: true}
	for _, o := range opts {
		o.apply(c)
	}
	return c
}

// WithServiceName sets the default service.name. OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES still override it.
func WithServiceName(name string) Option {
	return optionFunc(func(c *config) { c.serviceName = name })
}

// WithServiceVersion sets the default service.version. OTEL_RESOURCE_ATTRIBUTES
// still overrides it.
func WithServiceVersion(v string) Option {
	return optionFunc(func(c *config) { c.serviceVersion = v })
}

// WithResourceAttributes adds default resource attributes (for example
// deployment.environment). OTEL_RESOURCE_ATTRIBUTES still overrides them.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c *config) { c.resourceAttrs = append(c.resourceAttrs, attrs...) })
}

// WithSpanMetrics turns the span_rate, error_rate and duration metrics on or
// off (on by default).
func WithSpanMetrics(on bool) Option {
	return optionFunc(func(c *config) { c.spanMetrics = on })
}

// WithLiveView registers v's span and log processors beside the exporters.
// Start does not serve v; call v.Start. Without this option, Start creates
// and serves a view when OTELKIT_VIEW_ADDR is set.
func WithLiveView(v *liveview.View) Option {
	return optionFunc(func(c *config) { c.view = v })
}

// WithDefaultLogger says whether Start replaces slog's default logger with
// one that writes the correlated text format and sends records as OTLP logs
// (true by default).
func WithDefaultLogger(on bool) Option {
	return optionFunc(func(c *config) { c.setDefaultSlog = on })
}

// WithSpanProcessor adds a span processor to the tracer provider.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return optionFunc(func(c *config) { c.spanProcessors = append(c.spanProcessors, p) })
}

// WithMetricReader adds a metric reader to the meter provider.
func WithMetricReader(r sdkmetric.Reader) Option {
	return optionFunc(func(c *config) { c.metricReaders = append(c.metricReaders, r) })
}

// WithLogProcessor adds a log processor to the logger provider.
func WithLogProcessor(p sdklog.Processor) Option {
	return optionFunc(func(c *config) { c.logProcessors = append(c.logProcessors, p) })
}
