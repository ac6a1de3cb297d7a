// Package redisx_test runs redisx against an in-process Redis (miniredis)
// and, when OTELKIT_TEST_REDIS_ADDR is set, against a real Redis server.
package redisx_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/semconv"
	"github.com/otelkit/otelkit/internal/testutil"
	"github.com/otelkit/otelkit/redisx"
)

const (
	envRedisAddr = "OTELKIT_TEST_REDIS_ADDR"
	// realDB is the logical database the tests use on a real server, away
	// from the database 0 other tests and the demo share.
	realDB   = 11
	password = "hunter2-very-secret"
)

// backend is a Redis server the scenario runs against.
type backend struct {
	name     string
	addr     string
	db       int
	password string // set when the server requires one
}

// backends returns miniredis (requiring password when auth is set) and, when
// OTELKIT_TEST_REDIS_ADDR is set, the real server.
func backends(t *testing.T, auth bool) []backend {
	t.Helper()
	mr := miniredis.RunT(t)
	b := backend{name: "miniredis", addr: mr.Addr()}
	if auth {
		mr.RequireAuth(password)
		b.password = password
	}
	list := []backend{b}
	if addr := os.Getenv(envRedisAddr); addr != "" {
		list = append(list, backend{name: "redis", addr: addr, db: realDB})
	}
	return list
}

func skipReal(t *testing.T) {
	if os.Getenv(envRedisAddr) == "" {
		t.Logf("real Redis not tested: %s is not set", envRedisAddr)
	}
}

type harness struct {
	exp    *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newHarness(t *testing.T) *harness {
	h := &harness{exp: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(h.exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	h.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() {
		_ = h.tp.Shutdown(context.Background())
		_ = h.mp.Shutdown(context.Background())
	})
	return h
}

func (h *harness) opts(extra ...redisx.Option) []redisx.Option {
	return append([]redisx.Option{redisx.WithTracerProvider(h.tp), redisx.WithMeterProvider(h.mp)}, extra...)
}

// client returns an instrumented client of b, closed at the end of the test.
func (h *harness) client(t *testing.T, b backend, opts ...redisx.Option) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: b.addr, DB: b.db, Password: b.password, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	if err := redisx.Instrument(rdb, h.opts(opts...)...); err != nil {
		t.Fatal(err)
	}
	return rdb
}

// parent starts the request span the Redis spans must be children of.
func (h *harness) parent(ctx context.Context) (context.Context, trace.Span) {
	return h.tp.Tracer("test").Start(ctx, "GET /logs/redis")
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

// find returns the spans named name whose attribute key has value want.
func find(spans tracetest.SpanStubs, name string, key attribute.Key, want string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name && attrs(s)[key].String() == want {
			out = append(out, s)
		}
	}
	return out
}

func one(t *testing.T, spans tracetest.SpanStubs, name string, key attribute.Key, want string) tracetest.SpanStub {
	t.Helper()
	got := find(spans, name, key, want)
	if len(got) != 1 {
		t.Fatalf("want 1 span %q with %s=%q, got %d in:\n%s", name, key, want, len(got), dump(spans))
	}
	return got[0]
}

func dump(spans tracetest.SpanStubs) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s %v %v\n", s.Name, s.Status, s.Attributes)
	}
	return b.String()
}

// wantAttrs checks keys by value; a nil value means the key must be absent.
func wantAttrs(t *testing.T, s tracetest.SpanStub, want map[attribute.Key]any) {
	t.Helper()
	got := attrs(s)
	for k, w := range want {
		v, ok := got[k]
		switch {
		case w == nil && ok:
			t.Errorf("span %q: %s = %v, want it absent", s.Name, k, v.String())
		case w == nil:
		case !ok:
			t.Errorf("span %q: %s missing", s.Name, k)
		case v.AsInterface() != w:
			t.Errorf("span %q: %s = %#v, want %#v", s.Name, k, v.AsInterface(), w)
		}
	}
}

