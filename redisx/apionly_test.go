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
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/apitrace"
	"github.com/otelkit/otelkit/internal/redact"
	"github.com/otelkit/otelkit/internal/semconv"
)

// scenario runs, under tp, what a service does with Redis: commands that
// succeed, miss, fail with an error that echoes a secret value, a pipeline
// and a transaction, all children of one request span. The first command
// dials and sets up the connection (HELLO is rejected, CLIENT SETINFO
// accepted), so set-up detection is part of what is compared.
func scenario(t *testing.T, tp trace.TracerProvider, srv *respServer, opts ...Option) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr(), MaxRetries: -1, PoolSize: 1})
	defer rdb.Close()
	opts = append([]Option{WithTracerProvider(tp), WithMetrics(false)}, opts...)
	if err := Instrument(rdb, opts...); err != nil {
		t.Fatal(err)
	}
	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	defer parent.End()
	if err := rdb.Set(ctx, "user:1", "s3cr3t-value", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if err := rdb.Get(ctx, "missing").Err(); err != redis.Nil {
		t.Fatalf("GET missing: %v", err)
	}
	if err := rdb.Do(ctx, "fail", "s3cr3t-value").Err(); err == nil {
		t.Fatal("FAIL: no error")
	}
	if err := rdb.Do(ctx, "wrong", "k").Err(); err == nil {
		t.Fatal("WRONG: no error")
	}
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		p.Incr(ctx, "a")
		return nil
	}); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "a")
		p.Incr(ctx, "a")
		return nil
	}); err != nil {
		t.Fatalf("transaction: %v", err)
	}
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "fail", "s3cr3t-value")
		return nil
	}); err == nil {
		t.Fatal("failing pipeline: no error")
	}
}

// TestSameSpansWithoutSDK is the rule that redisx depends on the API only:
// under a TracerProvider that is not the SDK's it records the same spans
// (names, kinds, parents, attributes, status, events) as under the SDK, in
// every conventions mode, set-up commands included.
func TestSameSpansWithoutSDK(t *testing.T) {
	for _, mode := range []semconv.Mode{semconv.Old, semconv.Stable, semconv.Dup} {
		for _, masking := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/masking=%v", mode, masking), func(t *testing.T) {
				srv := newRESPServer(t)
				opts := []Option{WithSemconv(mode), WithValueMasking(masking)}

				exp := tracetest.NewInMemoryExporter()
				sdk := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
				defer sdk.Shutdown(context.Background())
				scenario(t, sdk, srv, opts...)
				want := apitrace.ViewsOf(exp.GetSpans())

				rec := &apitrace.Provider{}
				scenario(t, rec, srv, opts...)
				got := rec.Views()

				if len(want) < 10 {
					t.Fatalf("the SDK recorded only %d spans:\n%v", len(want), want)
				}
				if d := apitrace.Diff(got, want); d != "" {
					t.Error(d)
				}
				// Set-up commands are told apart without the SDK: the
				// rejected HELLO has an exception event but no status.
				hello := false
				for _, v := range got {
					if strings.Contains(strings.Join(v.Attrs, " "), "HELLO") {
						hello = true
						if v.Status != codes.Unset.String() || len(v.Events) != 1 || v.Parent == "request" {
							t.Errorf("set-up HELLO span: %v", v)
						}
					}
					if masking && strings.Contains(v.String(), "s3cr3t-value") {
						t.Errorf("value shown with masking on: %v", v)
					}
				}
				if !hello {
					t.Errorf("no HELLO set-up span:\n%s", apitrace.Lines(got))
				}
			})
		}
	}
}

