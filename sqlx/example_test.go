package sqlx_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/sqlx"
)

// A database that is down shows as an ERROR span under the caller's span,
// and its connection string never shows the password.
func Example() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))

	// In a service: db, err := sqlx.Open("mysql", dsn); the global
	// tracer provider that otelboot.Start installed is used.
	db, err := sqlx.Open("mysql", "app:secret@tcp(127.0.0.1:1)/shop?parseTime=true", sqlx.WithTracerProvider(tp))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, "DELETE FROM sessions WHERE expires < NOW()")
	fmt.Println("failed:", err != nil)

	s := exp.GetSpans()[0]
	fmt.Println(s.Name, s.Status.Code)
	for _, kv := range s.Attributes {
		fmt.Println(kv.Key, kv.Value.String())
	}
	// Output:
	// failed: true
	// mysql.connect Error
	// db.system mysql
	// db.connection_string mysql://app@127.0.0.1:1/shop
}

// OpenDB takes a connector; WithDSN tells sqlx where it connects.
func ExampleOpenDB() {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "app", "secret", "tcp", "db:3306", "shop"
	var c driver.Connector
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	db := sqlx.OpenDB(c, sqlx.WithDSN(cfg.FormatDSN()))
	defer db.Close()
	// Output:
}

// Literals in the SQL text can be masked; arguments are never recorded.
func ExampleWithSanitizeLiterals() {
	db, err := sqlx.Open("mysql", "app@tcp(db:3306)/shop", sqlx.WithSanitizeLiterals(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	// db.statement of db.Exec("UPDATE users SET plan = 'gold' WHERE id = 42")
	// is "UPDATE users SET plan = ? WHERE id = ?".

	// Output:
}

// WrapDriver serves code that registers a driver under its own name, or
// builds its connectors by hand. The DSN each connection is opened with
// gives the connection details; pool metrics are registered separately.
func ExampleWrapDriver() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))

	// Wrap once, at start-up. sql.Register("mysql-traced", d) would serve
	// sql.Open("mysql-traced", dsn) as well.
	d := sqlx.WrapDriver(&mysql.MySQLDriver{}, sqlx.WithTracerProvider(tp))
	c, err := d.(driver.DriverContext).OpenConnector("app:secret@tcp(127.0.0.1:1)/shop")
	if err != nil {
		fmt.Println(err)
		return
	}
	db := sql.OpenDB(c)
	defer db.Close()
	reg, err := sqlx.RegisterDBStatsMetrics(db, sqlx.WithDSN("app:secret@tcp(127.0.0.1:1)/shop"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = reg.Unregister() }()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("failed:", db.PingContext(ctx) != nil)
	for _, s := range exp.GetSpans() {
		fmt.Println(s.Name, s.Status.Code)
		for _, kv := range s.Attributes {
			fmt.Println(kv.Key, kv.Value.String())
		}
	}
	// Output:
	// failed: true
	// mysql.connect Error
	// db.system mysql
	// db.connection_string mysql://app@127.0.0.1:1/shop
}

// The start hook's attributes are given at the span's start, so that the
// sampler can decide with them; the end hook sees the rows and the error.
// Neither ever sees the bound arguments.
func ExampleWithStartHook() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))

	// In a service: sqlx.Open("mysql", dsn, sqlx.WithStartHook(...), ...).
	// hookDriver stands in for a database: it fails the statements that
	// name FAIL_users.
	db := sqlx.OpenDB(connectorFor(hookDriver{}), sqlx.WithTracerProvider(tp), sqlx.WithSystem("mysql"),
		sqlx.WithStartHook(func(ctx context.Context, s sqlx.Statement) []attribute.KeyValue {
			if s.Table == "audit_log" {
				return []attribute.KeyValue{attribute.Bool("app.audit", true)}
			}
			return nil
		}),
		sqlx.WithEndHook(func(span trace.Span, s sqlx.Statement, rows int64, err error) {
			if err != nil {
				span.SetAttributes(attribute.String("app.failed_operation", s.Operation))
			}
		}))
	defer db.Close()

	ctx := context.Background()
	_, _ = db.ExecContext(ctx, "INSERT INTO audit_log (who) VALUES (?)", "alice")
	_, _ = db.ExecContext(ctx, "DELETE FROM FAIL_users WHERE id = ?", 7)
	for _, s := range exp.GetSpans() {
		for _, kv := range s.Attributes {
			if strings.HasPrefix(string(kv.Key), "app.") {
				fmt.Println(kv.Key, kv.Value.String())
			}
		}
	}
	// Output:
	// app.audit true
	// app.failed_operation DELETE
}