func wantChild(t *testing.T, s tracetest.SpanStub, parent trace.Span) {
	t.Helper()
	if s.Parent.SpanID() != parent.SpanContext().SpanID() || s.SpanContext.TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("span %q: parent %v, want %v", s.Name, s.Parent.SpanID(), parent.SpanContext().SpanID())
	}
	if s.SpanKind != trace.SpanKindClient {
		t.Errorf("span %q: kind %v, want client", s.Name, s.SpanKind)
	}
}

func wantStatus(t *testing.T, s tracetest.SpanStub, code codes.Code) {
	t.Helper()
	if s.Status.Code != code {
		t.Errorf("span %q: status %v %q, want %v", s.Name, s.Status.Code, s.Status.Description, code)
	}
	hasException := false
	for _, e := range s.Events {
		if e.Name == "exception" {
			hasException = true
		}
	}
	if hasException != (code == codes.Error) {
		t.Errorf("span %q: exception event %v, status %v", s.Name, hasException, code)
	}
}

func TestCommands(t *testing.T) {
	skipReal(t)
	for _, b := range backends(t, false) {
		t.Run(b.name, func(t *testing.T) {
			h := newHarness(t)
			rdb := h.client(t, b)
			ctx, parent := h.parent(context.Background())
			if err := rdb.Del(ctx, "api_logs", "missing:key").Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.RPush(ctx, "api_logs", "GET /logs/redis 200").Err(); err != nil {
				t.Fatal(err)
			}
			if got, err := rdb.LRange(ctx, "api_logs", 0, -1).Result(); err != nil || len(got) != 1 {
				t.Fatalf("LRANGE = %v, %v", got, err)
			}
			if err := rdb.Get(ctx, "missing:key").Err(); !errors.Is(err, redis.Nil) {
				t.Fatalf("GET missing = %v, want redis.Nil", err)
			}
			if err := rdb.Incr(ctx, "api_logs").Err(); err == nil {
				t.Fatal("INCR on a list: want WRONGTYPE")
			}
			parent.End()

			spans := h.exp.GetSpans()
			host, port, _ := strings.Cut(b.addr, ":")
			portN, _ := strconv.Atoi(port)
			common := map[attribute.Key]any{
				"db.system":               "redis",
				"db.connection_string":    "redis://" + b.addr + "/" + strconv.Itoa(b.db),
				"db.redis.database_index": int64(b.db),
				"server.address":          host,
				"server.port":             int64(portN),
				"db.system.name":          nil,
				"db.query.text":           nil,
			}
			for _, c := range []struct {
				op, cmd string
				code    codes.Code
			}{
				{"RPUSH", `RPUSH api_logs "GET /logs/redis 200"`, codes.Unset},
				{"LRANGE", "LRANGE api_logs 0 -1", codes.Unset},
				{"GET", "GET missing:key", codes.Unset}, // redis.Nil is no error
				{"INCR", "INCR api_logs", codes.Error},
			} {
				s := one(t, spans, "redis.command", "db.operation", c.op)
				wantChild(t, s, parent)
				wantStatus(t, s, c.code)
				wantAttrs(t, s, common)
				wantAttrs(t, s, map[attribute.Key]any{"db.operation": c.op, "db.redis.command": c.cmd})
			}
			incr := one(t, spans, "redis.command", "db.operation", "INCR")
			if !strings.HasPrefix(incr.Status.Description, "WRONGTYPE") {
				t.Errorf("INCR status description %q, want the Redis error", incr.Status.Description)
			}
			// The first command dialled. go-redis dials with a context of
			// its own: the dial span is a root.
			dials := find(spans, "redis.dial", "db.system", "redis")
			if len(dials) == 0 {
				t.Fatalf("no redis.dial span:\n%s", dump(spans))
			}
			if dials[0].Parent.IsValid() {
				t.Errorf("redis.dial has parent %v; go-redis dials without the caller's context", dials[0].Parent.SpanID())
			}
			wantStatus(t, dials[0], codes.Unset)
			wantAttrs(t, dials[0], common)
			// Then it set the connection up (HELLO, CLIENT SETINFO) under the
			// DEL span. CLIENT SETINFO fails on miniredis and Redis < 7.2;
			// go-redis ignores that, and so does the span status.
			del := one(t, spans, "redis.command", "db.operation", "DEL")
			hello := one(t, spans, "redis.command", "db.operation", "HELLO")
			if hello.Parent.SpanID() != del.SpanContext.SpanID() {
				t.Errorf("HELLO parent = %v, want the DEL span", hello.Parent.SpanID())
			}
			setup := find(spans, "redis.pipeline", "db.operation", "CLIENT")
			for _, s := range setup {
				if s.Status.Code != codes.Unset {
					t.Errorf("connection setup %q has status %v", attrs(s)["db.redis.command"].String(), s.Status)
				}
				if s.Parent.SpanID() != del.SpanContext.SpanID() {
					t.Errorf("connection setup parent = %v, want the DEL span", s.Parent.SpanID())
				}
			}
			if b.name == "miniredis" && (len(setup) != 1 || len(setup[0].Events) != 1 || setup[0].Events[0].Name != "exception") {
				t.Errorf("miniredis rejects CLIENT SETINFO: want one setup span with an exception event:\n%s", dump(spans))
			}
			wantStatus(t, del, codes.Unset)
		})
	}
}

