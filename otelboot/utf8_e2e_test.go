package otelboot_test

// An end-to-end check that invalid UTF-8 written by any instrumentation
// reaches a real OTLP receiver as valid UTF-8 and costs no other span,
// record or point its batch. The database is a fake database/sql driver and
// Redis a fake RESP server, so that the test needs no service and no
// dependency outside the library's module.

import (
	"bufio"
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
	"github.com/otelkit/otelkit/logcorr"
	"github.com/otelkit/otelkit/otelboot"
	"github.com/otelkit/otelkit/redisx"
	"github.com/otelkit/otelkit/sqlx"
)

const badUA = "bad\xff\xfeagent"

func TestInvalidUTF8ReachesTheReceiver(t *testing.T) {
	tp, mp, lp, prop := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetLoggerProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() {
		otel.SetTracerProvider(tp)
		otel.SetMeterProvider(mp)
		otel.SetLoggerProvider(lp)
		otel.SetTextMapPropagator(prop)
	})
	for _, proto := range []string{"grpc", "http/protobuf"} {
		t.Run(proto, func(t *testing.T) {
			var r *otlptest.Receiver
			if proto == "grpc" {
				r = otlptest.NewGRPCReceiver(t)
			} else {
				r = otlptest.NewHTTPReceiver(t)
			}
			run(t, r, proto)
		})
	}
}

