package sqlx_test

// The PostgreSQL tests run sqlx over the pgx stdlib driver against a real
// server when OTELKIT_TEST_POSTGRES_DSN is set, for example
//
//	OTELKIT_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// The DSN should name the user, host, port and database: the expected
// connection string is derived from pgx's own reading of it.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/sqlx"
)

// postgresBackend reads OTELKIT_TEST_POSTGRES_DSN, adds password=hunter2 to
// it when it has no password (trust authentication ignores it), and
// derives the expected connection string, namespace and server from pgx's
// parse of the DSN.
func postgresBackend(t *testing.T) backend {
	t.Helper()
	dsn := os.Getenv("OTELKIT_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("OTELKIT_TEST_POSTGRES_DSN is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password == "" {
		if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
			q := u.Query()
			q.Set("password", "hunter2")
			u.RawQuery = q.Encode()
			dsn = u.String()
		} else {
			dsn += " password=hunter2"
		}
		if cfg, err = pgconn.ParseConfig(dsn); err != nil {
			t.Fatal(err)
		}
		if cfg.Password != "hunter2" {
			t.Fatalf("password not set in the DSN: %q", cfg.Password)
		}
	}
	host := strings.Trim(cfg.Host, "[]")
	port := int(cfg.Port)
	return backend{
		driver: "pgx", dsn: dsn, system: "postgresql",
		connString: fmt.Sprintf("postgresql://%s%s/%s", userAt(cfg.User), net.JoinHostPort(host, fmt.Sprint(port)), cfg.Database),
		namespace:  cfg.Database, host: host, port: port,
		idType: "SERIAL PRIMARY KEY", dollar: true, password: cfg.Password,
	}
}

// pgTable creates a uniquely named table (untraced spans are discarded)
// and drops it when the test ends.
func pgTable(t *testing.T, h *harness, b backend, prefix string) string {
	t.Helper()
	table := fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
	t.Cleanup(func() {
		if _, err := h.db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table); err != nil {
			t.Errorf("drop %s: %v", table, err)
		}
	})
	create := "CREATE TABLE " + table + " (id " + b.idType + ", user_id INT NOT NULL, body VARCHAR(100))"
	if _, err := h.db.ExecContext(context.Background(), create); err != nil {
		t.Fatal(err)
	}
	h.spans()
	return table
}

// noSecret fails when secret appears in any span's name, attribute, event
// or status, or in any metric's attributes.
func noSecret(t *testing.T, h *harness, secret string) {
	t.Helper()
	for _, s := range h.exp.GetSpans() {
		if strings.Contains(s.Name, secret) || strings.Contains(s.Status.Description, secret) {
			t.Errorf("span %q shows %q in its name or status %q", s.Name, secret, s.Status.Description)
		}
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.String(), secret) {
				t.Errorf("span %q: attribute %s = %q shows %q", s.Name, kv.Key, kv.Value.String(), secret)
			}
		}
		for _, e := range s.Events {
			for _, kv := range e.Attributes {
				if strings.Contains(kv.Value.String(), secret) {
					t.Errorf("span %q: event %s attribute %s shows %q", s.Name, e.Name, kv.Key, secret)
				}
			}
		}
	}
	var rm metricdata.ResourceMetrics
	if err := h.mr.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			n++
			if s := fmt.Sprintf("%+v", m.Data); strings.Contains(s, secret) {
				t.Errorf("metric %s shows %q: %s", m.Name, secret, s)
			}
		}
	}
	if n == 0 {
		t.Error("no metrics collected")
	}
}

