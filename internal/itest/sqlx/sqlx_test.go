// Package sqlx_test runs the sqlx suite on embedded SQLite (always) and on
// MariaDB (when OTELKIT_TEST_MYSQL_DSN is set).
package sqlx_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	_ "modernc.org/sqlite"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/sqlx"
)

// backend describes one database the suite runs on.
type backend struct {
	driver, dsn string
	system      string
	connString  string // expected db.connection_string
	namespace   string // expected db.namespace ("" for none)
	host        string // expected server.address ("" for none)
	port        int
	idType      string // column definition of an auto-increment key
	dollar      bool   // placeholders are $1, $2, ... (PostgreSQL)
	password    string // the DSN's password, which no telemetry may show
}

// sql returns stmt, written with ? placeholders, in the backend's style.
func (b backend) sql(stmt string) string {
	if !b.dollar {
		return stmt
	}
	var out strings.Builder
	n := 0
	for _, r := range stmt {
		if r == '?' {
			n++
			fmt.Fprintf(&out, "$%d", n)
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

func sqliteBackend(t *testing.T) backend {
	path := filepath.Join(t.TempDir(), "suite.db")
	return backend{
		driver: "sqlite", dsn: "file:" + path + "?_pragma=busy_timeout(5000)",
		system: "sqlite", connString: "sqlite:" + path,
		idType: "INTEGER PRIMARY KEY AUTOINCREMENT",
	}
}

func mariaDBBackend(t *testing.T) backend {
	dsn := os.Getenv("OTELKIT_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("OTELKIT_TEST_MYSQL_DSN is not set (e.g. root@tcp(127.0.0.1:3306)/test?parseTime=true)")
	}
	// The expected values are derived with the driver's own parser.
	b := backend{driver: "mysql", dsn: dsn, system: "mysql", idType: "INT AUTO_INCREMENT PRIMARY KEY"}
	cfg := mysqlConfig(t, dsn)
	host, port := cfg.host, cfg.port
	b.connString = fmt.Sprintf("mysql://%s%s:%d/%s", userAt(cfg.user), host, port, cfg.db)
	b.namespace, b.host, b.port = cfg.db, host, port
	return b
}

type mysqlCfg struct {
	user, host, db string
	port           int
}

func mysqlConfig(t *testing.T, dsn string) mysqlCfg {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return mysqlCfg{user: cfg.User, host: host, db: cfg.DBName, port: p}
}

func userAt(u string) string {
	if u == "" {
		return ""
	}
	return u + "@"
}

type harness struct {
	exp  *tracetest.InMemoryExporter
	tp   *sdktrace.TracerProvider
	mr   *sdkmetric.ManualReader
	db   *sql.DB
	root trace.Span
	ctx  context.Context
}

func newHarness(t *testing.T, b backend, opts ...sqlx.Option) *harness {
	t.Helper()
	h := &harness{exp: tracetest.NewInMemoryExporter(), mr: sdkmetric.NewManualReader()}
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(h.exp))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.mr))
	opts = append([]sqlx.Option{sqlx.WithTracerProvider(h.tp), sqlx.WithMeterProvider(mp)}, opts...)
	db, err := sqlx.Open(b.driver, b.dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	h.db = db
	h.ctx, h.root = h.tp.Tracer("test").Start(context.Background(), "GET /logs")
	return h
}

// spans returns the finished spans other than the test's root span and
// clears the exporter.
func (h *harness) spans() []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range h.exp.GetSpans() {
		if s.SpanContext.SpanID() != h.root.SpanContext().SpanID() {
			out = append(out, s)
		}
	}
	h.exp.Reset()
	return out
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// want describes one expected statement span.
type want struct {
	name   string
	status codes.Code
	attrs  map[string]any
}

func (h *harness) check(t *testing.T, step string, got []tracetest.SpanStub, wants ...want) {
	t.Helper()
	if len(got) != len(wants) {
		names := []string{}
		for _, s := range got {
			names = append(names, s.Name)
		}
		t.Fatalf("%s: %d spans %v, want %d", step, len(got), names, len(wants))
	}
	for i, w := range wants {
		s := got[i]
		if s.Name != w.name {
			t.Errorf("%s: span %d name = %q, want %q", step, i, s.Name, w.name)
		}
		if s.SpanKind != trace.SpanKindClient {
			t.Errorf("%s: span %d kind = %v, want client", step, i, s.SpanKind)
		}
		if s.Parent.SpanID() != h.root.SpanContext().SpanID() || s.SpanContext.TraceID() != h.root.SpanContext().TraceID() {
			t.Errorf("%s: span %d is not a child of the caller's span", step, i)
		}
		if s.Status.Code != w.status {
			t.Errorf("%s: span %d status = %v %q, want %v", step, i, s.Status.Code, s.Status.Description, w.status)
		}
		if got := attrMap(s.Attributes); !reflect.DeepEqual(got, w.attrs) {
			t.Errorf("%s: span %d attributes\n got  %v\n want %v", step, i, got, w.attrs)
		}
	}
}

// old returns the spec's keys for a statement.
func (b backend) old(stmt, op, table string, rows int64) map[string]any {
	m := map[string]any{
		"db.system":            b.system,
		"db.connection_string": b.connString,
		"db.statement":         stmt,
		"db.operation":         op,
		"db.rows_affected":     rows,
	}
	if table != "" {
		m["db.sql.table"] = table
	}
	return m
}

// countRows runs query under the harness's root span and returns how many
// rows it read, closing them (which ends the query's span).
func countRows(t *testing.T, h *harness, query string, args ...any) int {
	t.Helper()
	rows, err := h.db.QueryContext(h.ctx, query, args...)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

func runSuite(t *testing.T, b backend) {
	h := newHarness(t, b)
	ctx := h.ctx
	table := fmt.Sprintf("sqlx_suite_%d", time.Now().UnixNano()%1e9)
	name := b.system + ".query"
	if _, err := h.db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = h.db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table) })
	h.spans()

	// Create a table.
	create := "CREATE TABLE " + table + " (id " + b.idType + ", user_id INT NOT NULL, body VARCHAR(100))"
	if _, err := h.db.ExecContext(ctx, create); err != nil {
		t.Fatal(err)
	}
	h.check(t, "create", h.spans(), want{name, codes.Unset, b.old(create, "CREATE", table, 0)})

	// Insert three rows, with arguments that must not appear.
	insert := b.sql("INSERT INTO " + table + " (user_id, body) VALUES (?, ?), (?, ?), (?, ?)")
	if _, err := h.db.ExecContext(ctx, insert, 7, "secret-arg-1", 7, "b", 8, "c"); err != nil {
		t.Fatal(err)
	}
	h.check(t, "insert", h.spans(), want{name, codes.Unset, b.old(insert, "INSERT", table, 3)})

	// Select: the rows read are counted when the rows are closed.
	sel := b.sql("SELECT id, body FROM " + table + " WHERE user_id = ? ORDER BY id DESC")
	if n := countRows(t, h, sel, 7); n != 2 {
		t.Fatalf("select: %d rows, want 2", n)
	}
	h.check(t, "select", h.spans(), want{name, codes.Unset, b.old(sel, "SELECT", table, 2)})

	// QueryRow with no match: sql.ErrNoRows for the caller, not a failure.
	one := b.sql("SELECT body FROM " + table + " WHERE id = ?")
	var body string
	if err := h.db.QueryRowContext(ctx, one, -1).Scan(&body); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("no rows: %v", err)
	}
	h.check(t, "no rows", h.spans(), want{name, codes.Unset, b.old(one, "SELECT", table, 0)})

	// Update.
	upd := b.sql("UPDATE " + table + " SET body = ? WHERE user_id = ?")
	if _, err := h.db.ExecContext(ctx, upd, "x", 7); err != nil {
		t.Fatal(err)
	}
	h.check(t, "update", h.spans(), want{name, codes.Unset, b.old(upd, "UPDATE", table, 2)})

	// Delete.
	del := b.sql("DELETE FROM " + table + " WHERE user_id = ?")
	if _, err := h.db.ExecContext(ctx, del, 8); err != nil {
		t.Fatal(err)
	}
	h.check(t, "delete", h.spans(), want{name, codes.Unset, b.old(del, "DELETE", table, 1)})

	// A transaction: one span per statement inside it, children of the
	// caller's span; no begin/commit spans by default.
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	txIns := b.sql("INSERT INTO " + table + " (user_id, body) VALUES (?, ?)")
	if _, err := tx.ExecContext(ctx, txIns, 9, "t"); err != nil {
		t.Fatal(err)
	}
	txUpd := b.sql("UPDATE " + table + " SET user_id = ? WHERE user_id = ?")
	if _, err := tx.ExecContext(ctx, txUpd, 10, 9); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	h.check(t, "transaction", h.spans(),
		want{name, codes.Unset, b.old(txIns, "INSERT", table, 1)},
		want{name, codes.Unset, b.old(txUpd, "UPDATE", table, 1)})

	// A failing statement: ERROR status and an exception event.
	bad := b.sql("SELECT * FROM no_such_table_sqlx WHERE id = ?")
	if _, err := h.db.QueryContext(ctx, bad, 1); err == nil {
		t.Fatal("query on a missing table succeeded")
	}
	got := h.spans()
	wantAttrs := b.old(bad, "SELECT", "no_such_table_sqlx", 0)
	delete(wantAttrs, "db.rows_affected")
	h.check(t, "failing", got, want{name, codes.Error, wantAttrs})
	if len(got[0].Events) != 1 || got[0].Events[0].Name != "exception" {
		t.Errorf("failing: events = %v, want one exception", got[0].Events)
	}

	// Nothing the suite did put an argument or the password into
	// telemetry.
	noSecret(t, h, "secret-arg")
	if b.password != "" {
		noSecret(t, h, b.password)
	}
}