func run(t *testing.T, r *otlptest.Receiver, proto string) {
	for k, v := range map[string]string{
		"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp",
		"OTEL_EXPORTER_OTLP_PROTOCOL": proto, "OTEL_EXPORTER_OTLP_ENDPOINT": r.URL,
		// One batch for everything: a single bad string would drop it all.
		"OTEL_BSP_SCHEDULE_DELAY": "60000", "OTEL_BLRP_SCHEDULE_DELAY": "60000", "OTEL_METRIC_EXPORT_INTERVAL": "60000",
		"OTEL_RESOURCE_ATTRIBUTES":      "a=%ff,deployment.environment.name=test",
		"OTEL_SERVICE_NAME":             "svc\xfe",
		"OTEL_TRACES_SAMPLER":           "always_on",
		"OTEL_SEMCONV_STABILITY_OPT_IN": "",
	} {
		t.Setenv(k, v)
	}
	diag := &testutil.SyncBuffer{}
	shutdown, err := otelboot.Start(context.Background(),
		otelboot.WithLogger(slog.New(slog.NewTextHandler(diag, nil))), otelboot.WithDefaultLogger(false))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	ctx := context.Background()
	want := map[string]int{} // span name -> count expected

	// httpx: raw requests with invalid bytes in the user agent, the path
	// (percent-encoded and raw) and the query, mixed with valid ones.
	srv := httptest.NewServer(httpx.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()
	for _, req := range []struct{ target, ua string }{
		{"/ok", "curl/8"},
		{"/ua", badUA},
		{"/p/%FF%FE", "curl/8"},
		{"/raw\xff/x", "curl/8"},
		{"/q?name=%FF&x=\xfe", "curl/8"},
		{"/ok2", "curl/8"},
	} {
		rawGET(t, srv.Listener.Addr().String(), req.target, req.ua)
	}
	want["GET"] = 6

	// sqlx on a fake driver: a statement holding invalid bytes.
	db := sqlx.OpenDB(fakeConnector{}, sqlx.WithSystem("sqlite"))
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO t (v) VALUES ('\xff\xfe')"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE v <> 'ok'").Scan(&n); err != nil {
		t.Fatal(err)
	}

	// redisx on a fake server: a key holding invalid bytes.
	rc := redis.NewClient(&redis.Options{Addr: fakeRedis(t), DisableIdentity: true})
	defer rc.Close()
	if err := redisx.Instrument(rc); err != nil {
		t.Fatal(err)
	}
	if err := rc.Set(ctx, "user:\xff\xfe", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.Get(ctx, "ok").Err(); err != nil {
		t.Fatal(err)
	}

	// The user's own span: name, attributes, event, link, status.
	tr := otel.Tracer("user\xff")
	_, good := tr.Start(ctx, "user-good")
	good.End()
	_, s := tr.Start(ctx, "user \xff", trace.WithLinks(trace.Link{SpanContext: good.SpanContext(), Attributes: []attribute.KeyValue{attribute.String("l", "\xff")}}))
	s.SetAttributes(attribute.StringSlice("list", []string{"a", "\xff"}), attribute.String("k\xfe", "v"))
	s.AddEvent("ev\xff", trace.WithAttributes(attribute.String("exception.message", "near '\xff'")))
	s.SetStatus(codes.Error, "status \xff")
	s.End()
	want["user-good"], want["user \uFFFD"] = 1, 1

	// Logs: the OTel API and slog through logcorr's OTLP handler.
	var rec otellog.Record
	rec.SetBody(attribute.MapValue(attribute.String("msg", "body \xff"), attribute.Slice("l", attribute.StringValue("\xfe"))))
	rec.AddAttributes(attribute.String("user_agent.original", badUA))
	rec.SetEventName("event\xff")
	otel.GetLoggerProvider().Logger("app").Emit(ctx, rec)
	var ok otellog.Record
	ok.SetBody(attribute.StringValue("valid record"))
	otel.GetLoggerProvider().Logger("app").Emit(ctx, ok)
	slog.New(logcorr.NewOTLPHandler("app")).InfoContext(ctx, "slog \xff", "ua", badUA)

	// Metrics: a counter point with an invalid attribute next to a valid one.
	c, _ := otel.Meter("m").Int64Counter("test.requests")
	c.Add(ctx, 1, metric.WithAttributes(attribute.String("route", "/x\xff")))
	c.Add(ctx, 1, metric.WithAttributes(attribute.String("route", "/ok")))

	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for _, v := range []string{"OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME"} {
		if got := strings.Count(diag.String(), "variable="+v); got != 1 {
			t.Errorf("%d warnings naming %s:\n%s", got, v, diag.String())
		}
	}
	if strings.Contains(diag.String(), "string field contains invalid UTF-8") {
		t.Errorf("an export failed:\n%s", diag.String())
	}

	// Every span arrived and every string in it is valid.
	names := map[string]int{}
	var sawUA, sawSQL, sawRedis, sawPath, sawQuery bool
	for _, sp := range r.Spans() {
		name := sp.GetName()
		if strings.HasPrefix(name, "GET") {
			name = "GET"
		}
		names[name]++
		checkAttrs(t, "span "+sp.GetName(), sp.GetAttributes())
		for _, ev := range sp.GetEvents() {
			checkString(t, "event name", ev.GetName())
			checkAttrs(t, "event", ev.GetAttributes())
		}
		for _, kv := range sp.GetAttributes() {
			v := kv.GetValue().GetStringValue()
			switch {
			case v == "bad\uFFFDagent":
				sawUA = true
			case strings.Contains(v, "VALUES ('\uFFFD')"):
				sawSQL = true
			case kv.GetKey() == "db.redis.command" && strings.Contains(v, "user:"):
				sawRedis = true // redisx quotes the bytes itself: "user:\xff\xfe"
			case kv.GetKey() == "url.path" && strings.Contains(v, "\uFFFD"):
				sawPath = true
			case (kv.GetKey() == "url.query" || kv.GetKey() == "http.url") && strings.Contains(v, "x=\uFFFD"):
				sawQuery = true
			}
		}
	}
	for name, n := range want {
		if names[name] != n {
			t.Errorf("%d spans named %q, want %d; got %v", names[name], name, n, names)
		}
	}
	if !sawUA || !sawSQL || !sawRedis || !sawPath || !sawQuery {
		t.Errorf("user agent %v, SQL %v, Redis key %v, path %v, query %v: not all seen fixed", sawUA, sawSQL, sawRedis, sawPath, sawQuery)
	}
	for _, rs := range r.ResourceSpans() {
		checkAttrs(t, "resource", rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			checkString(t, "scope", ss.GetScope().GetName())
		}
	}
	if v, _ := r.ResourceAttr("a"); v != "\uFFFD" {
		t.Errorf("resource a = %q", v)
	}
	if v, _ := r.ResourceAttr("service.name"); v != "svc\uFFFD" {
		t.Errorf("service.name = %q", v)
	}

	// Every log record arrived.
	recs := r.LogRecords()
	if len(recs) != 3 {
		t.Errorf("%d log records, want 3", len(recs))
	}
	for _, lr := range recs {
		checkValue(t, "log body", lr.GetBody())
		checkAttrs(t, "log", lr.GetAttributes())
		checkString(t, "event name", lr.GetEventName())
	}
	for _, rl := range r.ResourceLogs() {
		checkAttrs(t, "log resource", rl.GetResource().GetAttributes())
	}

	// Both points of the counter arrived (in each export: shutdown flushes,
	// then stops).
	points := map[string]bool{}
	for _, m := range r.Metrics() {
		if m.GetName() != "test.requests" {
			continue
		}
		for _, p := range m.GetSum().GetDataPoints() {
			checkAttrs(t, "point", p.GetAttributes())
			route, _ := otlptest.Attr(p.GetAttributes(), "route")
			points[route] = true
		}
	}
	if len(points) != 2 || !points["/x\uFFFD"] || !points["/ok"] {
		t.Errorf("points of test.requests: %v", points)
	}
}

func rawGET(t *testing.T, addr, target, ua string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: example.com\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n", target, ua)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %q: %v", target, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %q: %s", target, resp.Status)
	}
}

