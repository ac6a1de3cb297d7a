package sqlx

import (
	"context"
	"database/sql"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelkit/otelkit/internal/semconv"
)

// Connection-pool metrics of the stable database conventions, read from
// sql.DB.Stats at each collection.
const (
	metricConnCount = "db.client.connection.count"
	metricConnMax   = "db.client.connection.max"
)

var (
	stateIdle = attribute.String("db.client.connection.state", "idle")
	stateUsed = attribute.String("db.client.connection.state", "used")
)

// registerPoolMetrics registers db.client.connection.count (by state) and
// db.client.connection.max, and otelsql's db.sql.connection.* metrics; the
// registrations are kept on c and undone by c.Close.
func registerPoolMetrics(db *sql.DB, c *connector, cfg *config, info *dbInfo) error {
	meter := cfg.mp.Meter(ScopeName)
	count, err := meter.Int64ObservableUpDownCounter(metricConnCount,
		metric.WithUnit("{connection}"),
		metric.WithDescription("The number of connections that are currently in state described by the state attribute."))
	if err != nil {
		return err
	}
	maxOpen, err := meter.Int64ObservableUpDownCounter(metricConnMax,
		metric.WithUnit("{connection}"),
		metric.WithDescription("The maximum number of open connections allowed."))
	if err != nil {
		return err
	}
	pool := attribute.String("db.client.connection.pool.name", poolName(info))
	system := semconv.DBSystemNameKey.String(info.system)
	// WithAttributes' attributes come last, as on the spans and otelsql's
	// measurements.
	set := func(kvs ...attribute.KeyValue) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(append(kvs, cfg.attrs...)...))
	}
	idle := set(pool, system, stateIdle)
	used := set(pool, system, stateUsed)
	plain := set(pool, system)
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := db.Stats()
		o.ObserveInt64(count, int64(s.Idle), idle)
		o.ObserveInt64(count, int64(s.InUse), used)
		o.ObserveInt64(maxOpen, int64(s.MaxOpenConnections), plain)
		return nil
	}, count, maxOpen)
	if err != nil {
		return err
	}
	c.addRegistration(reg)
	reg2, err := otelsql.RegisterDBStatsMetrics(db,
		otelsql.WithMeterProvider(cfg.mp),
		otelsql.WithAttributes(append([]attribute.KeyValue{system, pool}, cfg.attrs...)...))
	if err != nil {
		return err
	}
	c.addRegistration(reg2)
	return nil
}

// poolName names a pool by its password-free connection string, else by
// its system.
func poolName(info *dbInfo) string { return info.connString }
