package sqlx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"

	"github.com/otelkit/otelkit/internal/instrumentation"
	"github.com/otelkit/otelkit/internal/semconv"
)

// Open opens a database like sql.Open, with every statement traced. The
// driver must be registered under driverName (import it as usual). The
// connection-pool metrics are registered with the meter provider and
// unregistered when the DB is closed.
//
// As with sql.Open, open the DB once, at start-up, and share it: each Open
// makes a connection pool and registers its own metric callbacks.
func Open(driverName, dsn string, opts ...Option) (*sql.DB, error) {
	if !instrumentation.Enabled(instrumentation.DatabaseSQL) {
		return sql.Open(driverName, dsn) // switched off: the bare DB
	}
	// database/sql gives the registered driver only through a DB; no
	// connection is opened here.
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlx: %w", err)
	}
	d := db.Driver()
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("sqlx: %w", err)
	}
	cfg := newConfig(opts)
	system := systemOf(driverName, d)
	var c driver.Connector
	if dc, ok := d.(driver.DriverContext); ok {
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, fmt.Errorf("sqlx: %w", err)
		}
	} else {
		c = dsnConnector{dsn: dsn, d: d}
	}
	return openDB(c, cfg, newDBInfo(cfg, system, dsn, d)), nil
}

// OpenDB opens a database from a connector like sql.OpenDB, with every
// statement traced. A connector does not reveal its DSN: pass WithDSN for
// db.connection_string and the server address (WithSystem for a driver
// sqlx does not recognise).
func OpenDB(c driver.Connector, opts ...Option) *sql.DB {
	if !instrumentation.Enabled(instrumentation.DatabaseSQL) {
		return sql.OpenDB(c) // switched off: the bare DB
	}
	cfg := newConfig(opts)
	return openDB(c, cfg, newDBInfo(cfg, systemOf("", c.Driver()), "", c.Driver()))
}

func openDB(c driver.Connector, cfg *config, info *dbInfo) *sql.DB {
	wd := newWrappedDriver(c.Driver(), cfg, info.system)
	ours := &connector{inner: c, info: info, driver: wd}
	db := otelsql.OpenDB(ours, cfg.otelsqlOptions(info)...)
	if cfg.poolMetrics {
		if err := registerPoolMetrics(db, ours, cfg, info); err != nil {
			otel.Handle(fmt.Errorf("sqlx: pool metrics: %w", err))
		}
	}
	return db
}

// WrapDriver returns d with every statement traced, for sql.Register or
// for connectors built by hand. The connection details are read from the
// DSN each connection is opened with (or from WithDSN). WrapDriver
// registers no pool metrics: use RegisterDBStatsMetrics on the DB. For a
// driver without driver.DriverContext, whose Open takes no context, the
// span of a failed connection has no parent.
func WrapDriver(d driver.Driver, opts ...Option) driver.Driver {
	if !instrumentation.Enabled(instrumentation.DatabaseSQL) {
		return d // switched off: d itself
	}
	cfg := newConfig(opts)
	system := systemOf("", d)
	wd := newWrappedDriver(d, cfg, system)
	return otelsql.WrapDriver(wd, cfg.otelsqlOptions(newDBInfo(cfg, system, "", nil))...)
}

func newWrappedDriver(d driver.Driver, cfg *config, system string) driver.Driver {
	w := &wrappedDriver{inner: d, cfg: cfg, system: system}
	if _, ok := d.(driver.DriverContext); ok {
		return wrappedDriverContext{w}
	}
	return w
}

// RegisterDBStatsMetrics registers the connection-pool metrics of db (for a
// DB whose driver was wrapped with WrapDriver; Open and OpenDB register
// them already). The pool is named after WithDSN's connection string, else
// WithSystem's system. Unregister the result when the DB is closed.
func RegisterDBStatsMetrics(db *sql.DB, opts ...Option) (metric.Registration, error) {
	cfg := newConfig(opts)
	info := newDBInfo(cfg, systemOf("", db.Driver()), "", nil)
	c := &connector{}
	if err := registerPoolMetrics(db, c, cfg, info); err != nil {
		return nil, err
	}
	return registrations{c: c}, nil
}