func TestPipelineAndTransaction(t *testing.T) {
	skipReal(t)
	for _, b := range backends(t, false) {
		t.Run(b.name, func(t *testing.T) {
			h := newHarness(t)
			rdb := h.client(t, b)
			ctx, parent := h.parent(context.Background())
			rdb.Del(ctx, "p:a", "p:n")
			h.exp.Reset()

			if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "p:a", "1", 0)
				p.Get(ctx, "p:a")
				p.Get(ctx, "p:missing")
				return nil
			}); !errors.Is(err, redis.Nil) {
				t.Fatalf("pipeline: %v", err)
			}
			if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "p:n")
				p.Expire(ctx, "p:n", 60_000_000_000)
				return nil
			}); err != nil {
				t.Fatalf("tx: %v", err)
			}
			parent.End()

			spans := h.exp.GetSpans()
			for _, op := range []string{"SET", "GET", "INCR", "EXPIRE", "MULTI", "EXEC"} {
				if n := len(find(spans, "redis.command", "db.operation", op)); n != 0 {
					t.Errorf("%d redis.command spans for pipelined %s, want 0:\n%s", n, op, dump(spans))
				}
			}
			p := one(t, spans, "redis.pipeline", "db.operation", "SET GET")
			wantChild(t, p, parent)
			wantStatus(t, p, codes.Unset)
			wantAttrs(t, p, map[attribute.Key]any{
				"db.redis.num_cmd":     int64(3),
				"db.redis.command":     "SET p:a 1\nGET p:a\nGET p:missing",
				"db.connection_string": "redis://" + b.addr + "/" + strconv.Itoa(b.db),
			})
			tx := one(t, spans, "redis.pipeline", "db.operation", "MULTI INCR EXPIRE EXEC")
			wantChild(t, tx, parent)
			wantStatus(t, tx, codes.Unset)
			wantAttrs(t, tx, map[attribute.Key]any{
				"db.redis.num_cmd": int64(4),
				"db.redis.command": "MULTI\nINCR p:n\nEXPIRE p:n 60\nEXEC",
			})
		})
	}
}

func TestPipelineBounded(t *testing.T) {
	mr := miniredis.RunT(t)
	h := newHarness(t)
	rdb := h.client(t, backend{addr: mr.Addr()}, redisx.WithMaxCommandLen(100))
	ctx := context.Background()
	rdb.Ping(ctx)
	h.exp.Reset()
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range 30 {
			p.Do(ctx, fmt.Sprintf("echo%d", i%15), strings.Repeat("x", 20))
		}
		return nil
	}); err == nil {
		t.Fatal("want unknown-command errors")
	}
	s := one(t, h.exp.GetSpans(), "redis.pipeline", "db.redis.num_cmd", "30")
	a := attrs(s)
	if names := strings.Fields(a["db.operation"].AsString()); len(names) != 11 || names[10] != "..." {
		t.Errorf("db.operation = %q, want 10 names and ...", a["db.operation"].AsString())
	}
	if text := a["db.redis.command"].AsString(); len(text) > 100+60 || !strings.HasSuffix(text, "...") {
		t.Errorf("db.redis.command not bounded: %d bytes %q", len(text), text)
	}
	wantAttrs(t, s, map[attribute.Key]any{"db.redis.num_cmd": int64(30)})
	wantStatus(t, s, codes.Error)
}

