package redisx

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit/internal/semconv"
)

func TestConnAttrs(t *testing.T) {
	tests := []struct {
		opt  redis.Options
		want map[attribute.Key]any
	}{
		{redis.Options{Network: "tcp", Addr: "redis-master:6379"}, map[attribute.Key]any{
			"db.connection_string": "redis://redis-master:6379/0", "server.address": "redis-master",
			"server.port": int64(6379), "db.redis.database_index": int64(0), "db.system": "redis"}},
		{redis.Options{Network: "tcp", Addr: "10.0.0.1:6380", DB: 3, Password: "pw", Username: "u"}, map[attribute.Key]any{
			"db.connection_string": "redis://10.0.0.1:6380/3", "db.redis.database_index": int64(3)}},
		{redis.Options{Network: "unix", Addr: "/run/redis.sock", DB: 1}, map[attribute.Key]any{
			"db.connection_string": "unix:///run/redis.sock?db=1", "server.address": nil}},
		// A failover client's address is a placeholder: no connection string.
		{redis.Options{Network: "tcp", Addr: "FailoverClient"}, map[attribute.Key]any{
			"db.connection_string": nil, "server.address": nil, "db.system": "redis"}},
	}
	for _, tt := range tests {
		in := &instrumenter{conf: config{mode: semconv.Old}, names: &nameCache{}, bufs: &bufPool{}}
		h := newHook(in, &tt.opt)
		got := map[attribute.Key]attribute.Value{}
		for _, kv := range h.static {
			got[kv.Key] = kv.Value
		}
		for k, w := range tt.want {
			v, ok := got[k]
			if w == nil {
				if ok {
					t.Errorf("%s: %s = %s, want none", tt.opt.Addr, k, v.String())
				}
				continue
			}
			if v.AsInterface() != w {
				t.Errorf("%s: %s = %v, want %v", tt.opt.Addr, k, v.AsInterface(), w)
			}
		}
		for _, v := range got {
			if s := v.String(); s != "" && (strings.Contains(s, "pw") || strings.Contains(s, "u@")) {
				t.Errorf("%s: attribute %q shows credentials", tt.opt.Addr, s)
			}
		}
	}
}

func TestNameCacheBounded(t *testing.T) {
	var c nameCache
	for i := range maxCachedNames + 100 {
		name := fmt.Sprintf("cmd%d", i)
		if got, want := c.get([]any{name}), fmt.Sprintf("CMD%d", i); got != want {
			t.Fatalf("get(%q) = %q, want %q", name, got, want)
		}
	}
	if n := c.m.Len(); n != maxCachedNames {
		t.Errorf("cache holds %d names, want the bound %d", n, maxCachedNames)
	}
	if got := c.get([]any{[]byte("lrange")}); got != "LRANGE" {
		t.Errorf("[]byte name: %q", got)
	}
	if got := c.get(nil); got != "" {
		t.Errorf("no args: %q", got)
	}
	allocs := testing.AllocsPerRun(100, func() { c.get([]any{"cmd1"}) })
	if allocs != 0 {
		t.Errorf("cached lookup allocates %v times", allocs)
	}
}

func TestInstrumentUnsupported(t *testing.T) {
	if err := Instrument(nil); err == nil {
		t.Error("Instrument(nil) returned no error")
	}
}

// TestRealRedis runs a command against the server OTELKIT_TEST_REDIS_ADDR
// names; the full scenario against it is in internal/itest/redisx.
func TestRealRedis(t *testing.T) {
	addr := os.Getenv("OTELKIT_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("set OTELKIT_TEST_REDIS_ADDR (host:port of a Redis server) to run this test")
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: 11})
	defer rdb.Close()
	if err := Instrument(rdb, WithTracerProvider(tp), WithMetrics(false), WithSemconv(semconv.Old)); err != nil {
		t.Fatal(err)
	}
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	if err := rdb.Get(ctx, "redisx:missing").Err(); err != redis.Nil {
		t.Fatalf("GET missing key: %v", err)
	}
	parent.End()
	for _, s := range exp.GetSpans() {
		if s.Name != commandSpanName || !hasAttr(s.Attributes, semconv.DBOperationKey, "GET") {
			continue
		}
		if s.Status.Code != codes.Unset || s.Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("GET span: status %v, parent %v", s.Status, s.Parent.SpanID())
		}
		want := "redis://" + addr + "/11"
		if !hasAttr(s.Attributes, semconv.DBConnectionStringKey, want) ||
			!hasAttr(s.Attributes, semconv.DBRedisCommandKey, "GET redisx:missing") {
			t.Errorf("GET span attributes %v", s.Attributes)
		}
		return
	}
	t.Fatalf("no GET span in %v", exp.GetSpans())
}

func hasAttr(kvs []attribute.KeyValue, k attribute.Key, v string) bool {
	for _, kv := range kvs {
		if kv.Key == k && kv.Value.String() == v {
			return true
		}
	}
	return false
}
