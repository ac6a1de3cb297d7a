package instrumentation_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/internal/instrumentation"
	"github.com/otelkit/otelkit/kafkax"
	"github.com/otelkit/otelkit/redisx"
	"github.com/otelkit/otelkit/sqlx"
)

// off sets the environment so that only the given Go list disables, and
// returns a recorder-backed tracer provider.
func setup(t *testing.T, disabled string) (*tracetest.SpanRecorder, *sdktrace.TracerProvider) {
	t.Helper()
	t.Setenv(instrumentation.EnvEnabled, "")
	t.Setenv(instrumentation.EnvDisabled, disabled)
	t.Setenv(instrumentation.EnvPythonDisabled, "")
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return rec, tp
}

// sameAllocs fails unless f allocates as much as bare (skipped under -race).
func sameAllocs(t *testing.T, what string, bare, f func()) {
	t.Helper()
	if raceEnabled {
		return
	}
	b, g := testing.AllocsPerRun(200, bare), testing.AllocsPerRun(200, f)
	if g != b {
		t.Errorf("%s switched off: %v allocations, the bare call %v", what, g, b)
	}
}

func noSpans(t *testing.T, rec *tracetest.SpanRecorder, what string) {
	t.Helper()
	if n := len(rec.Ended()) + len(rec.Started()); n > 0 {
		t.Errorf("%s switched off made %d spans", what, n)
	}
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

// TestHTTPServerOff: nethttp, nethttp/server and Python's flask switch
// NewHandler and NewServeMux off: no span, the bare call's allocations.
func TestHTTPServerOff(t *testing.T) {
	for _, env := range [][2]string{
		{instrumentation.EnvDisabled, "nethttp"},
		{instrumentation.EnvDisabled, "nethttp/server"},
		{instrumentation.EnvPythonDisabled, "flask"},
		{instrumentation.EnvEnabled, "redis"},
	} {
		t.Run(env[0]+"="+env[1], func(t *testing.T) {
			rec, tp := setup(t, "")
			t.Setenv(env[0], env[1])
			h := httpx.NewHandler(ok, httpx.WithTracerProvider(tp))
			mux := httpx.NewServeMux(httpx.WithTracerProvider(tp))
			mux.Handle("GET /x", ok)
			bareMux := http.NewServeMux()
			bareMux.Handle("GET /x", ok)
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			h.ServeHTTP(w, r)
			mux.ServeHTTP(w, r)
			noSpans(t, rec, "server")
			sameAllocs(t, "NewHandler", func() { ok.ServeHTTP(w, r) }, func() { h.ServeHTTP(w, r) })
			sameAllocs(t, "NewServeMux", func() { bareMux.ServeHTTP(w, r) }, func() { mux.ServeHTTP(w, r) })
		})
	}
	t.Run("on: spans", func(t *testing.T) {
		rec, tp := setup(t, "nethttp/client")
		httpx.NewHandler(ok, httpx.WithTracerProvider(tp)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
		if len(rec.Ended()) != 1 {
			t.Errorf("%d spans with the server side on, want 1", len(rec.Ended()))
		}
	})
}

// fixedRT answers every request with the same response.
type fixedRT struct{ res *http.Response }

func (f fixedRT) RoundTrip(*http.Request) (*http.Response, error) { return f.res, nil }

// TestHTTPClientOff: nethttp, nethttp/client and Python's requests switch
// NewTransport and Client off.
func TestHTTPClientOff(t *testing.T) {
	srv := httptest.NewServer(ok)
	defer srv.Close()
	for _, env := range [][2]string{
		{instrumentation.EnvDisabled, "nethttp"},
		{instrumentation.EnvDisabled, "NETHTTP/CLIENT"},
		{instrumentation.EnvPythonDisabled, "requests"},
		{instrumentation.EnvEnabled, "nethttp/server"},
	} {
		t.Run(env[0]+"="+env[1], func(t *testing.T) {
			rec, tp := setup(t, "")
			t.Setenv(env[0], env[1])
			base := fixedRT{res: &http.Response{StatusCode: 204, Body: http.NoBody}}
			tr := httpx.NewTransport(base, httpx.WithTracerProvider(tp))
			r := httptest.NewRequest(http.MethodGet, "http://example.test/x", nil)
			r.RequestURI = ""
			if _, err := tr.RoundTrip(r); err != nil {
				t.Fatal(err)
			}
			c := httpx.Client(httpx.WithTracerProvider(tp))
			res, err := c.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if got := res.Request.Header.Get("traceparent"); got != "" {
				t.Errorf("traceparent %q injected while off", got)
			}
			noSpans(t, rec, "client")
			sameAllocs(t, "NewTransport", func() { _, _ = base.RoundTrip(r) }, func() { _, _ = tr.RoundTrip(r) })
		})
	}
}

// The fake driver: every statement succeeds, no rows.
type fakeDriver struct{}
type fakeConn struct{}
type fakeResult struct{}

func (fakeDriver) Open(string) (driver.Conn, error)  { return fakeConn{}, nil }
func (fakeConn) Prepare(string) (driver.Stmt, error) { return nil, driver.ErrSkip }
func (fakeConn) Close() error                        { return nil }
func (fakeConn) Begin() (driver.Tx, error)           { return nil, driver.ErrSkip }
func (fakeResult) LastInsertId() (int64, error)      { return 0, nil }
func (fakeResult) RowsAffected() (int64, error)      { return 0, nil }
func (fakeConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return fakeResult{}, nil
}

type fakeConnector struct{}

func (fakeConnector) Connect(context.Context) (driver.Conn, error) { return fakeConn{}, nil }
func (fakeConnector) Driver() driver.Driver                        { return fakeDriver{} }

func init() { sql.Register("h12fake", fakeDriver{}) }

// TestDatabaseSQLOff: databasesql and Python's mysql, pymysql, mysqlclient,
// sqlalchemy switch Open, OpenDB and WrapDriver off.
func TestDatabaseSQLOff(t *testing.T) {
	ctx := context.Background()
	for _, env := range [][2]string{
		{instrumentation.EnvDisabled, "databasesql"},
		{instrumentation.EnvPythonDisabled, "mysql"},
		{instrumentation.EnvPythonDisabled, "pymysql"},
		{instrumentation.EnvPythonDisabled, "mysqlclient"},
		{instrumentation.EnvPythonDisabled, "sqlalchemy"},
		{instrumentation.EnvEnabled, "nethttp"},
	} {
		t.Run(env[0]+"="+env[1], func(t *testing.T) {
			rec, tp := setup(t, "")
			t.Setenv(env[0], env[1])
			db, err := sqlx.Open("h12fake", "x", sqlx.WithTracerProvider(tp))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db2 := sqlx.OpenDB(fakeConnector{}, sqlx.WithTracerProvider(tp))
			defer db2.Close()
			if d := sqlx.WrapDriver(fakeDriver{}, sqlx.WithTracerProvider(tp)); d != (fakeDriver{}) {
				t.Errorf("WrapDriver switched off = %T, want the driver itself", d)
			}
			bare, _ := sql.Open("h12fake", "x")
			defer bare.Close()
			for _, d := range []*sql.DB{db, db2, bare} {
				if _, err := d.ExecContext(ctx, "UPDATE t SET a = 1"); err != nil {
					t.Fatal(err)
				}
			}
			noSpans(t, rec, "sqlx")
			exec := func(d *sql.DB) func() { return func() { _, _ = d.ExecContext(ctx, "UPDATE t SET a = 1") } }
			sameAllocs(t, "Open", exec(bare), exec(db))
			sameAllocs(t, "OpenDB", exec(bare), exec(db2))
		})
	}
}

// TestRedisOff: redis (Go and Python) switches Instrument off.
func TestRedisOff(t *testing.T) {
	addr := os.Getenv("OTELKIT_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("set OTELKIT_TEST_REDIS_ADDR (host:port of a Redis server)")
	}
	ctx := context.Background()
	for _, env := range [][2]string{
		{instrumentation.EnvDisabled, "redis"},
		{instrumentation.EnvPythonDisabled, "redis"},
		{instrumentation.EnvEnabled, "kafka"},
	} {
		t.Run(env[0]+"="+env[1], func(t *testing.T) {
			rec, tp := setup(t, "")
			t.Setenv(env[0], env[1])
			c := redis.NewClient(&redis.Options{Addr: addr})
			defer c.Close()
			if err := redisx.Instrument(c, redisx.WithTracerProvider(tp)); err != nil {
				t.Fatal(err)
			}
			bare := redis.NewClient(&redis.Options{Addr: addr})
			defer bare.Close()
			for _, cl := range []*redis.Client{c, bare} {
				if err := cl.Ping(ctx).Err(); err != nil {
					t.Fatal(err)
				}
			}
			noSpans(t, rec, "redisx")
			sameAllocs(t, "Instrument", func() { _ = bare.Ping(ctx).Err() }, func() { _ = c.Ping(ctx).Err() })
		})
	}
}

// TestKafkaOff: kafka, Python's kafka, confluent_kafka and kafka-python
// switch Opts off: no hooks at all.
func TestKafkaOff(t *testing.T) {
	for _, env := range [][2]string{
		{instrumentation.EnvDisabled, "kafka"},
		{instrumentation.EnvPythonDisabled, "kafka"},
		{instrumentation.EnvPythonDisabled, "confluent_kafka"},
		{instrumentation.EnvPythonDisabled, "kafka-python"},
		{instrumentation.EnvEnabled, "redis"},
	} {
		t.Run(env[0]+"="+env[1], func(t *testing.T) {
			_, tp := setup(t, "")
			t.Setenv(env[0], env[1])
			if opts := kafkax.Opts(kafkax.WithTracerProvider(tp)); len(opts) != 0 {
				t.Errorf("Opts switched off = %d options, want none", len(opts))
			}
		})
	}
	t.Run("on", func(t *testing.T) {
		_, tp := setup(t, "redis")
		if opts := kafkax.Opts(kafkax.WithTracerProvider(tp)); len(opts) == 0 {
			t.Error("Opts switched on gives no options")
		}
	})
}
