package otelboot

import (
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/otelboot/liveview"
)

// defaultErrorInterval is how often the error handler reports the same kind
// of error at most.
const defaultErrorInterval = time.Minute

// Option configures Start. Options add to or override what the environment
// says, except where an option's documentation says it only sets a default.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	serviceName    string
	serviceVersion string
	resourceAttrs  []attribute.KeyValue
	detectors      []resource.Detector
	spanMetrics    bool
	runtimeMetrics *bool // nil: the instrumentation lists decide
	view           *liveview.View
	viewOTLPAddr   string
	logCorrelation bool
	setDefaultSlog bool
	logger         *slog.Logger
	errorInterval  time.Duration
	onError        func(error) // tests: sees every error the handler gets
	spanProcessors []sdktrace.SpanProcessor
	metricReaders  []sdkmetric.Reader
	logProcessors  []sdklog.Processor
	onSummary      func(Summary)
	onBuilt        func(*starter) // tests: sees what Start built
}

func newConfig(opts []Option) *config {
	c := &config{spanMetrics: true, setDefaultSlog: true, errorInterval: defaultErrorInterval}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
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

// WithResourceDetectors adds resource detectors (for example a cloud
// provider's) whose attributes are merged over the built-in ones and under
// OTEL_RESOURCE_ATTRIBUTES. A detector built against another version of the
// semantic conventions is welcome: a schema-URL conflict keeps every
// attribute and logs one warning instead of failing.
func WithResourceDetectors(ds ...resource.Detector) Option {
	return optionFunc(func(c *config) { c.detectors = append(c.detectors, ds...) })
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

// WithLiveViewOTLP starts an OTLP receiver on addr (such as
// "127.0.0.1:4318") that feeds the live view, the one of WithLiveView or
// the one Start serves on OTELKIT_VIEW_ADDR, with what other processes
// export to it: see [liveview.View.StartOTLP]. It takes the place of
// OTELKIT_VIEW_OTLP_ADDR. Shutdown stops the receiver. An address that
// cannot be listened on, or no live view, is logged once as a warning and
// Start goes on without the receiver.
func WithLiveViewOTLP(addr string) Option {
	return optionFunc(func(c *config) { c.viewOTLPAddr = addr })
}

// WithDefaultLogger says whether Start replaces slog's default logger (true
// by default). The replacement writes slog's plain text on standard error
// (the correlated text layout with trace_id and span_id only with log
// correlation on: OTELKIT_LOG_CORRELATION=true or [WithLogCorrelation](true))
// and, when log records go anywhere, sends every record as an OTLP log with
// the trace and span ids of its context.
func WithDefaultLogger(on bool) Option {
	return optionFunc(func(c *config) { c.setDefaultSlog = on })
}

// WithLogger sets where otelboot writes its own diagnostics: warnings about
// bad variable values, the SDK's internal log and the errors that reach the
// OpenTelemetry error handler (such as failed exports). The default is a
// text logger on standard error. OTEL_LOG_LEVEL filters what is written
// either way. Do not pass a logger that sends OTLP logs: an export failure
// would then produce a log record that fails to export in turn.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithErrorInterval sets how often the error handler reports errors of the
// same kind at most (one minute by default); the errors in between are
// counted and the count is reported with the next one. A zero or negative
// d reports every error.
func WithErrorInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.errorInterval = d })
}

// WithSpanProcessor adds a span processor to the tracer provider.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return optionFunc(func(c *config) { c.spanProcessors = append(c.spanProcessors, p) })
}

// WithMetricReader adds a metric reader to the meter provider.
//
// The span metrics' duration histogram is normally recorded by otelboot's
// own lock-free producer, attached to the readers otelboot builds; a reader
// passed here is already built, so with one the histogram goes through the
// SDK's instrument instead (same name, unit, buckets and attributes; a few
// hundred nanoseconds more per span end). The same holds for delta or
// exponential-histogram exporter preferences.
// For the same reason the runtime metrics' go.schedule.duration histogram,
// which comes from a producer, reaches r only if r was built with
// sdkmetric.WithProducer(runtime.NewProducer()) (see WithRuntimeMetrics).
func WithMetricReader(r sdkmetric.Reader) Option {
	return optionFunc(func(c *config) { c.metricReaders = append(c.metricReaders, r) })
}

// WithLogProcessor adds a log processor to the logger provider.
func WithLogProcessor(p sdklog.Processor) Option {
	return optionFunc(func(c *config) { c.logProcessors = append(c.logProcessors, p) })
}

// WithLogCorrelation sets the default of OTELKIT_LOG_CORRELATION (and of
// Python's OTEL_PYTHON_LOG_CORRELATION): when on, the default slog logger
// writes the correlated text layout (logcorr.DefaultFormat unless
// OTELKIT_LOG_FORMAT says otherwise) with trace_id and span_id on every line.
// Either variable, when set, still decides. Off by default, as in Python.
func WithLogCorrelation(on bool) Option {
	return optionFunc(func(c *config) { c.logCorrelation = on })
}