// TestEveryWriteCommandMaskedInSpans sends every command the real server's
// COMMAND INFO flags "write" (with arguments built from its COMMAND DOCS,
// values planted markers) through an instrumented client to the stand-in
// server, with value masking on: no marker in any attribute, event or
// status of any span, and the keys stay visible in db.redis.command and
// db.query.text.
func TestEveryWriteCommandMaskedInSpans(t *testing.T) {
	addr := os.Getenv("OTELKIT_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("set OTELKIT_TEST_REDIS_ADDR (host:port of a Redis server) to read its command table")
	}
	ctx := context.Background()
	real := redis.NewClient(&redis.Options{Addr: addr})
	defer real.Close()
	info, err := real.Do(ctx, "COMMAND", "INFO").Slice()
	if err != nil {
		t.Fatal(err)
	}
	docsReply, err := real.Do(ctx, "COMMAND", "DOCS").Result()
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := docsReply.(map[any]any)
	srv := newRESPServer(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr(), MaxRetries: -1})
	defer rdb.Close()
	if err := Instrument(rdb, WithTracerProvider(tp), WithMetrics(false), WithDialSpans(false),
		WithValueMasking(true), WithSemconv(semconv.Dup), WithMaxArgLen(0), WithMaxCommandLen(0)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range info {
		for _, cmd := range writeEntries(e) {
			name := cmd.name
			doc, _ := docs[name].(map[any]any)
			if parent, _, ok := strings.Cut(name, "|"); ok {
				p, _ := docs[parent].(map[any]any)
				subs, _ := p["subcommands"].(map[any]any)
				doc, _ = subs[name].(map[any]any)
			}
			args, keys, specs := redact.BuildRedisArgs(name, doc["arguments"])
			if cmd.keySpecs < specs {
				keys = nil // a key spec of kind unknown: its keys are masked
			}
			exp.Reset()
			_ = rdb.Do(ctx, args...).Err()
			// A reply the stand-in gets wrong (+OK to BLPOP) makes
			// go-redis drop the connection: the next command's set-up
			// spans may come along. All are checked for markers.
			var s tracetest.SpanStub
			op := strings.ToUpper(strings.ReplaceAll(name, "|", " "))
			for _, sp := range exp.GetSpans() {
				all := fmt.Sprint(sp.Name, sp.Attributes, sp.Events, sp.Status)
				if strings.Contains(all, redact.RedisMarkerValue) {
					t.Errorf("%s: value in a span: %s", name, all)
				}
				if hasAttr(sp.Attributes, semconv.DBOperationKey, strings.ToUpper(args[0].(string))) {
					s = sp
				}
			}
			if s.Name == "" {
				t.Fatalf("%s: no span with db.operation %s", name, op)
			}
			for _, key := range []attribute.Key{semconv.DBRedisCommandKey, semconv.DBQueryTextKey} {
				text := ""
				for _, kv := range s.Attributes {
					if kv.Key == key {
						text = kv.Value.AsString()
					}
				}
				for _, k := range keys {
					if !strings.Contains(text, k) {
						t.Errorf("%s: key %s not shown in %s: %q", name, k, key, text)
					}
				}
			}
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d write commands", n)
	}
	t.Logf("%d write commands sent", n)
}

type writeEntry struct {
	name     string
	keySpecs int // readable key specs (begin_search and find_keys known)
}

func writeEntries(e any) []writeEntry {
	a, _ := e.([]any)
	if len(a) < 10 {
		return nil
	}
	var out []writeEntry
	name, _ := a[0].(string)
	flags, _ := a[2].([]any)
	for _, f := range flags {
		if f == "write" {
			ks := 0
			specs, _ := a[8].([]any)
			for _, s := range specs {
				m, _ := s.(map[any]any)
				bs, _ := m["begin_search"].(map[any]any)
				fk, _ := m["find_keys"].(map[any]any)
				if bs["type"] != "unknown" && fk["type"] != "unknown" {
					ks++
				}
			}
			out = append(out, writeEntry{strings.ToLower(name), ks})
		}
	}
	subs, _ := a[9].([]any)
	for _, s := range subs {
		out = append(out, writeEntries(s)...)
	}
	return out
}
