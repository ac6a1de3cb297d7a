package redisx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// attrSampler samples as decide says and records the attributes of
// every span start.
type attrSampler struct {
	mu     sync.Mutex
	seen   [][]attribute.KeyValue
	decide sdktrace.SamplingDecision
}

func (s *attrSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.mu.Lock()
	s.seen = append(s.seen, append([]attribute.KeyValue(nil), p.Attributes...))
	s.mu.Unlock()
	return sdktrace.SamplingResult{Decision: s.decide}
}
func (s *attrSampler) Description() string { return "attrSampler" }

func (s *attrSampler) count(kv attribute.KeyValue) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, attrs := range s.seen {
		for _, a := range attrs {
			if a == kv {
				n++
			}
		}
	}
	return n
}

type hookRecord struct {
	start     bool
	cmd       Command
	err       error
	recording bool
}

// hookRig is a client of the stand-in server with both hooks recording.
type hookRig struct {
	smp *attrSampler
	exp *tracetest.InMemoryExporter
	rdb *redis.Client
	mu  sync.Mutex
	got []hookRecord
}

func newHookRig(t *testing.T, decide sdktrace.SamplingDecision, opts ...Option) *hookRig {
	t.Helper()
	r := &hookRig{smp: &attrSampler{decide: decide}, exp: tracetest.NewInMemoryExporter()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(r.exp), sdktrace.WithSampler(r.smp))
	srv := newRESPServer(t)
	r.rdb = redis.NewClient(&redis.Options{Addr: srv.addr(), MaxRetries: -1, PoolSize: 1})
	t.Cleanup(func() { _ = r.rdb.Close() })
	opts = append([]Option{WithTracerProvider(tp), WithMeterProvider(noopmetric.NewMeterProvider()), WithDialSpans(false),
		WithStartHook(func(ctx context.Context, cmd Command) []attribute.KeyValue {
			if setupName(cmd.Name) {
				return nil
			}
			r.mu.Lock()
			r.got = append(r.got, hookRecord{start: true, cmd: cmd})
			r.mu.Unlock()
			return []attribute.KeyValue{attribute.String("app.hooked", cmd.Name)}
		}),
		WithEndHook(func(span trace.Span, cmd Command, err error) {
			if setupName(cmd.Name) {
				return
			}
			r.mu.Lock()
			r.got = append(r.got, hookRecord{cmd: cmd, err: err, recording: span.IsRecording()})
			r.mu.Unlock()
			span.SetAttributes(attribute.Bool("app.end_hook", true))
		}),
	}, opts...)
	if err := Instrument(r.rdb, opts...); err != nil {
		t.Fatal(err)
	}
	// Connect (and set up) before the test starts counting.
	if err := r.rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	r.exp.Reset()
	r.got = nil
	r.smp.seen = nil
	return r
}

const hookSecret = "Hk7HookSecret"

// setupName reports whether name is that of a command go-redis sends to
// set up a new connection (the stand-in drops connections now and then).
func setupName(name string) bool { return name == "HELLO" || strings.HasPrefix(name, "CLIENT") }

