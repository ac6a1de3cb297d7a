package redisx

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/otelkit/otelkit/internal/redact"
	"github.com/otelkit/otelkit/internal/semconv"
)

// recProvider is a TracerProvider written against the API only, as a vendor
// SDK or the auto-instrumentation SDK would be: its spans are not the
// OpenTelemetry SDK's types. It records every ended span.
type recProvider struct {
	embedded.TracerProvider

	mu    sync.Mutex
	next  uint64
	spans []*recSpan
}

func (p *recProvider) Tracer(name string, _ ...trace.TracerOption) trace.Tracer {
	return &recTracer{p: p, scope: name}
}

func (p *recProvider) id() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	return p.next
}

func (p *recProvider) ended() []*recSpan {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.spans)
}

type recTracer struct {
	embedded.Tracer
	p     *recProvider
	scope string
}

func (t *recTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	parent := trace.SpanContextFromContext(ctx)
	kind := cfg.SpanKind()
	if kind == trace.SpanKindUnspecified {
		kind = trace.SpanKindInternal
	}
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], t.p.id())
	tid := parent.TraceID()
	if !parent.IsValid() {
		binary.BigEndian.PutUint64(tid[8:], t.p.id())
	}
	s := &recSpan{
		p:      t.p,
		scope:  t.scope,
		name:   name,
		kind:   kind,
		parent: parent,
		sc:     trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}),
		attrs:  slices.Clone(cfg.Attributes()),
	}
	return trace.ContextWithSpan(ctx, s), s
}

type recEvent struct {
	name  string
	attrs []attribute.KeyValue
}

type recSpan struct {
	embedded.Span
	p      *recProvider
	scope  string
	kind   trace.SpanKind
	parent trace.SpanContext
	sc     trace.SpanContext

	mu     sync.Mutex
	name   string
	attrs  []attribute.KeyValue
	events []recEvent
	status codes.Code
	desc   string
	ended  bool
}

func (s *recSpan) End(...trace.SpanEndOption) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	s.mu.Unlock()
	s.p.mu.Lock()
	s.p.spans = append(s.p.spans, s)
	s.p.mu.Unlock()
}

func (s *recSpan) AddEvent(name string, opts ...trace.EventOption) {
	cfg := trace.NewEventConfig(opts...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, recEvent{name, slices.Clone(cfg.Attributes())})
}

func (s *recSpan) AddLink(trace.Link) {}

func (s *recSpan) IsRecording() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

func (s *recSpan) RecordError(err error, opts ...trace.EventOption) {
	if err == nil {
		return
	}
	cfg := trace.NewEventConfig(opts...)
	attrs := append([]attribute.KeyValue{
		attribute.String("exception.type", fmt.Sprintf("%T", err)),
		attribute.String("exception.message", err.Error()),
	}, cfg.Attributes()...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, recEvent{"exception", attrs})
}

func (s *recSpan) SpanContext() trace.SpanContext { return s.sc }

func (s *recSpan) SetStatus(code codes.Code, desc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == codes.Error || code == codes.Ok {
		s.status, s.desc = code, desc
	}
}

func (s *recSpan) SetName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.name = name
}

func (s *recSpan) SetAttributes(kv ...attribute.KeyValue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attrs = append(s.attrs, kv...)
}

func (s *recSpan) TracerProvider() trace.TracerProvider { return s.p }

// spanView is what the comparison looks at: what an exporter would send,
// without ids and times.
type spanView struct {
	scope, name, parent, kind, status, desc string
	attrs                                   []string // key=value, sorted
	events                                  []string // name(keys), in order
}

func (v spanView) String() string {
	return fmt.Sprintf("%s %q parent=%q kind=%s status=%s %q attrs=%v events=%v",
		v.scope, v.name, v.parent, v.kind, v.status, v.desc, v.attrs, v.events)
}

func viewAttrs(kvs []attribute.KeyValue) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, string(kv.Key)+"="+kv.Value.Emit())
	}
	slices.Sort(out)
	return out
}

func viewEvent(name string, kvs []attribute.KeyValue) string {
	var keys []string
	for _, kv := range kvs {
		k := string(kv.Key)
		if k == "exception.message" {
			k += "=" + kv.Value.Emit()
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return name + "(" + strings.Join(keys, ",") + ")"
}

func viewsOfSDK(stubs tracetest.SpanStubs) []spanView {
	names := map[trace.SpanID]string{}
	for _, s := range stubs {
		names[s.SpanContext.SpanID()] = s.Name
	}
	var out []spanView
	for _, s := range stubs {
		v := spanView{
			scope: s.InstrumentationScope.Name, name: s.Name, parent: names[s.Parent.SpanID()],
			kind: s.SpanKind.String(), status: s.Status.Code.String(), desc: s.Status.Description,
			attrs: viewAttrs(s.Attributes),
		}
		for _, e := range s.Events {
			v.events = append(v.events, viewEvent(e.Name, e.Attributes))
		}
		out = append(out, v)
	}
	return out
}

func viewsOfRec(spans []*recSpan) []spanView {
	names := map[trace.SpanID]string{}
	for _, s := range spans {
		names[s.sc.SpanID()] = s.name
	}
	var out []spanView
	for _, s := range spans {
		v := spanView{
			scope: s.scope, name: s.name, parent: names[s.parent.SpanID()],
			kind: s.kind.String(), status: s.status.String(), desc: s.desc,
			attrs: viewAttrs(s.attrs),
		}
		for _, e := range s.events {
			v.events = append(v.events, viewEvent(e.name, e.attrs))
		}
		out = append(out, v)
	}
	return out
}

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
				want := viewsOfSDK(exp.GetSpans())

				rec := &recProvider{}
				scenario(t, rec, srv, opts...)
				got := viewsOfRec(rec.ended())

				if len(want) < 10 {
					t.Fatalf("the SDK recorded only %d spans:\n%v", len(want), want)
				}
				if len(got) != len(want) {
					t.Fatalf("%d spans without the SDK, %d with it\nwithout:\n%s\nwith:\n%s", len(got), len(want), lines(got), lines(want))
				}
				for i := range want {
					if got[i].String() != want[i].String() {
						t.Errorf("span %d differs\nwithout the SDK: %v\nwith the SDK:    %v", i, got[i], want[i])
					}
				}
				// Set-up commands are told apart without the SDK: the
				// rejected HELLO has an exception event but no status.
				hello := false
				for _, v := range got {
					if strings.Contains(strings.Join(v.attrs, " "), "HELLO") {
						hello = true
						if v.status != codes.Unset.String() || len(v.events) != 1 || v.parent == "request" {
							t.Errorf("set-up HELLO span: %v", v)
						}
					}
					if masking && strings.Contains(v.String(), "s3cr3t-value") {
						t.Errorf("value shown with masking on: %v", v)
					}
				}
				if !hello {
					t.Errorf("no HELLO set-up span:\n%s", lines(got))
				}
			})
		}
	}
}

func lines[T fmt.Stringer](vs []T) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
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
