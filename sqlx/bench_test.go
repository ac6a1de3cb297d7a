package sqlx_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"testing"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	mnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/sqlx"
)

// fastDriver answers every query at once with one row, so that the
// benchmark below measures the instrumentation alone. The database
// benchmarks are in internal/itest/sqlx.
type fastDriver struct{}
type fastConn struct{ legacyConn }
type fastRows struct{ done bool }

func (fastDriver) Open(string) (driver.Conn, error) { return fastConn{}, nil }
func (fastConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &fastRows{}, nil
}

// ResetSession makes fastConn a driver.SessionResetter, as the MySQL and
// SQLite drivers are.
func (fastConn) ResetSession(context.Context) error { return nil }
func (*fastRows) Columns() []string                 { return []string{"user_id", "body"} }
func (*fastRows) Close() error                      { return nil }
func (r *fastRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0], dest[1] = int64(7), "hello"
	return nil
}

var benchHookAttrs = []attribute.KeyValue{attribute.String("app.tenant", "acme")}

type dropExporter struct{}

func (dropExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (dropExporter) Shutdown(context.Context) error                             { return nil }

// BenchmarkOverhead runs a primary-key SELECT on a driver that costs
// nothing: bare, under otelsql with its default options, under sqlx.
func BenchmarkOverhead(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(dropExporter{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	ctx, span := tp.Tracer("bench").Start(context.Background(), "GET /logs")
	defer span.End()
	dbs := map[string]*sql.DB{
		"bare":    sql.OpenDB(connectorFor(fastDriver{})),
		"otelsql": sql.OpenDB(connectorFor(otelsql.WrapDriver(fastDriver{}, otelsql.WithTracerProvider(tp), otelsql.WithMeterProvider(mp)))),
		"sqlx":    sqlx.OpenDB(connectorFor(fastDriver{}), sqlx.WithTracerProvider(tp), sqlx.WithMeterProvider(mp), sqlx.WithSystem("mysql")),
		"sqlx+commenter": sqlx.OpenDB(connectorFor(fastDriver{}), sqlx.WithTracerProvider(tp), sqlx.WithMeterProvider(mp), sqlx.WithSystem("mysql"),
			sqlx.WithSQLCommenter(true)),
		// The cost of hooks, when set: nothing when not (impl=sqlx).
		"sqlx+hooks": sqlx.OpenDB(connectorFor(fastDriver{}), sqlx.WithTracerProvider(tp), sqlx.WithMeterProvider(mp), sqlx.WithSystem("mysql"),
			sqlx.WithStartHook(func(context.Context, sqlx.Statement) []attribute.KeyValue { return benchHookAttrs }),
			sqlx.WithEndHook(func(trace.Span, sqlx.Statement, int64, error) {})),
	}
	for _, name := range []string{"bare", "otelsql", "sqlx", "sqlx+commenter", "sqlx+hooks"} {
		db := dbs[name]
		b.Run("impl="+name, func(b *testing.B) {
			var (
				uid  int
				body string
			)
			b.ReportAllocs()
			for b.Loop() {
				if err := db.QueryRowContext(ctx, "SELECT user_id, body FROM messages WHERE id = ?", 1).Scan(&uid, &body); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = db.Close()
	}
}

// TestNotRecordingAllocs bounds what a statement costs when its span does
// not record: under sqlx no more allocations than under otelsql alone
// (which sqlx runs on, and which builds nothing either), so that nothing
// is parsed, sanitised or built for a span that drops it.
func TestNotRecordingAllocs(t *testing.T) {
	tp := &countingTP{}
	mp := mnoop.NewMeterProvider()
	allocs := func(db *sql.DB) float64 {
		defer db.Close()
		var (
			uid  int
			body string
		)
		return testing.AllocsPerRun(200, func() {
			if err := db.QueryRowContext(context.Background(), "SELECT user_id, body FROM messages WHERE id = 'x'", 1).Scan(&uid, &body); err != nil {
				t.Fatal(err)
			}
		})
	}
	under := allocs(sql.OpenDB(connectorFor(otelsql.WrapDriver(fastDriver{}, otelsql.WithTracerProvider(tp), otelsql.WithMeterProvider(mp)))))
	for _, mode := range []otelkit.SemconvMode{otelkit.SemconvOld, otelkit.SemconvStable} {
		got := allocs(sqlx.OpenDB(connectorFor(fastDriver{}), sqlx.WithTracerProvider(tp), sqlx.WithMeterProvider(mp),
			sqlx.WithSystem("mysql"), sqlx.WithSemconv(mode), sqlx.WithSanitizeLiterals(true)))
		if got > under {
			t.Errorf("%v: %.0f allocations per statement that is not recorded, otelsql alone %.0f", mode, got, under)
		}
	}
	if n := tp.built.Load() + tp.attrs.Load(); n != 0 {
		t.Errorf("%d calls or attributes built on spans that do not record", n)
	}
}

// TestCommenterAllocs bounds the SQL commenter's cost: nothing when off
// (the option or the variable), and three allocations per statement when
// on (the traceparent, the comment, the statement with it).
func TestCommenterAllocs(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(dropExporter{}))
	ctx, span := tp.Tracer("t").Start(context.Background(), "root")
	defer span.End()
	allocs := func(opts ...sqlx.Option) float64 {
		db := sqlx.OpenDB(connectorFor(fastDriver{}), append([]sqlx.Option{sqlx.WithTracerProvider(tp), sqlx.WithMetrics(false), sqlx.WithSystem("mysql")}, opts...)...)
		defer db.Close()
		var (
			uid  int
			body string
		)
		return testing.AllocsPerRun(200, func() {
			if err := db.QueryRowContext(ctx, "SELECT user_id, body FROM messages WHERE id = ?", 1).Scan(&uid, &body); err != nil {
				t.Fatal(err)
			}
		})
	}
	base := allocs()
	if off := allocs(sqlx.WithSQLCommenter(false)); off != base {
		t.Errorf("commenter off: %.0f allocations, default %.0f", off, base)
	}
	t.Setenv("OTEL_GO_SQLCOMMENTER", "false")
	if off := allocs(); off != base {
		t.Errorf("%s=false: %.0f allocations, default %.0f", "OTEL_GO_SQLCOMMENTER", off, base)
	}
	if on := allocs(sqlx.WithSQLCommenter(true)); on > base+3 {
		t.Errorf("commenter on: %.0f allocations, off %.0f: more than 3 more", on, base)
	}
}