type registrations struct {
	embedded.Registration
	c *connector
}

func (r registrations) Unregister() error { return r.c.Close() }

// otelsqlOptions configures otelsql beneath: no statement spans (sqlx makes
// them), the extra spans that were asked for, and metric attributes.
func (c *config) otelsqlOptions(info *dbInfo) []otelsql.Option {
	extra := c.extra
	opts := []otelsql.Option{
		otelsql.WithTracerProvider(exceptionTracerProvider(c.tp, c.excSignal)),
		otelsql.WithMeterProvider(c.mp),
		otelsql.WithAttributes(append([]attribute.KeyValue{semconv.DBSystemNameKey.String(info.system)}, c.attrs...)...),
		otelsql.WithDisableSkipErrMeasurement(true),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			Ping:                 extra&ExtraPing != 0,
			DisableErrSkip:       true,
			RecordError:          recordable,
			OmitConnResetSession: extra&ExtraResetSession == 0,
			OmitConnPrepare:      extra&ExtraPrepare == 0,
			OmitConnQuery:        true,
			OmitRows:             extra&ExtraRows == 0,
			OmitConnectorConnect: extra&ExtraConnect == 0,
			// otelsql records the text of a prepared statement as it
			// is; sanitised, it comes from the getter below.
			DisableQuery: c.sanitize,
			SpanFilter: func(_ context.Context, m otelsql.Method, _ string, _ []driver.NamedValue) bool {
				switch m {
				case otelsql.MethodConnExec, otelsql.MethodConnQuery, otelsql.MethodStmtExec, otelsql.MethodStmtQuery:
					return false
				case otelsql.MethodConnBeginTx, otelsql.MethodTxCommit, otelsql.MethodTxRollback:
					return extra&ExtraTx != 0
				}
				return true
			},
		}),
	}
	if c.sanitize {
		opts = append(opts, otelsql.WithAttributesGetter(func(_ context.Context, _ otelsql.Method, query string, _ []driver.NamedValue) []attribute.KeyValue {
			if query == "" {
				return nil
			}
			return []attribute.KeyValue{semconv.DBQueryTextKey.String(info.parses.get(query, true).text)}
		}))
	}
	return append(opts, c.otelsqlOpts...)
}

// systemOf recognises the database system from the driver's registered
// name or, failing that, from the package of its type.
func systemOf(driverName string, d driver.Driver) string {
	switch strings.ToLower(driverName) {
	case "mysql", "mariadb":
		return "mysql"
	case "postgres", "postgresql", "pgx", "pgx/v4", "pgx/v5", "cloudsqlpostgres":
		return "postgresql"
	case "sqlite", "sqlite3":
		return "sqlite"
	case "sqlserver", "mssql":
		return "mssql"
	}
	pkg := driverPkgPath(d)
	switch {
	case strings.HasPrefix(pkg, "github.com/go-sql-driver/mysql"):
		return "mysql"
	case strings.HasPrefix(pkg, "github.com/jackc/pgx"), strings.HasPrefix(pkg, "github.com/lib/pq"):
		return "postgresql"
	case strings.HasPrefix(pkg, "modernc.org/sqlite"), strings.HasPrefix(pkg, "github.com/mattn/go-sqlite3"):
		return "sqlite"
	case strings.HasPrefix(pkg, "github.com/microsoft/go-mssqldb"), strings.HasPrefix(pkg, "github.com/denisenkom/go-mssqldb"):
		return "mssql"
	}
	return ""
}

// driverPkgPath is the import path of the package that declares d's type
// (through pointers), "" for nil: it names the driver, nothing reads its
// fields.
func driverPkgPath(d driver.Driver) string {
	if d == nil {
		return ""
	}
	t := reflect.TypeOf(d)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath()
}