func TestSuiteSQLite(t *testing.T)     { runSuite(t, sqliteBackend(t)) }
func TestSuiteMariaDB(t *testing.T)    { runSuite(t, mariaDBBackend(t)) }
func TestSuitePostgreSQL(t *testing.T) { runSuite(t, postgresBackend(t)) }

func runStable(t *testing.T, b backend) {
	for _, mode := range []otelkit.SemconvMode{otelkit.SemconvStable, otelkit.SemconvDup} {
		t.Run(mode.String(), func(t *testing.T) {
			h := newHarness(t, b, sqlx.WithSemconv(mode))
			q := "SELECT 1 AS n FROM (SELECT 1 AS x) AS t WHERE 1 = ?"
			table := "" // a derived table: the parser leaves it empty
			if b.system == "mysql" {
				q, table = "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_NAME = ?", "information_schema.TABLES"
			}
			var v any
			if err := h.db.QueryRowContext(h.ctx, q, "none").Scan(&v); !errors.Is(err, sql.ErrNoRows) {
				t.Fatal(err)
			}
			attrs := map[string]any{
				"db.system.name":            b.system,
				"db.query.text":             q,
				"db.operation.name":         "SELECT",
				"db.response.returned_rows": int64(0),
			}
			if table != "" {
				attrs["db.collection.name"] = table
			}
			if b.namespace != "" {
				attrs["db.namespace"] = b.namespace
			}
			if b.host != "" {
				attrs["server.address"], attrs["server.port"] = b.host, int64(b.port)
			}
			if mode == otelkit.SemconvDup {
				for k, v := range b.old(q, "SELECT", table, 0) {
					attrs[k] = v
				}
			}
			name := "SELECT " + table
			if table == "" {
				name = "SELECT"
				if b.namespace != "" {
					name += " " + b.namespace
				}
			}
			h.check(t, "stable", h.spans(), want{name, codes.Unset, attrs})

			// A failure carries error.type (and the server's error code).
			if _, err := h.db.ExecContext(h.ctx, "DELETE FROM no_such_table_sqlx"); err == nil {
				t.Fatal("delete from a missing table succeeded")
			}
			spans := h.spans()
			if len(spans) != 1 || spans[0].Status.Code != codes.Error {
				t.Fatalf("failure: %v", spans)
			}
			got := attrMap(spans[0].Attributes)
			if b.system == "mysql" {
				if got["db.response.status_code"] != "1146" || got["error.type"] != "1146" {
					t.Errorf("failure: status code %v, error.type %v; want 1146 (ER_NO_SUCH_TABLE)", got["db.response.status_code"], got["error.type"])
				}
			} else if got["error.type"] == nil || got["error.type"] == "" {
				t.Errorf("failure: no error.type in %v", got)
			}
			if got["db.collection.name"] != "no_such_table_sqlx" {
				t.Errorf("failure: db.collection.name = %v", got["db.collection.name"])
			}
		})
	}
}

