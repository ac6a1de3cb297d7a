package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
	"github.com/otelkit/otelkit/otelboot"
)

// TestEndToEnd runs the service on embedded backends with OTLP/HTTP pointed at
// an in-test receiver, calls every endpoint as a user and as the admin, shuts
// down and checks what was exported.
func TestEndToEnd(t *testing.T) {
	runEndToEnd(t, testConfig(t), "sqlite")
}

// TestEndToEndMariaDBRedis is the same run against the real MariaDB and
// Redis named by OTELKIT_TEST_MYSQL_DSN and OTELKIT_TEST_REDIS_ADDR.
func TestEndToEndMariaDBRedis(t *testing.T) {
	dsn, addr := os.Getenv("OTELKIT_TEST_MYSQL_DSN"), os.Getenv("OTELKIT_TEST_REDIS_ADDR")
	if dsn == "" || addr == "" {
		t.Skip("set OTELKIT_TEST_MYSQL_DSN and OTELKIT_TEST_REDIS_ADDR to run against MariaDB and Redis")
	}
	cfg := testConfig(t)
	cfg.MySQLDSN = scratchDatabase(t, dsn)
	cfg.RedisAddr, cfg.RedisDB = addr, 13
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: cfg.RedisDB})
	clean := func() {
		ctx := context.Background()
		rdb.Del(ctx, RedisLogKey)
		iter := rdb.Scan(ctx, 0, "session:*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	}
	clean()
	t.Cleanup(func() { clean(); rdb.Close() })
	runEndToEnd(t, cfg, "mysql")
}

// scratchDatabase creates a database of its own on the server of dsn (dropped
// when the test ends) and returns a DSN naming it.
func scratchDatabase(t *testing.T, dsn string) string {
	t.Helper()
	mc, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("OTELKIT_TEST_MYSQL_DSN: %v", err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("otelkit_demo_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("create scratch database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", dsn)
		if err == nil {
			_, _ = db.Exec("DROP DATABASE " + name)
			db.Close()
		}
	})
	mc.DBName = name
	return mc.FormatDSN()
}

var generatedPW = regexp.MustCompile(`generated password \(shown once\): (\S+)`)

func runEndToEnd(t *testing.T, cfg Config, dbSystem string) {
	recv := otlptest.NewHTTPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "500")

	// The external API: a stand-in that fails on demand, given as
	// EXTERNAL_API_URL would be.
	var externalFails atomic.Bool
	ext := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if externalFails.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"value":42}`))
	}))
	defer ext.Close()
	cfg.ExternalAPIURL = ext.URL

	// Admin with a generated password: it must reach stdout once and
	// nothing else.
	cfg.AdminUser, cfg.AdminPassword = "", ""
	out := &testutil.SyncBuffer{}
	cfg.Out = out

	prevLogger := slog.Default()
	prevProp := otel.GetTextMapPropagator()
	t.Cleanup(func() {
		slog.SetDefault(prevLogger)
		otel.SetTextMapPropagator(prevProp)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The same call as in main.go.
	shutdown, err := otelboot.Start(ctx,
		otelboot.WithServiceName("hyunwoo"),
		otelboot.WithServiceVersion("1.0.0"),
		otelboot.WithResourceAttributes(attribute.String("deployment.environment", "development")),
	)
	if err != nil {
		t.Fatalf("otelboot.Start: %v", err)
	}
	defer shutdown(context.Background())

	a, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	c := &testClient{t: t, base: "http://" + ln.Addr().String(), c: &http.Client{Timeout: 30 * time.Second}}

	m := generatedPW.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no generated admin password in the start-up output:\n%s", out)
	}
	adminPW := m[1]
	passwords := []string{adminPW, "alice-secret-pw-1", "bob-secret-pw-22", "wrong-secret-pw-333"}

	// As a user.
	alice := c.user("alice", passwords[1])
	bob := c.user("bob_b", passwords[2])
	expectError(t, "wrong password", c.do("POST", "/login", "", `{"username":"alice","password":"`+passwords[3]+`"}`), http.StatusUnauthorized)
	expectError(t, "taken", c.do("POST", "/register", "", `{"username":"alice","password":"`+passwords[1]+`"}`), http.StatusConflict)
	expectError(t, "no token", c.do("GET", "/db/messages", "", ""), http.StatusUnauthorized)
	for _, s := range []string{"hello 100%", "second_message", "third"} {
		if r := c.do("POST", "/db/message", alice, `{"content":`+jsonString(s)+`}`); r.status != http.StatusCreated {
			t.Fatalf("post: %d %s", r.status, r.raw)
		}
	}
	mustOK(t, c.do("GET", "/db/messages", alice, ""))
	mustOK(t, c.do("GET", "/db/messages/search?q=%25", alice, ""))
	mustOK(t, c.do("GET", "/external/data", alice, ""))
	externalFails.Store(true)
	expectError(t, "external down", c.do("GET", "/external/data", alice, ""), http.StatusBadGateway)
	externalFails.Store(false)
	mustOK(t, c.do("GET", "/healthz", "", ""))
	expectError(t, "admin as user", c.do("GET", "/admin/users", bob, ""), http.StatusForbidden)
	expectError(t, "unknown route", c.do("GET", "/nope", "", ""), http.StatusNotFound)
	// As the admin.
	admin := c.login("admin", adminPW)
	mustOK(t, c.do("GET", "/admin/users", admin, ""))
	mustOK(t, c.do("GET", "/admin/users/alice/messages", admin, ""))
	expectError(t, "admin unknown user", c.do("GET", "/admin/users/nobody/messages", admin, ""), http.StatusNotFound)
	// The logs, read back last.
	redisLogs := c.do("GET", "/logs/redis", alice, "")
	mustOK(t, redisLogs)
	kafkaLogs := c.do("GET", "/logs/kafka", alice, "")
	mustOK(t, kafkaLogs)
	if n, _ := kafkaLogs.body["count"].(float64); n < 10 {
		t.Errorf("/logs/kafka read %v entries, want the recent ones: %.400s", n, kafkaLogs.raw)
	}
	if r := c.do("POST", "/logout", bob, ""); r.status != http.StatusNoContent {
		t.Errorf("logout: %d", r.status)
	}

	// What the service stored itself, read before it stops.
	stored := readStoredLogs(t, a)

	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer scancel()
	if err := shutdown(sctx); err != nil {
		t.Fatalf("telemetry shutdown: %v", err)
	}

	spans := recv.Spans()
	if len(spans) == 0 {
		t.Fatal("no spans exported")
	}
	t.Logf("exported %d spans (%v), %d metrics, %d log records", len(spans), spanNames(spans), len(recv.Metrics()), len(recv.LogRecords()))
	checkResource(t, recv)
	checkServerSpans(t, spans)
	checkChildren(t, spans, dbSystem)
	checkMetrics(t, recv)
	checkLogs(t, recv, spans)
	checkAPILog(t, redisLogs, spans)

	// Secrets: no password in any exported byte, the Redis list, the
	// Kafka records or the output (except the generated one, once).
	var exported bytes.Buffer
	for _, rs := range recv.ResourceSpans() {
		exported.Write(mustJSON(t, rs))
	}
	for _, rm := range recv.ResourceMetrics() {
		exported.Write(mustJSON(t, rm))
	}
	for _, rl := range recv.ResourceLogs() {
		exported.Write(mustJSON(t, rl))
	}
	// Session tokens are credentials too: Redis keeps only their hash.
	secrets := append(slices.Clone(passwords), alice, bob, admin)
	for _, pw := range secrets {
		for what, data := range map[string]string{
			"exported telemetry": exported.String(),
			"redis keys":         stored.redis,
			"kafka records":      stored.kafka,
			"responses":          string(redisLogs.raw) + string(kafkaLogs.raw),
		} {
			if strings.Contains(data, pw) {
				t.Errorf("%s contains the secret %q", what, pw)
			}
		}
	}
	if n := strings.Count(out.String(), adminPW); n != 1 {
		t.Errorf("the generated admin password appears %d times in the output, want once", n)
	}
	for _, pw := range secrets[1:] {
		if strings.Contains(out.String(), pw) {
			t.Errorf("output contains the secret %q", pw)
		}
	}
}

func mustOK(t *testing.T, r response) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Errorf("status %d, want 200: %.300s", r.status, r.raw)
	}
}

func mustJSON(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type storedLogs struct{ redis, kafka string }

// readStoredLogs reads the Redis list and every Kafka record of the topic.
func readStoredLogs(t *testing.T, a *App) storedLogs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var s storedLogs
	vals, err := a.rdb.LRange(ctx, RedisLogKey, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	s.redis = strings.Join(vals, "\n")
	// Every other key of the database (sessions) and its string value.
	iter := a.rdb.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		v, _ := a.rdb.Get(ctx, iter.Val()).Result()
		s.redis += "\n" + iter.Val() + " " + v
	}
	if err := a.kafka.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(a.brokers...), kgo.ConsumeTopics(KafkaTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var sb strings.Builder
	n := 0
	for n < len(vals) && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			n++
			sb.Write(r.Value)
			for _, h := range r.Headers {
				sb.WriteString(h.Key + "=" + string(h.Value))
			}
			sb.WriteByte('\n')
		})
	}
	if n == 0 {
		t.Errorf("no Kafka records read back")
	}
	s.kafka = sb.String()
	return s
}

func attr(s *tracepb.Span, key string) string {
	v, _ := otlptest.Attr(s.Attributes, key)
	return v
}

func hasAttr(s *tracepb.Span, key string) bool {
	_, ok := otlptest.Attr(s.Attributes, key)
	return ok
}

// serverSpan returns a server span of that name and status code.
func serverSpan(spans []*tracepb.Span, name, status string) *tracepb.Span {
	for _, s := range spans {
		if s.Name == name && s.Kind == tracepb.Span_SPAN_KIND_SERVER && attr(s, "http.status_code") == status {
			return s
		}
	}
	return nil
}

func children(spans []*tracepb.Span, parent *tracepb.Span, name string) []*tracepb.Span {
	var out []*tracepb.Span
	for _, s := range spans {
		if s.Name == name && bytes.Equal(s.TraceId, parent.TraceId) && bytes.Equal(s.ParentSpanId, parent.SpanId) {
			out = append(out, s)
		}
	}
	return out
}

func spanNames(spans []*tracepb.Span) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range spans {
		if !seen[s.Name] {
			seen[s.Name] = true
			out = append(out, s.Name)
		}
	}
	return out
}

func checkResource(t *testing.T, recv *otlptest.Receiver) {
	t.Helper()
	for k, want := range map[string]string{
		"service.name": "hyunwoo", "service.version": "1.0.0", "deployment.environment": "development",
	} {
		if got, _ := recv.ResourceAttr(k); got != want {
			t.Errorf("resource %s = %q, want %q", k, got, want)
		}
	}
}

// checkServerSpans: one span per endpoint of the table, named "METHOD route",
// with the spec's keys.
func checkServerSpans(t *testing.T, spans []*tracepb.Span) {
	t.Helper()
	routes := []struct {
		method, route, status, endpoint, viewArgs string
	}{
		{"POST", "/register", "201", "register", "{}"},
		{"POST", "/login", "200", "login", "{}"},
		{"POST", "/logout", "204", "logout", "{}"},
		{"POST", "/db/message", "201", "post_message", "{}"},
		{"GET", "/db/messages", "200", "get_messages", "{}"},
		{"GET", "/db/messages/search", "200", "search_messages", "{}"},
		{"GET", "/logs/redis", "200", "get_redis_logs", "{}"},
		{"GET", "/logs/kafka", "200", "get_kafka_logs", "{}"},
		{"GET", "/admin/users", "200", "get_users", "{}"},
		{"GET", "/admin/users/{username}/messages", "200", "get_user_messages", `{"username":"alice"}`},
		{"GET", "/external/data", "200", "get_external_data", "{}"},
		{"GET", "/healthz", "200", "healthz", "{}"},
	}
	for _, r := range routes {
		name := r.method + " " + r.route
		s := serverSpan(spans, name, r.status)
		if s == nil {
			t.Errorf("no server span %q with status %s; span names: %v", name, r.status, spanNames(spans))
			continue
		}
		want := map[string]string{
			"http.method":      r.method,
			"http.status_code": r.status,
			"http.route":       r.route,
			"flask.route":      r.route,
			"flask.url_rule":   r.route,
			"flask.view_args":  r.viewArgs,
			"flask.endpoint":   r.endpoint,
		}
		for k, v := range want {
			if got := attr(s, k); got != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got, v)
			}
		}
		for _, k := range []string{"http.url", "http.user_agent"} {
			if attr(s, k) == "" {
				t.Errorf("%s: no %s", name, k)
			}
		}
		if u := attr(s, "http.url"); !strings.HasPrefix(u, "http://") || !strings.Contains(u, strings.SplitN(r.route, "{", 2)[0]) {
			t.Errorf("%s: http.url = %q", name, u)
		}
		if s.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
			t.Errorf("%s: status ERROR on a %s", name, r.status)
		}
	}
	if s := serverSpan(spans, "GET /logs/kafka", "200"); s != nil && !hasAttr(s, "http.response_content_length") {
		t.Errorf("GET /logs/kafka: no http.response_content_length")
	}
	if s := serverSpan(spans, "GET /external/data", "502"); s == nil {
		t.Errorf("no GET /external/data span with 502")
	} else if s.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("GET /external/data 502: status %v, want ERROR", s.Status.GetCode())
	}
	if s := serverSpan(spans, "GET /admin/users", "403"); s == nil {
		t.Errorf("no GET /admin/users span with 403")
	}
}

// checkChildren: the database, Redis, Kafka and HTTP client spans are
// children of the request spans, as sections 4 to 6 of the spec show.
func checkChildren(t *testing.T, spans []*tracepb.Span, dbSystem string) {
	t.Helper()
	dbSpan := dbSystem + ".query"
	if reg := serverSpan(spans, "POST /register", "201"); reg != nil {
		qs := children(spans, reg, dbSpan)
		if len(qs) == 0 {
			t.Errorf("POST /register: no %s child; span names: %v", dbSpan, spanNames(spans))
		}
		for _, q := range qs {
			if attr(q, "db.system") != dbSystem || attr(q, "db.operation") != "INSERT" ||
				!strings.Contains(attr(q, "db.statement"), "INSERT INTO users") || !hasAttr(q, "db.connection_string") {
				t.Errorf("POST /register %s: attributes %v", dbSpan, q.Attributes)
			}
			if q.Kind != tracepb.Span_SPAN_KIND_CLIENT {
				t.Errorf("%s kind %v, want CLIENT", dbSpan, q.Kind)
			}
		}
	}
	if list := serverSpan(spans, "GET /db/messages", "200"); list != nil {
		qs := children(spans, list, dbSpan)
		if len(qs) == 0 || attr(qs[0], "db.operation") != "SELECT" || attr(qs[0], "db.sql.table") != "messages" {
			t.Errorf("GET /db/messages: %s children %v", dbSpan, qs)
		}
	}
	if logs := serverSpan(spans, "GET /logs/redis", "200"); logs != nil {
		checkLRANGE(t, "GET /logs/redis", children(spans, logs, "redis.command"))
	}
	if kl := serverSpan(spans, "GET /logs/kafka", "200"); kl != nil {
		checkLRANGE(t, "GET /logs/kafka", children(spans, kl, "redis.command"))
		// One kafka.consume child for the whole read, as in section 6 of
		// the spec, linked to the producers of the records it read.
		cs := children(spans, kl, "kafka.consume")
		if len(cs) != 1 {
			t.Errorf("GET /logs/kafka: %d kafka.consume children, want 1; span names: %v", len(cs), spanNames(spans))
		}
		for _, c := range cs {
			if attr(c, "messaging.system") != "kafka" || attr(c, "messaging.destination") != KafkaTopic ||
				attr(c, "messaging.operation") != "receive" || c.Kind != tracepb.Span_SPAN_KIND_CONSUMER {
				t.Errorf("kafka.consume: kind %v attributes %v", c.Kind, c.Attributes)
			}
			if n := attr(c, "messaging.batch.message_count"); n == "" || n == "0" || len(c.Links) == 0 {
				t.Errorf("kafka.consume: messaging.batch.message_count %q, %d links; want the records read and links to their producers", n, len(c.Links))
			}
		}
	}
	if ext := serverSpan(spans, "GET /external/data", "200"); ext != nil {
		cs := children(spans, ext, "HTTP GET")
		if len(cs) != 1 {
			t.Errorf("GET /external/data: %d HTTP GET children, want 1", len(cs))
		} else if c := cs[0]; c.Kind != tracepb.Span_SPAN_KIND_CLIENT || attr(c, "http.method") != "GET" ||
			attr(c, "http.status_code") != "200" || !strings.HasSuffix(attr(c, "http.url"), "/api/data") {
			t.Errorf("HTTP GET: kind %v attributes %v", c.Kind, c.Attributes)
		}
	}
	// Every request writes its API log entry within its own trace.
	if h := serverSpan(spans, "GET /healthz", "200"); h != nil {
		if len(children(spans, h, "kafka.produce")) != 1 {
			t.Errorf("GET /healthz: no kafka.produce child for the API log entry")
		}
		if len(children(spans, h, "redis.pipeline"))+len(children(spans, h, "redis.command")) == 0 {
			t.Errorf("GET /healthz: no Redis child for the API log entry")
		}
	}
}

func checkLRANGE(t *testing.T, where string, cs []*tracepb.Span) {
	t.Helper()
	for _, c := range cs {
		if attr(c, "db.operation") == "LRANGE" {
			if attr(c, "db.system") != "redis" || attr(c, "db.redis.command") != "LRANGE api_logs 0 -1" ||
				!strings.HasPrefix(attr(c, "db.connection_string"), "redis://") || attr(c, "db.redis.database_index") == "" {
				t.Errorf("%s LRANGE: attributes %v", where, c.Attributes)
			}
			return
		}
	}
	t.Errorf("%s: no redis.command LRANGE child among %d redis.command children", where, len(cs))
}

func checkMetrics(t *testing.T, recv *otlptest.Receiver) {
	t.Helper()
	units := map[string]string{}
	for _, m := range recv.Metrics() {
		units[m.Name] = m.Unit
	}
	for name, unit := range map[string]string{"span_rate": "span/s", "error_rate": "error/s", "duration": "ms"} {
		got, ok := units[name]
		if !ok {
			t.Errorf("metric %s not exported; got %d metrics", name, len(units))
		} else if got != unit {
			t.Errorf("metric %s unit %q, want %q", name, got, unit)
		}
	}
}

// checkLogs: the handlers' log records carry the trace and span of their
// request.
func checkLogs(t *testing.T, recv *otlptest.Receiver, spans []*tracepb.Span) {
	t.Helper()
	bySpan := map[string]*tracepb.Span{}
	for _, s := range spans {
		bySpan[hex.EncodeToString(s.SpanId)] = s
	}
	found := 0
	for _, lr := range recv.LogRecords() {
		body := lr.Body.GetStringValue()
		if body != "user registered" && body != "message stored" && body != "login failed" {
			continue
		}
		found++
		s := bySpan[hex.EncodeToString(lr.SpanId)]
		if s == nil || !bytes.Equal(s.TraceId, lr.TraceId) {
			t.Errorf("log %q: trace %x span %x match no exported span", body, lr.TraceId, lr.SpanId)
			continue
		}
		if s.Kind != tracepb.Span_SPAN_KIND_SERVER || !strings.HasPrefix(s.Name, "POST ") {
			t.Errorf("log %q belongs to span %q, want its request's server span", body, s.Name)
		}
	}
	if found < 5 {
		t.Errorf("%d handler log records exported, want at least 5", found)
	}
}

// checkAPILog: each API log entry's trace id is the trace of an exported
// request span.
func checkAPILog(t *testing.T, r response, spans []*tracepb.Span) {
	t.Helper()
	traces := map[string]bool{}
	for _, s := range spans {
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
			traces[hex.EncodeToString(s.TraceId)] = true
		}
	}
	var body struct {
		Entries []LogEntry `json:"entries"`
	}
	if err := json.Unmarshal(r.raw, &body); err != nil || len(body.Entries) == 0 {
		t.Fatalf("/logs/redis entries: %v %s", err, r.raw)
	}
	for _, e := range body.Entries {
		if !traces[e.TraceID] {
			t.Errorf("API log entry %+v: trace id of no exported request", e)
		}
	}
}