// TestPostgresSanitize runs statements with PostgreSQL's literal forms on
// the server and checks that WithSanitizeLiterals masks every literal and
// keeps double-quoted identifiers.
func TestPostgresSanitize(t *testing.T) {
	b := postgresBackend(t)
	h := newHarness(t, b, sqlx.WithSanitizeLiterals(true))
	table := pgTable(t, h, b, "sqlx_pg_sanitize")
	if _, err := h.db.ExecContext(context.Background(), "INSERT INTO "+table+` (user_id, body) VALUES (1, 'hunter2')`); err != nil {
		t.Fatal(err)
	}
	h.spans()
	for _, c := range []struct{ stmt, want string }{
		{`SELECT ARRAY['hunter2'] AS "id"`, `SELECT ARRAY[?] AS "id"`},
		{`SELECT $$hunter2$$ AS "id"`, `SELECT ? AS "id"`},
		{`SELECT $tag$hunter2$tag$ AS "id"`, `SELECT ? AS "id"`},
		{`SELECT E'it\'s hunter2' AS "id"`, `SELECT ? AS "id"`},
		// With standard_conforming_strings on, 'C:\' ends at its second
		// quote: the next literal must be masked too.
		{`SELECT 'C:\' AS "id", 'hunter2' AS "body"`, `SELECT ? AS "id", ? AS "body"`},
		{`SELECT 'hunter2' AS "id"`, `SELECT ? AS "id"`},
		{`SELECT "id", "body" FROM ` + table + ` WHERE "body" = 'hunter2' AND "user_id" = $1`,
			`SELECT "id", "body" FROM ` + table + ` WHERE "body" = ? AND "user_id" = $1`},
	} {
		var args []any
		if strings.Contains(c.stmt, "$1") {
			args = append(args, 1)
		}
		rows, err := h.db.QueryContext(h.ctx, c.stmt, args...)
		if err != nil {
			t.Fatalf("%s: %v", c.stmt, err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Close(); err != nil || n != 1 {
			t.Fatalf("%s: %d rows, %v", c.stmt, n, err)
		}
		spans := h.spans()
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans", c.stmt, len(spans))
		}
		got := attrMap(spans[0].Attributes)
		if got["db.statement"] != c.want {
			t.Errorf("db.statement of %s\n got  %q\n want %q", c.stmt, got["db.statement"], c.want)
		}
		if got["db.operation"] != "SELECT" || got["db.rows_affected"] != int64(1) {
			t.Errorf("%s: db.operation %v, db.rows_affected %v", c.stmt, got["db.operation"], got["db.rows_affected"])
		}
		for _, kv := range spans[0].Attributes {
			if strings.Contains(kv.Value.String(), "hunter2") {
				t.Errorf("%s: %s = %q shows the literal", c.stmt, kv.Key, kv.Value.String())
			}
		}
	}
}

// TestPostgresStable checks the stable conventions on PostgreSQL: span
// names "{operation} {table}" and the stable keys.
func TestPostgresStable(t *testing.T) {
	b := postgresBackend(t)
	h := newHarness(t, b, sqlx.WithSemconv(otelkit.SemconvStable))
	table := pgTable(t, h, b, "sqlx_pg_stable")
	stable := func(q, op, coll string) map[string]any {
		m := map[string]any{
			"db.system.name":    "postgresql",
			"db.namespace":      b.namespace,
			"server.address":    b.host,
			"server.port":       int64(b.port),
			"db.query.text":     q,
			"db.operation.name": op,
		}
		if coll != "" {
			m["db.collection.name"] = coll
		}
		return m
	}

	ins := "INSERT INTO " + table + " (user_id, body) VALUES ($1, $2), ($3, $4)"
	if _, err := h.db.ExecContext(h.ctx, ins, 1, "a", 2, "b"); err != nil {
		t.Fatal(err)
	}
	h.check(t, "insert", h.spans(), want{"INSERT " + table, codes.Unset, stable(ins, "INSERT", table)})

	sel := "SELECT body FROM " + table + " WHERE user_id < $1"
	if n := countRows(t, h, sel, 10); n != 2 {
		t.Fatalf("select: %d rows, want 2", n)
	}
	w := stable(sel, "SELECT", table)
	w["db.response.returned_rows"] = int64(2)
	h.check(t, "select", h.spans(), want{"SELECT " + table, codes.Unset, w})

	// No table: the span is named after the operation and the namespace.
	q := "SELECT 1 AS n WHERE 1 = $1"
	var v int
	if err := h.db.QueryRowContext(h.ctx, q, 0).Scan(&v); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("no rows: %v", err)
	}
	w = stable(q, "SELECT", "")
	w["db.response.returned_rows"] = int64(0)
	h.check(t, "no table", h.spans(), want{"SELECT " + b.namespace, codes.Unset, w})

	// A failure: ERROR status, an exception event, and pgx's SQLSTATE
	// (read through its SQLState method: pgx wraps the *pgconn.PgError in
	// a *pgconn.PrepareError, as it prepares the statement first) as
	// db.response.status_code and error.type: 42P01, undefined_table.
	bad := "DELETE FROM no_such_table_sqlx WHERE id = $1"
	if _, err := h.db.ExecContext(h.ctx, bad, 1); err == nil {
		t.Fatal("delete from a missing table succeeded")
	}
	got := h.spans()
	if len(got) != 1 {
		t.Fatalf("failing: %d spans, want 1", len(got))
	}
	w = stable(bad, "DELETE", "no_such_table_sqlx")
	w["db.response.status_code"], w["error.type"] = "42P01", "42P01"
	h.check(t, "failing", got, want{"DELETE no_such_table_sqlx", codes.Error, w})
	if len(got[0].Events) != 1 || got[0].Events[0].Name != "exception" {
		t.Errorf("failing: events = %v, want one exception", got[0].Events)
	}
	noSecret(t, h, b.password)
}
