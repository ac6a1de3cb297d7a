package sqlx_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/sqlx"
)

// recordingSampler samples everything and remembers the attributes the
// tracer gave it at each span start.
type recordingSampler struct {
	mu   sync.Mutex
	seen [][]attribute.KeyValue
}

func (s *recordingSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.mu.Lock()
	s.seen = append(s.seen, append([]attribute.KeyValue(nil), p.Attributes...))
	s.mu.Unlock()
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
}
func (s *recordingSampler) Description() string { return "recording" }

func (s *recordingSampler) sawAttr(kv attribute.KeyValue) int {
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

// errArgMarker is a bound argument that no hook may ever see; hookConn's
// errors echo it, as MySQL's "Duplicate entry '...'" does.
const errArgMarker = "s3cret-bound-arg"

var errHookFail = errors.New("hook test failure")

// hookDriver answers ExecContext with one row affected and QueryContext
// with three rows; a statement containing FAIL fails with an error that
// echoes its first argument. With skip, a statement with arguments is
// answered driver.ErrSkip, as go-sql-driver/mysql does, and runs prepared.
type hookDriver struct{ skip bool }
type hookConn struct{ skip bool }
type hookStmt struct{ query string }
type hookRows struct{ n int }

func (d hookDriver) Open(string) (driver.Conn, error) { return hookConn(d), nil }
func (hookConn) Prepare(q string) (driver.Stmt, error) {
	if strings.Contains(q, "BADPREP") {
		return nil, errHookFail
	}
	return hookStmt{q}, nil
}
func (hookConn) Close() error                                 { return nil }
func (hookConn) Begin() (driver.Tx, error)                    { return nil, errors.New("no tx") }
func (hookStmt) Close() error                                 { return nil }
func (hookStmt) NumInput() int                                { return -1 }
func (s hookStmt) Exec([]driver.Value) (driver.Result, error) { return nil, errors.New("unused") }
func (s hookStmt) Query([]driver.Value) (driver.Rows, error)  { return nil, errors.New("unused") }
func (s hookStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return hookConn{}.ExecContext(ctx, s.query, args)
}
func (s hookStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return hookConn{}.QueryContext(ctx, s.query, args)
}
func hookErr(q string, args []driver.NamedValue) error {
	if !strings.Contains(q, "FAIL") {
		return nil
	}
	if len(args) > 0 {
		return fmt.Errorf("Duplicate entry '%v' for key 'PRIMARY': %w", args[0].Value, errHookFail)
	}
	return errHookFail
}
func (c hookConn) ExecContext(_ context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if c.skip && len(args) > 0 {
		return nil, driver.ErrSkip
	}
	if err := hookErr(q, args); err != nil {
		return nil, err
	}
	return driver.RowsAffected(1), nil
}
func (c hookConn) QueryContext(_ context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if c.skip && len(args) > 0 {
		return nil, driver.ErrSkip
	}
	if err := hookErr(q, args); err != nil {
		return nil, err
	}
	return &hookRows{}, nil
}
func (*hookRows) Columns() []string { return []string{"x"} }
func (*hookRows) Close() error      { return nil }
func (r *hookRows) Next(dest []driver.Value) error {
	if r.n == 3 {
		return io.EOF
	}
	r.n++
	dest[0] = int64(r.n)
	return nil
}

type hookCall struct {
	start bool
	ctx   context.Context
	s     sqlx.Statement
	rows  int64
	err   error
	// recording is whether the end hook's span was recording.
	recording bool
}

// TestHooks checks the rules of the hooks: the start hook runs before
// every statement span with the caller's context and the statement (its
// method, recorded text, operation and table, never a bound argument), its
// attributes reach the sampler and the span; the end hook runs once per
// recorded span with the rows and the error (scrubbed of the arguments,
// the driver's error still reachable), on the span it may add to. Both
// hold with and without driver.ErrSkip (one span, one call of each).
func TestHooks(t *testing.T) {
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("skip=%v", skip), func(t *testing.T) {
			smp := &recordingSampler{}
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(smp))
			var mu sync.Mutex
			var calls []hookCall
			db := sqlx.OpenDB(connectorFor(hookDriver{skip: skip}), sqlx.WithTracerProvider(tp), sqlx.WithSystem("mysql"), sqlx.WithMetrics(false),
				sqlx.WithStartHook(func(ctx context.Context, s sqlx.Statement) []attribute.KeyValue {
					mu.Lock()
					calls = append(calls, hookCall{start: true, ctx: ctx, s: s})
					mu.Unlock()
					return []attribute.KeyValue{attribute.String("app.tenant", "acme"), attribute.String("app.op", string(s.Method))}
				}),
				sqlx.WithEndHook(func(span trace.Span, s sqlx.Statement, rows int64, err error) {
					mu.Lock()
					calls = append(calls, hookCall{s: s, rows: rows, err: err, recording: span.IsRecording()})
					mu.Unlock()
					span.SetAttributes(attribute.Bool("app.end_hook", true))
				}))
			defer db.Close()
			type ctxKey struct{}
			ctx, root := tp.Tracer("t").Start(context.WithValue(context.Background(), ctxKey{}, "mine"), "root")
			defer root.End()

			if _, err := db.ExecContext(ctx, "UPDATE users SET name = ? WHERE id = 1", errArgMarker); err != nil {
				t.Fatal(err)
			}
			rs, err := db.QueryContext(ctx, "SELECT id FROM users WHERE name = ?", errArgMarker)
			if err != nil {
				t.Fatal(err)
			}
			for rs.Next() {
			}
			_ = rs.Close()
			_, err = db.ExecContext(ctx, "INSERT INTO FAIL_users VALUES (?)", errArgMarker)
			if !errors.Is(err, errHookFail) {
				t.Fatalf("failing insert: %v", err)
			}

			want := []struct {
				start bool
				m     sqlx.Method
				op    string
				table string
				rows  int64
			}{
				{true, sqlx.MethodExec, "UPDATE", "users", 0},
				{false, sqlx.MethodExec, "UPDATE", "users", 1},
				{true, sqlx.MethodQuery, "SELECT", "users", 0},
				{false, sqlx.MethodQuery, "SELECT", "users", 3},
				{true, sqlx.MethodExec, "INSERT", "FAIL_users", 0},
				{false, sqlx.MethodExec, "INSERT", "FAIL_users", -1},
			}
			if len(calls) != len(want) {
				t.Fatalf("%d hook calls, want %d: %+v", len(calls), len(want), calls)
			}
			spans := exp.GetSpans()
			for i, w := range want {
				c := calls[i]
				if c.start != w.start || c.s.Method != w.m || c.s.Operation != w.op || c.s.Table != w.table {
					t.Errorf("call %d: %+v, want %+v", i, c, w)
				}
				if strings.Contains(fmt.Sprint(c.s), errArgMarker) {
					t.Errorf("call %d: a bound argument reached the hook: %+v", i, c.s)
				}
				if c.start {
					if c.ctx.Value(ctxKey{}) != "mine" || trace.SpanContextFromContext(c.ctx).SpanID() != root.SpanContext().SpanID() {
						t.Errorf("call %d: the start hook did not get the caller's context", i)
					}
					continue
				}
				if c.rows != w.rows {
					t.Errorf("call %d: rows %d, want %d", i, c.rows, w.rows)
				}
				if !c.recording {
					t.Errorf("call %d: end hook on an ended span", i)
				}
			}
			end := calls[5]
			if !errors.Is(end.err, errHookFail) || strings.Contains(end.err.Error(), errArgMarker) {
				t.Errorf("end hook error %q: want errHookFail beneath, without the argument", end.err)
			}
			if calls[1].err != nil || calls[3].err != nil {
				t.Errorf("end hook errors on success: %v, %v", calls[1].err, calls[3].err)
			}
			// The sampler saw the start hook's attributes, once per
			// statement, and they are on the spans with the end hook's.
			if n := smp.sawAttr(attribute.String("app.tenant", "acme")); n != 3 {
				t.Errorf("sampler saw app.tenant %d times, want 3", n)
			}
			if n := smp.sawAttr(attribute.String("app.op", "query")); n != 1 {
				t.Errorf("sampler saw app.op=query %d times, want 1", n)
			}
			var stmtSpans []tracetest.SpanStub
			for _, s := range spans {
				if s.Name == "mysql.query" {
					stmtSpans = append(stmtSpans, s)
				}
			}
			if len(stmtSpans) != 3 {
				t.Fatalf("%d statement spans, want 3", len(stmtSpans))
			}
			for _, s := range stmtSpans {
				a := attrs(s)
				if a["app.tenant"] != "acme" || a["app.end_hook"] != true {
					t.Errorf("span %v lacks the hooks' attributes", a)
				}
				if strings.Contains(fmt.Sprint(s.Attributes, s.Events, s.Status), errArgMarker) {
					t.Errorf("a bound argument reached the span: %v %v", s.Attributes, s.Events)
				}
			}
			if stmtSpans[2].Status.Code != codes.Error {
				t.Errorf("failing statement: status %v", stmtSpans[2].Status)
			}
		})
	}
}