func checkString(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8 %q", what, s)
	}
}

func checkAttrs(t *testing.T, what string, kvs []*commonpb.KeyValue) {
	t.Helper()
	for _, kv := range kvs {
		checkString(t, what+" key", kv.GetKey())
		checkValue(t, what+" "+kv.GetKey(), kv.GetValue())
	}
}

func checkValue(t *testing.T, what string, v *commonpb.AnyValue) {
	t.Helper()
	checkString(t, what, v.GetStringValue())
	for _, e := range v.GetArrayValue().GetValues() {
		checkValue(t, what, e)
	}
	checkAttrs(t, what, v.GetKvlistValue().GetValues())
}

// fakeConnector is a database/sql driver that accepts every statement:
// Exec affects one row, Query returns one row holding 1.
type fakeConnector struct{}

func (fakeConnector) Connect(context.Context) (driver.Conn, error) { return fakeConn{}, nil }
func (fakeConnector) Driver() driver.Driver                        { return fakeDriver{} }

type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return fakeConn{}, nil }

type fakeConn struct{}

func (fakeConn) Prepare(q string) (driver.Stmt, error) { return fakeStmt{}, nil }
func (fakeConn) Close() error                          { return nil }
func (fakeConn) Begin() (driver.Tx, error)             { return fakeTx{}, nil }

type fakeTx struct{}

func (fakeTx) Commit() error   { return nil }
func (fakeTx) Rollback() error { return nil }

type fakeStmt struct{}

func (fakeStmt) Close() error                               { return nil }
func (fakeStmt) NumInput() int                              { return -1 }
func (fakeStmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(1), nil }
func (fakeStmt) Query([]driver.Value) (driver.Rows, error)  { return &fakeRows{}, nil }

type fakeRows struct{ done bool }

func (*fakeRows) Columns() []string { return []string{"n"} }
func (*fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0] = int64(1)
	return nil
}

// fakeRedis serves RESP2 on a loopback port: +OK to every command but
// HELLO, which it does not know.
func fakeRedis(t *testing.T) string {
	t.Helper()
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lis.Close() })
	go func() {
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					// *<n>\r\n then n times $<len>\r\n<bytes>\r\n
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					var n int
					if _, err := fmt.Sscanf(line, "*%d", &n); err != nil {
						return
					}
					var name string
					for i := range 2 * n {
						arg, err := br.ReadString('\n')
						if err != nil {
							return
						}
						if i == 1 {
							name = strings.ToUpper(strings.TrimSpace(arg))
						}
					}
					reply := "+OK\r\n"
					if name == "HELLO" {
						reply = "-ERR unknown command 'HELLO'\r\n" // a RESP2-only server
					}
					if _, err := io.WriteString(conn, reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	return lis.Addr().String()
}
