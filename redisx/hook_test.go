package redisx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit/internal/semconv"
)

// rig is an instrumented client of a stand-in server with an in-memory
// exporter.
type rig struct {
	srv *respServer
	exp *tracetest.InMemoryExporter
	tp  *sdktrace.TracerProvider
	rdb *redis.Client
}

func newRig(t *testing.T, opts ...Option) *rig {
	t.Helper()
	r := &rig{srv: newRESPServer(t), exp: tracetest.NewInMemoryExporter()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(r.exp))
	t.Cleanup(func() { _ = r.tp.Shutdown(context.Background()) })
	r.rdb = redis.NewClient(&redis.Options{Addr: r.srv.addr(), MaxRetries: -1, PoolSize: 1})
	t.Cleanup(func() { _ = r.rdb.Close() })
	opts = append([]Option{WithTracerProvider(r.tp), WithMeterProvider(noopmetric.NewMeterProvider())}, opts...)
	if err := Instrument(r.rdb, opts...); err != nil {
		t.Fatal(err)
	}
	// Connect (and set up) before the test starts looking at spans.
	if err := r.rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	r.exp.Reset()
	return r
}

func attrOf(kvs []attribute.KeyValue, k attribute.Key) (attribute.Value, bool) {
	for _, kv := range kvs {
		if kv.Key == k {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// userSpans returns the spans of the commands the test issued: not the
// dial spans and not the set-up commands (children of another span) that a
// new connection brings.
func userSpans(stubs tracetest.SpanStubs) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range stubs {
		if s.Name != dialSpanName && !s.Parent.IsValid() {
			out = append(out, s)
		}
	}
	return out
}

func (r *rig) only(t *testing.T) tracetest.SpanStub {
	t.Helper()
	spans := userSpans(r.exp.GetSpans())
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1: %v", len(spans), spans)
	}
	return spans[0]
}

func TestCallerAttributes(t *testing.T) {
	for _, mode := range []semconv.Mode{semconv.Old, semconv.Stable} {
		r := newRig(t, WithCaller(true), WithSemconv(mode))
		r.rdb.Get(context.Background(), "k")
		s := r.only(t)
		file, line := "code.filepath", "code.lineno"
		if mode == semconv.Stable {
			file, line = "code.file.path", "code.line.number"
		}
		// This test is inside package redisx, whose frames the walk skips:
		// the caller found is the test runner's.
		if v, ok := attrOf(s.Attributes, attribute.Key(file)); !ok || !strings.HasSuffix(v.AsString(), ".go") || strings.Contains(v.AsString(), "go-redis") {
			t.Errorf("%v: %s = %q, want a file outside go-redis and redisx", mode, file, v.AsString())
		}
		if v, ok := attrOf(s.Attributes, attribute.Key(line)); !ok || v.AsInt64() <= 0 {
			t.Errorf("%v: %s = %v", mode, line, v)
		}
		r.exp.Reset()
		r.rdb.Pipelined(context.Background(), func(p redis.Pipeliner) error {
			p.Get(context.Background(), "k")
			return nil
		})
		if _, ok := attrOf(r.only(t).Attributes, attribute.Key(file)); !ok {
			t.Errorf("%v: pipeline span without %s", mode, file)
		}
	}
}

func TestCommandFilter(t *testing.T) {
	r := newRig(t, WithCommandFilter(func(cmd redis.Cmder) bool { return cmd.Name() == "get" }))
	ctx := context.Background()
	r.rdb.Get(ctx, "k")
	r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		p.Get(ctx, "a")
		return nil
	})
	// A new connection's set-up commands (HELLO, CLIENT SETINFO) still get
	// spans; the filtered command and pipeline do not.
	for _, s := range r.exp.GetSpans() {
		if v, _ := attrOf(s.Attributes, semconv.DBRedisCommandKey); strings.Contains(v.AsString(), "GET") || strings.Contains(v.AsString(), "SET a") {
			t.Errorf("filtered command or pipeline has a span: %q", v.AsString())
		}
	}
	r.exp.Reset()
	r.rdb.Set(ctx, "a", "1", 0)
	found := false
	for _, s := range r.exp.GetSpans() {
		v, _ := attrOf(s.Attributes, semconv.DBRedisCommandKey)
		found = found || v.AsString() == "SET a 1"
	}
	if !found {
		t.Errorf("unfiltered command has no span: %v", r.exp.GetSpans())
	}
}