func TestStableSQLite(t *testing.T)  { runStable(t, sqliteBackend(t)) }
func TestStableMariaDB(t *testing.T) { runStable(t, mariaDBBackend(t)) }

// TestSanitize checks WithSanitizeLiterals on a real statement.
func TestSanitize(t *testing.T) {
	b := sqliteBackend(t)
	h := newHarness(t, b, sqlx.WithSanitizeLiterals(true))
	if _, err := h.db.ExecContext(h.ctx, "SELECT 'p4ssw0rd', 42 WHERE 1 = ?", 1); err != nil {
		t.Fatal(err)
	}
	spans := h.spans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	if got := attrMap(spans[0].Attributes)["db.statement"]; got != "SELECT ?, ? WHERE ? = ?" {
		t.Errorf("db.statement = %q", got)
	}
}

// TestExtraSpans checks that the connection, reset, prepare and rows spans
// of otelsql come back when asked for.
func TestExtraSpans(t *testing.T) {
	b := sqliteBackend(t)
	h := newHarness(t, b, sqlx.WithExtraSpans(sqlx.ExtraAll))
	for range 2 {
		stmt, err := h.db.PrepareContext(h.ctx, "SELECT 1")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := stmt.QueryContext(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
		_ = stmt.Close()
	}
	names := map[string]int{}
	for _, s := range h.spans() {
		names[s.Name]++
	}
	for _, n := range []string{"sql.connector.connect", "sql.conn.prepare", "sql.rows", "sql.conn.reset_session", "sqlite.query"} {
		if names[n] == 0 {
			t.Errorf("no %s span; got %v", n, names)
		}
	}
	if names["sqlite.query"] != 2 {
		t.Errorf("%d sqlite.query spans, want 2", names["sqlite.query"])
	}
}

// TestPoolMetrics checks the connection-pool metrics.
func TestPoolMetrics(t *testing.T) {
	b := sqliteBackend(t)
	h := newHarness(t, b)
	if err := h.db.PingContext(h.ctx); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := h.mr.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	var idle int64 = -1
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			found[m.Name] = true
			if m.Name == "db.client.connection.count" {
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					if v, _ := dp.Attributes.Value("db.client.connection.state"); v.AsString() == "idle" {
						idle = dp.Value
						if pn, _ := dp.Attributes.Value("db.client.connection.pool.name"); pn.AsString() != b.connString {
							t.Errorf("pool name = %q, want %q", pn.AsString(), b.connString)
						}
					}
				}
			}
		}
	}
	for _, n := range []string{"db.client.connection.count", "db.client.connection.max", "db.sql.connection.open", "db.client.operation.duration"} {
		if !found[n] {
			t.Errorf("metric %s missing; got %v", n, found)
		}
	}
	if idle != 1 {
		t.Errorf("idle connections = %d, want 1", idle)
	}
}