func TestAuthPasswordNeverExported(t *testing.T) {
	skipReal(t)
	for _, b := range backends(t, true) {
		t.Run(b.name, func(t *testing.T) {
			h := newHarness(t)
			// The values of SET stay visible by default: the test must show
			// that only credentials are masked.
			rdb := h.client(t, b, redisx.WithSemconv(semconv.Dup))
			ctx, parent := h.parent(context.Background())
			if err := rdb.Set(ctx, "auth:k", "visible-value", 0).Err(); err != nil {
				t.Fatal(err)
			}
			authErr := rdb.Do(ctx, "AUTH", password).Err()
			if b.password != "" && authErr != nil {
				t.Fatalf("AUTH: %v", authErr)
			}
			rdb.Do(ctx, "AUTH", "someuser", password)
			// Fails on every server (an unknown option makes CONFIG SET
			// apply nothing), and miniredis echoes the arguments in its
			// error: the message must be scrubbed too.
			rdb.Do(ctx, "CONFIG", "SET", "no-such-option-redisx", "x", "masterauth", password)
			parent.End()

			spans := h.exp.GetSpans()
			testutil.NoSecret(t, spans, password)
			auth := find(spans, "AUTH", "db.redis.command", "AUTH REDACTED")
			if len(auth) != 1 {
				t.Fatalf("want one AUTH span with the password masked:\n%s", dump(spans))
			}
			wantAttrs(t, auth[0], map[attribute.Key]any{"db.query.text": "AUTH REDACTED"})
			if b.password == "" {
				wantStatus(t, auth[0], codes.Error) // no password configured
			} else {
				wantStatus(t, auth[0], codes.Unset)
				// The connection authenticated itself with HELLO ... AUTH.
				hello := find(spans, "HELLO", "db.operation", "HELLO")
				if len(hello) == 0 || !strings.Contains(attrs(hello[0])["db.redis.command"].AsString(), "HELLO 3 auth default REDACTED") {
					t.Errorf("HELLO span missing or unmasked:\n%s", dump(spans))
				}
			}
			one(t, spans, "AUTH", "db.redis.command", "AUTH someuser REDACTED")
			cfg := one(t, spans, "CONFIG", "db.redis.command", "CONFIG SET no-such-option-redisx x masterauth REDACTED")
			wantStatus(t, cfg, codes.Error)
			if b.name == "miniredis" && !strings.Contains(cfg.Status.Description, "`masterauth`, `REDACTED`") {
				t.Errorf("miniredis echoes the arguments: want them scrubbed, got %q", cfg.Status.Description)
			}
			one(t, spans, "SET", "db.redis.command", "SET auth:k visible-value")
		})
	}
}

func TestValueMasking(t *testing.T) {
	mr := miniredis.RunT(t)
	h := newHarness(t)
	rdb := h.client(t, backend{addr: mr.Addr()}, redisx.WithValueMasking(true), redisx.WithMaxArgLen(8))
	ctx := context.Background()
	rdb.RPush(ctx, "api_logs", "private log line")
	rdb.HSet(ctx, "user:1", "email", "a@example.com")
	rdb.Get(ctx, "a-rather-long-key-name")
	spans := h.exp.GetSpans()
	one(t, spans, "redis.command", "db.redis.command", "RPUSH api_logs ?")
	one(t, spans, "redis.command", "db.redis.command", "HSET user:1 ? ?")
	one(t, spans, "redis.command", "db.redis.command", "GET a-rather...")
}