func TestExtraAttributesAndLimits(t *testing.T) {
	r := newRig(t, WithAttributes(attribute.String("team", "core")), WithMaxArgLen(4), WithMaxCommandLen(24))
	ctx := context.Background()
	r.rdb.Set(ctx, "a-long-key", "a-long-value", 0)
	s := r.only(t)
	if v, _ := attrOf(s.Attributes, "team"); v.AsString() != "core" {
		t.Errorf("team = %q", v.AsString())
	}
	if v, _ := attrOf(s.Attributes, semconv.DBRedisCommandKey); v.AsString() != "SET a-lo... a-lo..." {
		t.Errorf("command = %q", v.AsString())
	}
	r.exp.Reset()
	r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for range 10 {
			p.Set(ctx, "key", "value", 0)
		}
		return nil
	})
	v, _ := attrOf(r.only(t).Attributes, semconv.DBRedisCommandKey)
	if got := v.AsString(); len(got) > 24+len("SET key valu...")+8 || !strings.HasSuffix(got, "...") {
		t.Errorf("pipeline text not cut at about 24 bytes: %q", got)
	}
}

func TestPipelineNames(t *testing.T) {
	r := newRig(t, WithSemconv(semconv.Dup))
	ctx := context.Background()
	r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range maxPipelineNames + 3 {
			p.Do(ctx, fmt.Sprintf("cmd%d", i))
			p.Do(ctx, "cmd0")
		}
		return nil
	})
	s := r.only(t)
	op, _ := attrOf(s.Attributes, semconv.DBOperationKey)
	if want := "CMD0 CMD1 CMD2 CMD3 CMD4 CMD5 CMD6 CMD7 CMD8 CMD9 ..."; op.AsString() != want {
		t.Errorf("db.operation = %q, want %q", op.AsString(), want)
	}
	if v, _ := attrOf(s.Attributes, semconv.DBOperationNameKey); v.AsString() != "PIPELINE" {
		t.Errorf("db.operation.name = %q, want PIPELINE", v.AsString())
	}
	if v, _ := attrOf(s.Attributes, semconv.DBOperationBatchSizeKey); v.AsInt64() != 2*(maxPipelineNames+3) {
		t.Errorf("batch size = %v", v)
	}
	for _, tt := range []struct {
		n    int
		want string
	}{{1, "INCR"}, {3, "BATCH INCR"}} {
		r.exp.Reset()
		r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for range tt.n {
				p.Incr(ctx, "n")
			}
			return nil
		})
		s := r.only(t)
		if s.Name != tt.want {
			t.Errorf("%d INCR: span %q, want %q", tt.n, s.Name, tt.want)
		}
		if _, ok := attrOf(s.Attributes, semconv.DBOperationBatchSizeKey); ok != (tt.n >= 2) {
			t.Errorf("%d INCR: batch size present = %v", tt.n, ok)
		}
	}
	h := &hook{names: &nameCache{}}
	if got := h.batchOperation(nil); got != "PIPELINE" {
		t.Errorf("empty pipeline: %q", got)
	}
}

func TestNotRecordingAddsNothing(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.NeverSample()))
	srv := newRESPServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr(), MaxRetries: -1})
	defer rdb.Close()
	if err := Instrument(rdb, WithTracerProvider(tp), WithMetrics(false), WithSemconv(semconv.Stable)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, "k"); return nil }); err != nil {
		t.Fatal(err)
	}
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("%d spans under a never-sampler", n)
	}
	if got := srv.received(); !containsAll(got, "SET", "GET") {
		t.Errorf("server received %v", got)
	}
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

func TestDialAndTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	if err := Instrument(rdb, WithTracerProvider(tp), WithMetrics(false), WithSemconv(semconv.Dup)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := rdb.Get(ctx, "k").Err(); err == nil {
		t.Fatal("GET on a closed port: no error")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	rdb.Pipelined(canceled, func(p redis.Pipeliner) error { p.Get(canceled, "k"); return nil })
	var dial, get bool
	for _, s := range exp.GetSpans() {
		if s.Status.Code != codes.Error {
			continue
		}
		et, ok := attrOf(s.Attributes, semconv.ErrorTypeKey)
		if !ok || et.AsString() == "" {
			t.Errorf("%s: failed span without error.type", s.Name)
		}
		if len(s.Events) == 0 || s.Events[0].Name != "exception" {
			t.Errorf("%s: no exception event", s.Name)
		}
		dial = dial || s.Name == dialSpanName
		get = get || s.Name == "GET"
	}
	if !dial || !get {
		t.Errorf("dial failed span %v, GET failed span %v:\n%v", dial, get, exp.GetSpans())
	}
}

func TestWrongTypeStatusCode(t *testing.T) {
	r := newRig(t, WithSemconv(semconv.Stable))
	r.rdb.Do(context.Background(), "wrong", "k")
	s := r.only(t)
	for _, k := range []attribute.Key{semconv.ErrorTypeKey, semconv.DBResponseStatusCodeKey} {
		if v, _ := attrOf(s.Attributes, k); v.AsString() != "WRONGTYPE" {
			t.Errorf("%s = %q, want WRONGTYPE", k, v.AsString())
		}
	}
}

func TestRingAndCluster(t *testing.T) {
	a, b := newRESPServer(t), newRESPServer(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": a.addr(), "b": b.addr()}, MaxRetries: -1})
	defer ring.Close()
	if err := Instrument(ring, WithTracerProvider(tp), WithMetrics(false), WithDialSpans(false)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 8 {
		ring.Set(ctx, fmt.Sprintf("k%d", i), "v", 0)
	}
	ring.SetAddrs(map[string]string{"a": a.addr(), "b": b.addr(), "c": newRESPServer(t).addr()})
	for i := range 8 {
		ring.Set(ctx, fmt.Sprintf("k%d", i), "v", 0)
	}
	sets := 0
	for _, s := range exp.GetSpans() {
		if v, _ := attrOf(s.Attributes, semconv.DBOperationKey); v.AsString() == "SET" {
			sets++
		}
	}
	if sets != 16 {
		t.Errorf("%d SET spans over the ring's shards, want 16", sets)
	}

	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{a.addr()}, MaxRedirects: -1})
	defer cluster.Close()
	if err := Instrument(cluster, WithTracerProvider(tp), WithMetrics(true), WithMeterProvider(noopmetric.NewMeterProvider())); err != nil {
		t.Fatal(err)
	}
	exp.Reset()
	_ = cluster.Get(ctx, "k").Err() // the stand-in is no cluster: the node is created, the slots fail
	if len(exp.GetSpans()) == 0 {
		t.Error("no span from the cluster client's node")
	}
}

func TestNodeOnce(t *testing.T) {
	srv := newRESPServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr()})
	defer rdb.Close()
	in := &instrumenter{conf: newConfig([]Option{WithMetrics(false)}), names: &nameCache{}, bufs: &bufPool{}, seen: map[*redis.Client]bool{}}
	in.tracer = in.conf.tracerProvider.Tracer(ScopeName)
	in.onNewNode(rdb)
	in.onNewNode(rdb)
	if len(in.seen) != 1 {
		t.Errorf("seen %d clients", len(in.seen))
	}
}

func TestConnStringTLS(t *testing.T) {
	in := &instrumenter{conf: config{mode: semconv.Old}, names: &nameCache{}, bufs: &bufPool{}}
	h := newHook(in, &redis.Options{Network: "tcp", Addr: "cache:6380", DB: 2, TLSConfig: &tls.Config{}})
	if v, _ := attrOf(h.static, semconv.DBConnectionStringKey); v.AsString() != "rediss://cache:6380/2" {
		t.Errorf("connection string %q", v.AsString())
	}
}

func TestBufPoolDropsLarge(t *testing.T) {
	var p bufPool
	big := make([]byte, 0, 128<<10)
	p.put(&big)
	if b := p.get(); cap(*b) == 128<<10 {
		t.Error("a 128 KiB buffer was kept")
	}
}

func TestErrorTypeName(t *testing.T) {
	if got := errorTypeName(errors.New("x")); got != "*errors.errorString" {
		t.Errorf("errorTypeName = %q", got)
	}
	if got := errorTypeName(redis.Nil); !strings.Contains(got, "proto.RedisError") {
		t.Errorf("errorTypeName(redis.Nil) = %q", got)
	}
}