// TestHookText: the hooks get the statement as the span records it,
// sanitised with WithSanitizeLiterals, without the SQL comment.
func TestHookText(t *testing.T) {
	var got []string
	db := sqlx.OpenDB(connectorFor(hookDriver{}), sqlx.WithSystem("mysql"), sqlx.WithMetrics(false),
		sqlx.WithTracerProvider(sdktrace.NewTracerProvider()),
		sqlx.WithSanitizeLiterals(true), sqlx.WithSQLCommenter(true),
		sqlx.WithStartHook(func(_ context.Context, s sqlx.Statement) []attribute.KeyValue {
			got = append(got, s.Text)
			return nil
		}),
		sqlx.WithEndHook(func(_ trace.Span, s sqlx.Statement, _ int64, _ error) { got = append(got, s.Text) }))
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "UPDATE users SET pw = 'hunter2' WHERE id = 7"); err != nil {
		t.Fatal(err)
	}
	want := []string{"UPDATE users SET pw = ? WHERE id = ?", "UPDATE users SET pw = ? WHERE id = ?"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("hooks got %q, want %q", got, want)
	}
}

// TestHookUnsampled: the start hook runs for a statement whose span the
// sampler drops (it is what the sampler decides with); the end hook does
// not (no recorded span).
func TestHookUnsampled(t *testing.T) {
	starts, ends := 0, 0
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	db := sqlx.OpenDB(connectorFor(hookDriver{}), sqlx.WithSystem("mysql"), sqlx.WithMetrics(false), sqlx.WithTracerProvider(tp),
		sqlx.WithStartHook(func(context.Context, sqlx.Statement) []attribute.KeyValue { starts++; return nil }),
		sqlx.WithEndHook(func(trace.Span, sqlx.Statement, int64, error) { ends++ }))
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if starts != 1 || ends != 0 {
		t.Errorf("start hook %d calls, end hook %d; want 1 and 0", starts, ends)
	}
}

