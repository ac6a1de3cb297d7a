package sqlx_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"

	"github.com/XSAM/otelsql"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/sqlx"
)

// dropExporter records every span (sampled, attributes built) and drops
// it, so that the benchmarks measure the instrumentation, not an exporter.
type dropExporter struct{}

func (dropExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (dropExporter) Shutdown(context.Context) error                             { return nil }

// benchPKSelect runs a primary-key SELECT under a sampled parent span, the
// way a request handler would, bare, under otelsql with its default
// options, and under sqlx.
func benchPKSelect(b *testing.B, driverName, dsn, table string) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(dropExporter{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	ctx, span := tp.Tracer("bench").Start(context.Background(), "GET /logs")
	defer span.End()

	setup, err := sql.Open(driverName, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer setup.Close()
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + table,
		"CREATE TABLE " + table + " (id INT PRIMARY KEY, user_id INT, body VARCHAR(100))",
		"INSERT INTO " + table + " (id, user_id, body) VALUES (1, 7, 'hello'), (2, 7, 'world')",
	} {
		if _, err := setup.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { _, _ = setup.Exec("DROP TABLE IF EXISTS " + table) })

	open := map[string]func() (*sql.DB, error){
		"bare": func() (*sql.DB, error) { return sql.Open(driverName, dsn) },
		"otelsql": func() (*sql.DB, error) {
			return otelsql.Open(driverName, dsn, otelsql.WithTracerProvider(tp), otelsql.WithMeterProvider(mp))
		},
		"sqlx": func() (*sql.DB, error) {
			return sqlx.Open(driverName, dsn, sqlx.WithTracerProvider(tp), sqlx.WithMeterProvider(mp))
		},
	}
	query := "SELECT user_id, body FROM " + table + " WHERE id = ?"
	for _, name := range []string{"bare", "otelsql", "sqlx"} {
		b.Run("impl="+name, func(b *testing.B) {
			db, err := open[name]()
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			var (
				uid  int
				body string
			)
			if err := db.QueryRowContext(ctx, query, 1).Scan(&uid, &body); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := db.QueryRowContext(ctx, query, 1).Scan(&uid, &body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPKSelectSQLite(b *testing.B) {
	// A shared in-memory database (kept alive by the setup connection), so
	// that file locking does not drown the instrumentation's cost.
	dsn := "file:benchpk?mode=memory&cache=shared"
	benchPKSelect(b, "sqlite", dsn, "bench_pk")
}

func BenchmarkPKSelectMariaDB(b *testing.B) {
	dsn := os.Getenv("OTELKIT_TEST_MYSQL_DSN")
	if dsn == "" {
		b.Skip("OTELKIT_TEST_MYSQL_DSN is not set")
	}
	benchPKSelect(b, "mysql", dsn, fmt.Sprintf("sqlx_bench_pk_%d", os.Getpid()))
}