// TestHooks checks the rules: one start call before each command span and
// one per pipeline span, with the command as the span records it (never a
// credential, never a masked value), whose attributes reach the sampler
// and the span; one end call per recorded span, with the error (its text
// scrubbed as the span's, go-redis's error beneath), redis.Nil included.
func TestHooks(t *testing.T) {
	r := newHookRig(t, sdktrace.RecordAndSample, WithValueMasking(true))
	ctx := context.Background()
	_ = r.rdb.Set(ctx, "k", hookSecret, 0).Err()
	_ = r.rdb.Do(ctx, "AUTH", "app", hookSecret).Err()
	failErr := r.rdb.Do(ctx, "FAIL", hookSecret).Err()
	nilErr := r.rdb.Get(ctx, "missing").Err()
	_, pipeErr := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", hookSecret, 0)
		p.Do(ctx, "FAIL", hookSecret)
		p.Incr(ctx, "n")
		return nil
	})
	if failErr == nil || !errors.Is(nilErr, redis.Nil) || pipeErr == nil {
		t.Fatalf("errors: %v, %v, %v", failErr, nilErr, pipeErr)
	}
	want := []struct {
		start    bool
		name     string
		text     string
		pipeline int
	}{
		{true, "SET", "SET k ?", 0}, {false, "SET", "SET k ?", 0},
		{true, "AUTH", "AUTH ? REDACTED", 0}, {false, "AUTH", "AUTH ? REDACTED", 0},
		{true, "FAIL", "FAIL ?", 0}, {false, "FAIL", "FAIL ?", 0},
		{true, "GET", "GET missing", 0}, {false, "GET", "GET missing", 0},
		{true, "SET FAIL INCR", "SET a ?\nFAIL ?\nINCR n", 3}, {false, "SET FAIL INCR", "SET a ?\nFAIL ?\nINCR n", 3},
	}
	if len(r.got) != len(want) {
		t.Fatalf("%d hook calls, want %d: %+v", len(r.got), len(want), r.got)
	}
	for i, w := range want {
		g := r.got[i]
		if g.start != w.start || g.cmd.Name != w.name || g.cmd.Text != w.text || g.cmd.Pipeline != w.pipeline {
			t.Errorf("call %d: %+v, want %+v", i, g, w)
		}
		if !g.start && !g.recording {
			t.Errorf("call %d: end hook on a span that is not recording", i)
		}
		if strings.Contains(fmt.Sprint(g.cmd, g.err), hookSecret) {
			t.Errorf("call %d: the secret reached a hook: %+v", i, g)
		}
	}
	var rerr redis.Error
	if e := r.got[5].err; e == nil || !errors.As(e, &rerr) || !strings.HasPrefix(e.Error(), "ERR failed") {
		t.Errorf("FAIL: end hook error %v, want the server's error, scrubbed", e)
	}
	if e := r.got[7].err; !errors.Is(e, redis.Nil) {
		t.Errorf("GET missing: end hook error %v, want redis.Nil", e)
	}
	if e := r.got[9].err; e == nil || !errors.As(e, &rerr) {
		t.Errorf("pipeline: end hook error %v, want the failed command's", e)
	}
	if r.got[1].err != nil || r.got[3].err != nil {
		t.Errorf("end hook errors on success: %v, %v", r.got[1].err, r.got[3].err)
	}
	for _, name := range []string{"SET", "AUTH", "FAIL", "GET", "SET FAIL INCR"} {
		if n := r.smp.count(attribute.String("app.hooked", name)); n != 1 {
			t.Errorf("the sampler saw app.hooked=%q %d times, want 1", name, n)
		}
	}
	var spans tracetest.SpanStubs
	for _, s := range r.exp.GetSpans() {
		if op, _ := attrOf(s.Attributes, "db.operation"); !setupName(op.AsString()) {
			spans = append(spans, s)
		}
	}
	if len(spans) != 5 {
		t.Fatalf("%d spans, want 5", len(spans))
	}
	for _, s := range spans {
		if _, ok := attrOf(s.Attributes, "app.hooked"); !ok {
			t.Errorf("span %s lacks the start hook's attribute", s.Name)
		}
		if v, _ := attrOf(s.Attributes, "app.end_hook"); !v.AsBool() {
			t.Errorf("span %s lacks the end hook's attribute", s.Name)
		}
	}
}

// TestHooksUnsampled: the start hook runs for a span the sampler drops (it
// is what the sampler decides with), the end hook does not.
func TestHooksUnsampled(t *testing.T) {
	r := newHookRig(t, sdktrace.Drop)
	ctx := context.Background()
	_ = r.rdb.Set(ctx, "k", "v", 0).Err()
	_, _ = r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "n")
		p.Incr(ctx, "n")
		return nil
	})
	if len(r.got) != 2 || !r.got[0].start || !r.got[1].start || r.got[1].cmd.Name != "INCR" || r.got[1].cmd.Pipeline != 2 {
		t.Errorf("hook calls %+v, want two start calls (SET, the pipeline)", r.got)
	}
}
