package sqlx_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/internal/testutil"
	"github.com/otelkit/otelkit/sqlx"
)

type recorder struct {
	exp  *tracetest.InMemoryExporter
	tp   *sdktrace.TracerProvider
	ctx  context.Context
	root trace.Span
}

func newRecorder() *recorder {
	r := &recorder{exp: tracetest.NewInMemoryExporter()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(r.exp))
	r.ctx, r.root = r.tp.Tracer("test").Start(context.Background(), "GET /logs")
	return r
}

// spans returns the finished spans except the root.
func (r *recorder) spans() []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range r.exp.GetSpans() {
		if s.SpanContext.SpanID() != r.root.SpanContext().SpanID() {
			out = append(out, s)
		}
	}
	return out
}

func attrs(s tracetest.SpanStub) map[string]any {
	m := map[string]any{}
	for _, kv := range s.Attributes {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestDatabaseDown(t *testing.T) {
	r := newRecorder()
	addr := closedPort(t)
	db, err := sqlx.Open("mysql", "app:s3cret-pw@tcp("+addr+")/shop?parseTime=true", sqlx.WithTracerProvider(r.tp))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "DELETE FROM sessions"); err == nil {
		t.Fatal("exec on a closed port succeeded")
	}
	spans := r.spans()
	if len(spans) == 0 {
		t.Fatal("no span for a database that is down")
	}
	for _, s := range spans {
		if s.Name != "mysql.connect" || s.Status.Code != codes.Error || s.Parent.SpanID() != r.root.SpanContext().SpanID() {
			t.Errorf("span %q status %v parent %v; want mysql.connect, Error, the caller's span", s.Name, s.Status.Code, s.Parent.SpanID())
		}
		want := map[string]any{"db.system": "mysql", "db.connection_string": "mysql://app@" + addr + "/shop"}
		if got := attrs(s); got["db.system"] != want["db.system"] || got["db.connection_string"] != want["db.connection_string"] {
			t.Errorf("attributes %v, want %v", got, want)
		}
		if len(s.Events) != 1 || s.Events[0].Name != "exception" {
			t.Errorf("events %v, want one exception", s.Events)
		}
	}
	testutil.NoSecret(t, spans, "s3cret-pw")
}

// TestDatabaseHangs checks that a server that accepts but never answers
// fails the statement when the caller's context ends, with an ERROR span.
func TestDatabaseHangs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	r := newRecorder()
	db, err := sqlx.Open("mysql", "app:pw@tcp("+l.Addr().String()+")/shop", sqlx.WithTracerProvider(r.tp))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(r.ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = db.ExecContext(ctx, "SELECT 1")
	if err == nil {
		t.Fatal("exec on a silent server succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("exec returned after %v, beyond the caller's 300ms deadline", d)
	}
	spans := r.spans()
	if len(spans) == 0 || spans[0].Status.Code != codes.Error || spans[0].Parent.SpanID() != r.root.SpanContext().SpanID() {
		t.Fatalf("spans %v: want an ERROR span under the caller's span", spans)
	}
}

// legacy* is a driver with only the pre-context interfaces, to check the
// fallbacks and WrapDriver.
type legacyDriver struct{}
type legacyConn struct{}
type legacyStmt struct{ query string }
type legacyRows struct{ n int }
type legacyTx struct{}

func (legacyDriver) Open(string) (driver.Conn, error)    { return legacyConn{}, nil }
func (legacyConn) Prepare(q string) (driver.Stmt, error) { return &legacyStmt{query: q}, nil }
func (legacyConn) Close() error                          { return nil }
func (legacyConn) Begin() (driver.Tx, error)             { return legacyTx{}, nil }
func (legacyTx) Commit() error                           { return nil }
func (legacyTx) Rollback() error                         { return nil }
func (s *legacyStmt) Close() error                       { return nil }
func (s *legacyStmt) NumInput() int                      { return -1 }
func (s *legacyStmt) Exec([]driver.Value) (driver.Result, error) {
	if strings.Contains(s.query, "boom") {
		return nil, errors.New("boom")
	}
	return driver.RowsAffected(4), nil
}
func (s *legacyStmt) Query([]driver.Value) (driver.Rows, error) { return &legacyRows{}, nil }
func (r *legacyRows) Columns() []string                         { return []string{"x"} }
func (r *legacyRows) Close() error                              { return nil }
func (r *legacyRows) Next(dest []driver.Value) error {
	if r.n == 3 {
		return io.EOF
	}
	r.n++
	dest[0] = int64(r.n)
	return nil
}

func TestWrapDriverLegacy(t *testing.T) {
	r := newRecorder()
	sql.Register("sqlx-legacy-test", sqlx.WrapDriver(legacyDriver{},
		sqlx.WithTracerProvider(r.tp), sqlx.WithSystem("legacydb"), sqlx.WithSemconv(otelkit.SemconvOld)))
	db, err := sql.Open("sqlx-legacy-test", "legacy://u:s3cret-pw@dbhost:7000/main")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(r.ctx, "UPDATE t SET a = ?", 1); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(r.ctx, "SELECT x FROM t")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
	}
	_ = rows.Close()
	if _, err := db.ExecContext(r.ctx, "DELETE FROM boom"); err == nil {
		t.Fatal("want an error")
	}
	spans := r.spans()
	if len(spans) != 3 {
		for _, s := range spans {
			t.Logf("%s %v %v", s.Name, s.Status, attrs(s))
		}
		t.Fatalf("%d spans, want 3", len(spans))
	}
	base := map[string]any{"db.system": "legacydb", "db.connection_string": "legacydb://u@dbhost:7000/main"}
	wants := []struct {
		stmt, op, table string
		rows            any
		status          codes.Code
	}{
		{"UPDATE t SET a = ?", "UPDATE", "t", int64(4), codes.Unset},
		{"SELECT x FROM t", "SELECT", "t", int64(3), codes.Unset},
		{"DELETE FROM boom", "DELETE", "boom", nil, codes.Error},
	}
	for i, w := range wants {
		s := spans[i]
		want := map[string]any{"db.statement": w.stmt, "db.operation": w.op, "db.sql.table": w.table}
		for k, v := range base {
			want[k] = v
		}
		if w.rows != nil {
			want["db.rows_affected"] = w.rows
		}
		got := attrs(s)
		if s.Name != "legacydb.query" || s.Status.Code != w.status || len(got) != len(want) {
			t.Errorf("span %d: %q %v %v, want legacydb.query %v %v", i, s.Name, s.Status.Code, got, w.status, want)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("span %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
	}
	testutil.NoSecret(t, spans, "s3cret-pw")
}

// countingSpan is a span that does not record and counts every call that
// would build telemetry on it.
type countingSpan struct {
	noop.Span
	tp *countingTP
}

func (s countingSpan) IsRecording() bool { return false }
func (s countingSpan) End(...trace.SpanEndOption) {
	s.tp.ended.Add(1)
}
func (s countingSpan) SetAttributes(kv ...attribute.KeyValue) {
	s.tp.built.Add(1)
	s.tp.attrs.Add(int64(len(kv)))
}
func (s countingSpan) SetStatus(codes.Code, string)            { s.tp.built.Add(1) }
func (s countingSpan) SetName(string)                          { s.tp.built.Add(1) }
func (s countingSpan) RecordError(error, ...trace.EventOption) { s.tp.built.Add(1) }
func (s countingSpan) AddEvent(string, ...trace.EventOption)   { s.tp.built.Add(1) }
func (s countingSpan) AddLink(trace.Link)                      { s.tp.built.Add(1) }

// countingTP is a TracerProvider, not the SDK's, whose sampler says
// "drop" to every span: it counts the spans started and ended, the calls
// that build telemetry on them and the attributes passed at start.
type countingTP struct {
	noop.TracerProvider
	started, ended, built, attrs atomic.Int64
}

type countingTracer struct {
	noop.Tracer
	tp *countingTP
}

func (p *countingTP) Tracer(string, ...trace.TracerOption) trace.Tracer {
	return countingTracer{tp: p}
}

func (t countingTracer) Start(ctx context.Context, _ string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	t.tp.started.Add(1)
	cfg := trace.NewSpanStartConfig(opts...)
	t.tp.attrs.Add(int64(len(cfg.Attributes())))
	s := countingSpan{tp: t.tp}
	return trace.ContextWithSpan(ctx, s), s
}

// TestNotRecording checks that a span that does not record gets nothing
// built on it: no attribute (at start or later), no status, no event, and
// it is ended; the statements still work. It runs every path (exec,
// query, prepared statement, a failing statement, a failed prepare) in
// both conventions, with every extra span on.
func TestNotRecording(t *testing.T) {
	for _, mode := range []otelkit.SemconvMode{otelkit.SemconvOld, otelkit.SemconvStable} {
		tp := &countingTP{}
		db := sql.OpenDB(connectorFor(sqlx.WrapDriver(legacyDriver{}, sqlx.WithTracerProvider(tp),
			sqlx.WithSemconv(mode), sqlx.WithSanitizeLiterals(true), sqlx.WithExtraSpans(sqlx.ExtraAll))))
		ctx := context.Background()
		var x int
		if err := db.QueryRowContext(ctx, "SELECT x FROM t WHERE a = 'lit'").Scan(&x); err != nil || x != 1 {
			t.Fatalf("x = %d, %v", x, err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE t SET a = ?", "arg"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "DELETE FROM boom WHERE a = 'lit'"); err == nil {
			t.Fatal("want an error")
		}
		st, err := db.PrepareContext(ctx, "UPDATE t SET a = 1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ExecContext(ctx); err != nil {
			t.Fatal(err)
		}
		_ = st.Close()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = tx.Commit()
		_ = db.Close()
		if tp.started.Load() < 5 {
			t.Errorf("%v: %d spans started, want one per statement at least", mode, tp.started.Load())
		}
		if s, e := tp.started.Load(), tp.ended.Load(); s != e {
			t.Errorf("%v: %d spans started, %d ended", mode, s, e)
		}
		if n, a := tp.built.Load(), tp.attrs.Load(); n != 0 || a != 0 {
			t.Errorf("%v: %d calls and %d attributes built on spans that do not record", mode, n, a)
		}
	}
}

type driverConnector struct{ d driver.Driver }

func (c driverConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open("") }
func (c driverConnector) Driver() driver.Driver                        { return c.d }

func connectorFor(d driver.Driver) driver.Connector { return driverConnector{d} }

// TestMariaDBCancel needs a real server: a cancelled statement is not a
// database failure, a deadline that passes is.
func TestMariaDBCancel(t *testing.T) {
	dsn := os.Getenv("OTELKIT_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("OTELKIT_TEST_MYSQL_DSN is not set (e.g. root@tcp(127.0.0.1:3306)/test?parseTime=true)")
	}
	r := newRecorder()
	db, err := sqlx.Open("mysql", dsn, sqlx.WithTracerProvider(r.tp))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(r.ctx)
	time.AfterFunc(200*time.Millisecond, cancel)
	if _, err := db.ExecContext(ctx, "SELECT SLEEP(3)"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
	ctx, cancel2 := context.WithTimeout(r.ctx, 200*time.Millisecond)
	defer cancel2()
	if _, err := db.ExecContext(ctx, "SELECT SLEEP(3)"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: err = %v", err)
	}
	spans := r.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	if s := spans[0]; s.Status.Code != codes.Unset || len(s.Events) != 1 || s.Events[0].Name != "exception" {
		t.Errorf("cancelled: status %v events %v; want Unset and one exception event", s.Status.Code, s.Events)
	}
	if s := spans[1]; s.Status.Code != codes.Error {
		t.Errorf("deadline: status %v, want Error", s.Status.Code)
	}
	for _, s := range spans {
		if s.Name != "mysql.query" || s.Parent.SpanID() != r.root.SpanContext().SpanID() {
			t.Errorf("span %q parent %v", s.Name, s.Parent.SpanID())
		}
	}
}

func TestRegisterDBStatsMetrics(t *testing.T) {
	mr := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(mr))
	db := sql.OpenDB(connectorFor(sqlx.WrapDriver(legacyDriver{}, sqlx.WithMeterProvider(mp))))
	defer db.Close()
	reg, err := sqlx.RegisterDBStatsMetrics(db, sqlx.WithMeterProvider(mp),
		sqlx.WithSystem("legacydb"), sqlx.WithDSN("legacy://u:s3cret-pw@dbhost:7000/main"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	pools := func() map[string]int64 {
		var rm metricdata.ResourceMetrics
		if err := mr.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != "db.client.connection.count" {
					continue
				}
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					pool, _ := dp.Attributes.Value("db.client.connection.pool.name")
					state, _ := dp.Attributes.Value("db.client.connection.state")
					out[pool.AsString()+" "+state.AsString()] = dp.Value
				}
			}
		}
		return out
	}
	want := map[string]int64{"legacydb://u@dbhost:7000/main idle": 1, "legacydb://u@dbhost:7000/main used": 0}
	if got := pools(); !reflect.DeepEqual(got, want) {
		t.Errorf("db.client.connection.count = %v, want %v", got, want)
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got := pools(); len(got) != 0 {
		t.Errorf("after Unregister: %v", got)
	}
}

// TestWithAttributesOnMetrics checks the promise of WithAttributes: the
// attributes are on every metric measurement, the pool metrics included, so
// that two pools to the same database can be told apart.
func TestWithAttributesOnMetrics(t *testing.T) {
	mr := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(mr))
	db := sqlx.OpenDB(connectorFor(legacyDriver{}), sqlx.WithMeterProvider(mp),
		sqlx.WithSystem("legacydb"), sqlx.WithAttributes(attribute.String("db.role", "replica")))
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "DELETE FROM t"); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := mr.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var sets []attribute.Set
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					sets = append(sets, dp.Attributes)
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					sets = append(sets, dp.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					sets = append(sets, dp.Attributes)
				}
			}
			for _, s := range sets {
				seen[m.Name] = true
				if v, _ := s.Value("db.role"); v.AsString() != "replica" {
					t.Errorf("%s %v: no db.role=replica", m.Name, s.ToSlice())
				}
			}
		}
	}
	for _, n := range []string{"db.client.connection.count", "db.client.connection.max", "db.sql.connection.open", "db.client.operation.duration"} {
		if !seen[n] {
			t.Errorf("no data point of %s (got %v)", n, seen)
		}
	}
}