func TestClosedServer(t *testing.T) {
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	mr.Close()
	h := newHarness(t)
	rdb := h.client(t, backend{addr: addr})
	ctx, parent := h.parent(context.Background())
	err := rdb.Get(ctx, "k").Err()
	parent.End()
	if err == nil {
		t.Fatal("GET against a closed server succeeded")
	}
	spans := h.exp.GetSpans()
	get := one(t, spans, "redis.command", "db.operation", "GET")
	wantChild(t, get, parent)
	wantStatus(t, get, codes.Error)
	dial := find(spans, "redis.dial", "db.system", "redis")
	if len(dial) == 0 {
		t.Fatalf("no dial span:\n%s", dump(spans))
	}
	wantStatus(t, dial[0], codes.Error)
	if !strings.Contains(get.Status.Description, "refused") {
		t.Errorf("status %q, want connection refused", get.Status.Description)
	}
}

func TestStableConventions(t *testing.T) {
	mr := miniredis.RunT(t)
	for _, c := range []struct {
		name string
		opt  redisx.Option
		env  string
		old  bool
	}{
		{"option-stable", redisx.WithSemconv(semconv.Stable), "", false},
		{"env-database", nil, "database", false},
		{"env-dup", nil, "database/dup", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(semconv.EnvOptIn, c.env)
			h := newHarness(t)
			rdb := h.client(t, backend{addr: mr.Addr()}, c.opt)
			ctx, parent := h.parent(context.Background())
			rdb.LRange(ctx, "api_logs", 0, -1)
			rdb.Do(ctx, "NOSUCHCMD")
			rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Get(ctx, "a")
				p.Get(ctx, "b")
				return nil
			})
			rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "n")
				return nil
			})
			parent.End()
			spans := h.exp.GetSpans()

			s := one(t, spans, "LRANGE", "db.operation.name", "LRANGE")
			wantChild(t, s, parent)
			want := map[attribute.Key]any{
				"db.system.name":    "redis",
				"db.query.text":     "LRANGE api_logs 0 -1",
				"db.operation.name": "LRANGE",
				"db.namespace":      "0",
				"server.address":    mr.Host(),
			}
			if c.old {
				want["db.system"] = "redis"
				want["db.operation"] = "LRANGE"
				want["db.redis.command"] = "LRANGE api_logs 0 -1"
				want["db.connection_string"] = "redis://" + mr.Addr() + "/0"
			} else {
				want["db.system"] = nil
				want["db.operation"] = nil
				want["db.redis.command"] = nil
				want["db.connection_string"] = nil
				want["db.redis.database_index"] = nil
			}
			wantAttrs(t, s, want)

			bad := one(t, spans, "NOSUCHCMD", "db.operation.name", "NOSUCHCMD")
			wantStatus(t, bad, codes.Error)
			wantAttrs(t, bad, map[attribute.Key]any{"error.type": "ERR", "db.response.status_code": "ERR"})

			batch := one(t, spans, "BATCH GET", "db.operation.name", "BATCH GET")
			wantAttrs(t, batch, map[attribute.Key]any{"db.operation.batch.size": int64(2), "db.query.text": "GET a\nGET b"})
			tx := one(t, spans, "MULTI", "db.operation.name", "MULTI")
			wantAttrs(t, tx, map[attribute.Key]any{"db.operation.batch.size": nil}) // one operation
		})
	}
}

