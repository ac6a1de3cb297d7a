package redisx

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/redis/go-redis/v9"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/internal/redact"
	"github.com/otelkit/otelkit/internal/semconv"
)

// DefaultMaxArgLen is the length in bytes after which an argument shown in
// db.redis.command (db.query.text) is cut, unless WithMaxArgLen says
// otherwise.
const DefaultMaxArgLen = 256

// DefaultMaxCommandLen is the length in bytes after which the text of a
// command, or of all the commands of a pipeline, is cut, unless
// WithMaxCommandLen says otherwise.
const DefaultMaxCommandLen = 2048

// Option configures Instrument.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	mode           semconv.Mode
	modeSet        bool
	excSignal      otelkit.ExceptionSignal
	redact         redact.RedisOptions
	filter         func(redis.Cmder) bool
	metrics        bool
	dial           bool
	caller         bool
	attrs          []attribute.KeyValue
	startHook      StartHook
	endHook        EndHook
}

// newConfig applies opts over the defaults, read from the OpenTelemetry
// globals and OTEL_SEMCONV_STABILITY_OPT_IN at this moment.
func newConfig(opts []Option) config {
	c := config{
		metrics: true,
		dial:    true,
		redact:  redact.RedisOptions{MaxArgLen: DefaultMaxArgLen, MaxLen: DefaultMaxCommandLen},
	}
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
	if !c.modeSet {
		c.mode = semconv.FromEnv().Database
	}
	return c
}

// WithTracerProvider sets the tracer provider. The default is the global one
// at the time Instrument is called.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tracerProvider = tp })
}

// WithMeterProvider sets the meter provider of the connection-pool metrics
// (redisotel's). The default is the global one at the time Instrument is
// called.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meterProvider = mp })
}

// WithMetrics turns the connection-pool metrics of redisotel
// (db.client.connections.*) on or off. They are on by default.
func WithMetrics(on bool) Option {
	return optionFunc(func(c *config) { c.metrics = on })
}

// WithDialSpans turns the redis.dial spans, one per new connection, on or
// off. They are on by default.
func WithDialSpans(on bool) Option {
	return optionFunc(func(c *config) { c.dial = on })
}

// WithSemconv overrides the database conventions that
// OTEL_SEMCONV_STABILITY_OPT_IN selects: otelkit.SemconvOld (the default;
// span names redis.command and redis.pipeline and the telemetry spec's keys),
// otelkit.SemconvStable ("database": spans named after the command, with
// db.system.name, db.query.text, ...) or otelkit.SemconvDup ("database/dup":
// both sets of keys, stable names). See the package documentation.
func WithSemconv(m otelkit.SemconvMode) Option {
	return optionFunc(func(c *config) { c.mode, c.modeSet = m, true })
}

// WithExceptionSignal overrides, for this wrapper's exceptions (a command
// or pipeline that failed), the signal that
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN selects: otelkit.ExceptionEvents
// (span events, the variable's default), otelkit.ExceptionLogs ("logs") or
// otelkit.ExceptionLogsDup ("logs/dup"). otelkit.ExceptionSignalFromEnv,
// the default, reads the variable at each exception. See "Exceptions as
// logs" in the package documentation.
func WithExceptionSignal(s otelkit.ExceptionSignal) Option {
	return optionFunc(func(c *config) { c.excSignal = s })
}

// WithValueMasking(true) replaces by "?" in db.redis.command and
// db.query.text every argument that is not the command name, a subcommand,
// a key, the count of keys before them (EVAL's numkeys) or a syntax keyword
// of the command (NX, EX, WITHSCORES, LIMIT...): "SET k ? EX ?",
// "HSET h ? ?", "LRANGE k ? ?". Keys and keywords are told apart by Redis's
// own command table (COMMAND INFO key specs and COMMAND DOCS tokens, of the
// release the table was generated from); every argument of a command that
// table does not know (a module's, a newer release's) is masked. It is off
// by default: the command is shown whole, with its credentials (AUTH,
// HELLO ... AUTH, MIGRATE ... AUTH, CONFIG SET requirepass, ACL SETUSER
// >pass) always masked.
func WithValueMasking(on bool) Option {
	return optionFunc(func(c *config) { c.redact.MaskValues = on })
}

// WithMaxArgLen cuts each argument shown in the command text after n bytes
// (DefaultMaxArgLen by default); n <= 0 removes the limit.
func WithMaxArgLen(n int) Option {
	return optionFunc(func(c *config) { c.redact.MaxArgLen = n })
}

// WithMaxCommandLen cuts the command text, or the text of all the commands
// of a pipeline, after about n bytes (DefaultMaxCommandLen by default);
// n <= 0 removes the limit.
func WithMaxCommandLen(n int) Option {
	return optionFunc(func(c *config) { c.redact.MaxLen = n })
}

// WithCaller adds the function, file and line that issued each command or
// pipeline (code.function, code.filepath, code.lineno; code.function.name,
// code.file.path, code.line.number under the stable conventions), as
// redisotel does by default. It is off by default: walking the stack costs
// more than the rest of the span (go-redis issue #3415).
func WithCaller(on bool) Option {
	return optionFunc(func(c *config) { c.caller = on })
}

// WithCommandFilter sets a function that returns true for the commands that
// get no span. A pipeline gets no span when the filter returns true for one
// of its commands. By default every command gets a span.
func WithCommandFilter(filter func(cmd redis.Cmder) bool) Option {
	return optionFunc(func(c *config) { c.filter = filter })
}

// WithAttributes adds attributes to every span.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c *config) { c.attrs = append(c.attrs, attrs...) })
}