// TestHeldPrepareFails: a statement the driver skips (driver.ErrSkip) and
// that then fails to prepare gives one ERROR span, the one started for
// it, whose id its comment carries, and one call of each hook, with the
// method the start hook saw.
func TestHeldPrepareFails(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	var methods []sqlx.Method
	db := sqlx.OpenDB(connectorFor(hookDriver{skip: true}), sqlx.WithTracerProvider(tp), sqlx.WithSystem("mysql"), sqlx.WithMetrics(false),
		sqlx.WithStartHook(func(_ context.Context, s sqlx.Statement) []attribute.KeyValue {
			methods = append(methods, s.Method)
			return nil
		}),
		sqlx.WithEndHook(func(_ trace.Span, s sqlx.Statement, _ int64, err error) {
			if !errors.Is(err, errHookFail) {
				t.Errorf("end hook error %v", err)
			}
			methods = append(methods, s.Method)
		}))
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "DELETE FROM BADPREP WHERE id = ?", 1); !errors.Is(err, errHookFail) {
		t.Fatalf("err = %v", err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Status.Code != codes.Error {
		t.Fatalf("spans %v, want one ERROR span", spans)
	}
	if fmt.Sprint(methods) != "[exec exec]" {
		t.Errorf("hook methods %v, want [exec exec]", methods)
	}
}