func TestRing(t *testing.T) {
	m1, m2 := miniredis.RunT(t), miniredis.RunT(t)
	h := newHarness(t)
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": m1.Addr(), "b": m2.Addr()}})
	t.Cleanup(func() { _ = ring.Close() })
	if err := redisx.Instrument(ring, h.opts()...); err != nil {
		t.Fatal(err)
	}
	ctx, parent := h.parent(context.Background())
	for i := range 20 {
		if err := ring.Set(ctx, fmt.Sprintf("key:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ring.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "key:1")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	parent.End()
	spans := h.exp.GetSpans()
	perServer := map[string]int{}
	for _, s := range find(spans, "redis.command", "db.operation", "SET") {
		wantChild(t, s, parent)
		perServer[attrs(s)["db.connection_string"].AsString()]++
	}
	for _, m := range []*miniredis.Miniredis{m1, m2} {
		cs := "redis://" + m.Addr() + "/0"
		if perServer[cs] == 0 || perServer[cs] != len(m.Keys()) {
			t.Errorf("%s: %d SET spans, server holds %d keys", cs, perServer[cs], len(m.Keys()))
		}
	}
	p := one(t, spans, "redis.pipeline", "db.operation", "GET")
	wantChild(t, p, parent)

	// Both shards report their pool.
	pools := poolNames(t, h)
	if !pools[m1.Addr()] || !pools[m2.Addr()] {
		t.Errorf("pool metrics for %v, want both shards %s and %s", pools, m1.Addr(), m2.Addr())
	}
}

func TestClusterClient(t *testing.T) {
	mr := miniredis.RunT(t)
	h := newHarness(t)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{mr.Addr()}})
	t.Cleanup(func() { _ = cc.Close() })
	if err := redisx.Instrument(cc, h.opts()...); err != nil {
		t.Fatal(err)
	}
	ctx, parent := h.parent(context.Background())
	if err := cc.RPush(ctx, "api_logs", "x").Err(); err != nil {
		t.Fatalf("cluster RPUSH: %v", err)
	}
	parent.End()
	s := one(t, h.exp.GetSpans(), "redis.command", "db.operation", "RPUSH")
	wantChild(t, s, parent)
	wantAttrs(t, s, map[attribute.Key]any{"db.connection_string": "redis://" + mr.Addr() + "/0"})
}

func TestUnsupportedClient(t *testing.T) {
	if err := redisx.Instrument(nil); err == nil {
		t.Error("Instrument(nil) = nil error")
	}
}

func TestPoolMetrics(t *testing.T) {
	mr := miniredis.RunT(t)
	h := newHarness(t)
	rdb := h.client(t, backend{addr: mr.Addr()})
	rdb.Ping(context.Background())
	if !poolNames(t, h)[mr.Addr()] {
		t.Error("no db.client.connections.usage for the client's pool")
	}
	h2 := newHarness(t)
	rdb2 := h2.client(t, backend{addr: mr.Addr()}, redisx.WithMetrics(false))
	rdb2.Ping(context.Background())
	if len(poolNames(t, h2)) != 0 {
		t.Error("WithMetrics(false) still reports pool metrics")
	}
}

// poolNames returns the pool.name values of db.client.connections.usage.
func poolNames(t *testing.T, h *harness) map[string]bool {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "db.client.connections.usage" {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("usage is %T", m.Data)
			}
			for _, dp := range sum.DataPoints {
				if v, ok := dp.Attributes.Value("pool.name"); ok {
					names[v.AsString()] = true
				}
			}
		}
	}
	return names
}

func TestCaller(t *testing.T) {
	mr := miniredis.RunT(t)
	h := newHarness(t)
	rdb := h.client(t, backend{addr: mr.Addr()})
	rdb.Get(context.Background(), "k")
	if v, ok := attrs(one(t, h.exp.GetSpans(), "redis.command", "db.operation", "GET"))["code.lineno"]; ok {
		t.Errorf("caller computed by default: code.lineno = %v", v)
	}

	h = newHarness(t)
	rdb = h.client(t, backend{addr: mr.Addr()}, redisx.WithCaller(true))
	rdb.Get(context.Background(), "k")
	rdb.Pipelined(context.Background(), func(p redis.Pipeliner) error { p.Get(context.Background(), "k"); return nil })
	for _, name := range []string{"redis.command", "redis.pipeline"} {
		a := attrs(one(t, h.exp.GetSpans(), name, "db.operation", "GET"))
		if fn := a["code.function"].AsString(); fn != "redisx_test.TestCaller" {
			t.Errorf("%s: code.function = %q, want redisx_test.TestCaller", name, fn)
		}
		if file := a["code.filepath"].AsString(); !strings.HasSuffix(file, "redisx_test.go") || a["code.lineno"].AsInt64() == 0 {
			t.Errorf("%s: code.filepath = %q, code.lineno = %d", name, file, a["code.lineno"].AsInt64())
		}
	}
}
