package sqlx_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/sqlx"
)

// attrSampler samples everything and counts the spans whose start
// attributes held want.
type attrSampler struct {
	want attribute.KeyValue
	mu   sync.Mutex
	n    int
}

func (s *attrSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	for _, kv := range p.Attributes {
		if kv == s.want {
			s.mu.Lock()
			s.n++
			s.mu.Unlock()
		}
	}
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
}
func (s *attrSampler) Description() string { return "attrSampler" }

// runHooks: on a real server, the start hook's attribute reaches the
// sampler for every statement, the end hook sees the error of a failing
// statement (a duplicate key from a bound argument, which the server
// echoes) scrubbed of the argument, and no hook input holds it.
func runHooks(t *testing.T, b backend) {
	smp := &attrSampler{want: attribute.String("app.hooked", "yes")}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(smp))
	var mu sync.Mutex
	var seen []string // every hook input, rendered
	var ends []error
	h := newHarness(t, b, sqlx.WithTracerProvider(tp),
		sqlx.WithStartHook(func(_ context.Context, s sqlx.Statement) []attribute.KeyValue {
			mu.Lock()
			seen = append(seen, fmt.Sprint(s))
			mu.Unlock()
			return []attribute.KeyValue{attribute.String("app.hooked", "yes")}
		}),
		sqlx.WithEndHook(func(span trace.Span, s sqlx.Statement, rows int64, err error) {
			mu.Lock()
			seen = append(seen, fmt.Sprint(s, rows, err))
			ends = append(ends, err)
			mu.Unlock()
		}))
	ctx := context.Background()
	table := fmt.Sprintf("hook_%d", time.Now().UnixNano())
	if _, err := h.db.ExecContext(ctx, "CREATE TABLE "+table+" (pw VARCHAR(64) PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = h.db.ExecContext(context.Background(), "DROP TABLE "+table) })
	insert := b.sql("INSERT INTO " + table + " (pw) VALUES (?)")
	if _, err := h.db.ExecContext(ctx, insert, boundSecret); err != nil {
		t.Fatal(err)
	}
	_, dupErr := h.db.ExecContext(ctx, insert, boundSecret)
	if dupErr == nil {
		t.Fatal("duplicate insert: no error")
	}
	t.Logf("driver error: %v", dupErr)
	if len(ends) != 3 {
		t.Fatalf("%d end hook calls, want 3", len(ends))
	}
	if ends[0] != nil || ends[1] != nil || ends[2] == nil {
		t.Errorf("end hook errors %v: want nil, nil, the duplicate key", ends)
	}
	for _, s := range seen {
		if strings.Contains(s, boundSecret[:5]) {
			t.Errorf("a hook saw the bound argument: %s", s)
		}
	}
	if smp.n != 3 {
		t.Errorf("the sampler saw the start hook's attribute %d times, want 3", smp.n)
	}
}

func TestHooksSQLite(t *testing.T)     { runHooks(t, sqliteBackend(t)) }
func TestHooksMariaDB(t *testing.T)    { runHooks(t, mariaDBBackend(t)) }
func TestHooksPostgreSQL(t *testing.T) { runHooks(t, postgresBackend(t)) }
