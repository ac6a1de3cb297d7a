package sqlx

import (
	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/internal/semconv"
)

// ScopeName is the instrumentation scope of the spans and metrics sqlx
// emits itself.
const ScopeName = "github.com/otelkit/otelkit/sqlx"

// Extra selects spans beyond the one span per statement. None is emitted by
// default; these are otelsql's spans, named as otelsql names them
// (sql.connector.connect, sql.conn.prepare, ...).
type Extra uint

const (
	// ExtraConnect emits a span for every new connection. Without it, a
	// connection that fails still yields an ERROR span "<system>.connect".
	ExtraConnect Extra = 1 << iota
	// ExtraResetSession emits a span each time database/sql resets a
	// connection before reusing it.
	ExtraResetSession
	// ExtraPrepare emits a span for every prepared statement.
	ExtraPrepare
	// ExtraRows emits a span covering the iteration of every result set.
	ExtraRows
	// ExtraPing emits a span for every Ping.
	ExtraPing
	// ExtraTx emits spans for Begin, Commit and Rollback.
	ExtraTx
	// ExtraAll enables every extra span.
	ExtraAll = ExtraConnect | ExtraResetSession | ExtraPrepare | ExtraRows | ExtraPing | ExtraTx
)

// Option configures Open, OpenDB and WrapDriver.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp          trace.TracerProvider
	mp          metric.MeterProvider
	mode        semconv.Mode
	modeSet     bool
	excSignal   otelkit.ExceptionSignal
	system      string
	dsn         string
	dsnSet      bool
	sanitize    bool
	extra       Extra
	attrs       []attribute.KeyValue
	poolMetrics bool
	otelsqlOpts []otelsql.Option

	commenter     bool
	commenterSet  bool
	commenterOpts SQLCommenterOptions

	startHook StartHook
	endHook   EndHook

	tracer trace.Tracer
}

func newConfig(opts []Option) *config {
	c := &config{
		tp:          otel.GetTracerProvider(),
		mp:          otel.GetMeterProvider(),
		poolMetrics: true,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if !c.commenterSet {
		c.commenter = commenterFromEnv()
	}
	if !c.modeSet {
		c.mode = semconv.FromEnv().Database
	}
	c.tracer = c.tp.Tracer(ScopeName)
	return c
}

// WithTracerProvider sets the tracer provider. The default is the global
// one at the time Open is called.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	})
}

// WithMeterProvider sets the meter provider of the connection-pool and
// operation-duration metrics. The default is the global one at the time
// Open is called.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	})
}

// WithSemconv overrides the database conventions that
// OTEL_SEMCONV_STABILITY_OPT_IN selects: otelkit.SemconvOld (the default;
// spans "<system>.query" with db.system, db.statement, ...),
// otelkit.SemconvStable ("database": spans "SELECT messages" with
// db.system.name, db.query.text, ...) or otelkit.SemconvDup
// ("database/dup": both sets of keys, stable names).
func WithSemconv(m otelkit.SemconvMode) Option {
	return optionFunc(func(c *config) {
		c.mode, c.modeSet = m, true
	})
}

// WithExceptionSignal overrides, for this wrapper's exceptions (a failed
// statement, and the errors of otelsql's extra spans beneath), the signal
// that OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN selects: otelkit.ExceptionEvents
// (span events, the variable's default), otelkit.ExceptionLogs ("logs") or
// otelkit.ExceptionLogsDup ("logs/dup"). otelkit.ExceptionSignalFromEnv,
// the default, reads the variable. See "Exceptions as logs" in the package
// documentation.
func WithExceptionSignal(s otelkit.ExceptionSignal) Option {
	return optionFunc(func(c *config) { c.excSignal = s })
}

// WithSystem sets db.system for a driver sqlx does not recognise (it knows
// go-sql-driver/mysql, pgx, lib/pq, modernc.org/sqlite and mattn/go-sqlite3).
// Use the OpenTelemetry well-known values: "mysql", "postgresql",
// "sqlite", "mssql", "oracle", ...
func WithSystem(system string) Option {
	return optionFunc(func(c *config) { c.system = system })
}

// WithDSN gives the data source name from which db.connection_string,
// server.address, server.port and db.namespace are derived, for OpenDB and
// WrapDriver, which do not see one. The password is never used.
func WithDSN(dsn string) Option {
	return optionFunc(func(c *config) { c.dsn, c.dsnSet = dsn, true })
}

// WithSanitizeLiterals says whether the string and number literals in
// db.statement (db.query.text) are replaced by '?', read with the quoting
// and comment rules of db.system (see the package documentation); for a
// system sqlx does not know, whatever any known system would read as a
// literal is masked. Comments are kept. With it on, the error text sqlx
// records (the status description and exception.message) is masked the
// same way. Off by default. Statement parameters are never recorded, with
// or without this option, in the statement or in the error text.
func WithSanitizeLiterals(on bool) Option {
	return optionFunc(func(c *config) { c.sanitize = on })
}

// WithExtraSpans switches on spans beyond the one per statement.
func WithExtraSpans(e Extra) Option {
	return optionFunc(func(c *config) { c.extra |= e })
}

// WithAttributes adds attributes to every span and metric measurement.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c *config) { c.attrs = append(c.attrs, attrs...) })
}

// WithMetrics says whether Open and OpenDB register the connection-pool
// metrics (db.client.connection.count and .max, and otelsql's
// db.sql.connection.*) with the meter provider. On by default.
func WithMetrics(on bool) Option {
	return optionFunc(func(c *config) { c.poolMetrics = on })
}

// WithOtelsqlOptions passes options to the otelsql instrumentation
// underneath, after sqlx's own (so they win). otelsql.WithSpanOptions
// replaces the span options sqlx sets.
func WithOtelsqlOptions(opts ...otelsql.Option) Option {
	return optionFunc(func(c *config) { c.otelsqlOpts = append(c.otelsqlOpts, opts...) })
}
