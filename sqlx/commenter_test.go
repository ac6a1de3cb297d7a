package sqlx

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/reqinfo"
)

func TestFormatComment(t *testing.T) {
	tests := []struct {
		kv   [][2]string
		want string
	}{
		{nil, ""},
		{[][2]string{{"route", "/polls 1000"}}, `/*route='%2Fpolls%201000'*/`},
		// Sorted by key; the spec's example values.
		{[][2]string{
			{"traceparent", "00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01"},
			{"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
			{"action", "run+this & that"},
			{"controller", "index"},
			{"framework", "spring"},
		}, `/*action='run%2Bthis%20%26%20that',controller='index',framework='spring',` +
			`traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01',` +
			`tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'*/`},
		{[][2]string{{"k'ey", "it's"}}, `/*k\'ey='it\'s'*/`},
		{[][2]string{{"a", "*/ ? $1 :x @y \\ é"}}, `/*a='%2A%2F%20%3F%20%241%20%3Ax%20%40y%20%5C%20%C3%A9'*/`},
	}
	for _, tt := range tests {
		if got := formatComment(tt.kv); got != tt.want {
			t.Errorf("formatComment(%q)\n got %s\nwant %s", tt.kv, got, tt.want)
		}
	}
}

// safeComment is what every comment must look like: pairs of unreserved
// or %XX (or \' ) text, nothing a server or driver could read as the end
// of the comment, a quote or a placeholder.
var safeComment = regexp.MustCompile(`^/\*([A-Za-z0-9._~%-]|\\')+='([A-Za-z0-9._~%-]|\\')*'(,([A-Za-z0-9._~%-]|\\')+='([A-Za-z0-9._~%-]|\\')*')*\*/$`)

func FuzzFormatComment(f *testing.F) {
	f.Add("route", "/a/{id}*/ DROP TABLE x; --")
	f.Add("k", "'\x00?$1:@#")
	f.Fuzz(func(t *testing.T, k, v string) {
		if k == "" {
			return
		}
		c := formatComment([][2]string{{k, v}, {"z", "MARKER*/"}})
		if !safeComment.MatchString(c) {
			t.Fatalf("unsafe comment %q", c)
		}
		if strings.Count(c, "*/") != 1 || strings.Contains(c, "MARKER*/") {
			t.Fatalf("comment %q can be closed early", c)
		}
	})
}

func TestCommentable(t *testing.T) {
	tests := []struct {
		system, query string
		want          bool
	}{
		{"mysql", "SELECT 1", true},
		{"mysql", "SELECT 'a;b' FROM t;", true},
		{"mysql", "", false},
		{"mysql", " ; ", false},
		// Statements that hold a comment already (sqlcommenter's rule),
		// the comments the server executes among them.
		{"mysql", "/*!40101 SET NAMES utf8 */", false},
		{"mysql", "SELECT /*M!100000 1, */ 2", false},
		{"mysql", "SELECT 1 /* note */", false},
		{"mysql", "SELECT 1 -- note", false},
		{"mysql", "SELECT 1 # note", false},
		{"mysql", "SELECT '#'", false},       // conservative: a # anywhere
		{"postgresql", "SELECT 1 # 2", true}, // # is an operator there
		{"other_sql", "SELECT 1 # 2", false},
		{"postgresql", "SELECT 1 --x", false},
		{"sqlite", "SELECT 1 */", false},
		// Never inside a literal or quoted name the statement leaves open.
		{"mysql", "SELECT 'abc", false},
		{"mysql", `SELECT 'ab\'`, false},
		{"mysql", `SELECT 'ab\\'`, true},
		{"mysql", `SELECT "abc`, false},
		{"mysql", "SELECT `abc", false},
		{"postgresql", `SELECT "abc`, false},
		{"postgresql", `SELECT 'ab\'`, true}, // standard strings: \ is no escape
		{"postgresql", `SELECT E'ab\'`, false},
		{"postgresql", "SELECT $$abc", false},
		{"postgresql", "SELECT $tag$abc$tag$", true},
		{"postgresql", "SELECT $tag$abc$ta", false},
		{"postgresql", "SELECT $1", true},
		{"sqlite", "SELECT [abc", false},
		{"sqlite", "SELECT [abc]", true},
		{"oracle", "SELECT q'[abc", false},
		{"oracle", "SELECT q'[abc]'", true},
		{"oracle", "SELECT q'01'", false}, // the delimiter is 0: open
		{"oracle", "SELECT q'0x0'", true},
	}
	for _, tt := range tests {
		if got := commentable(tt.query, dialectOf(tt.system)); got != tt.want {
			t.Errorf("commentable(%s, %q) = %v, want %v", tt.system, tt.query, got, tt.want)
		}
	}
}

func TestInsertComment(t *testing.T) {
	const c = "/*k='v'*/"
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1 /*k='v'*/"},
		{"SELECT 1;", "SELECT 1 /*k='v'*/;"},
		{"SELECT 1 ;\n", "SELECT 1 /*k='v'*/ ;\n"},
		{"SELECT 1;;", "SELECT 1 /*k='v'*/;;"},
		{"SELECT 1\n", "SELECT 1 /*k='v'*/\n"},
		{"SELECT 1; SELECT 2", "SELECT 1; SELECT 2 /*k='v'*/"},
		{"SELECT ';'", "SELECT ';' /*k='v'*/"},
	}
	for _, tt := range tests {
		if got := insertComment(tt.in, c); got != tt.want {
			t.Errorf("insertComment(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := insertComment("SELECT 1", ""); got != "SELECT 1" {
		t.Errorf("empty comment changed the statement: %q", got)
	}
}

type handlerFunc func(error)

func (f handlerFunc) Handle(err error) { f(err) }

func TestCommenterEnv(t *testing.T) {
	var mu sync.Mutex
	var warnings []string
	otel.SetErrorHandler(handlerFunc(func(err error) {
		mu.Lock()
		warnings = append(warnings, err.Error())
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(handlerFunc(func(error) {})) })
	for _, tt := range []struct {
		value string
		want  bool
		warn  bool
	}{
		{"", false, false},
		{"true", true, false},
		{" TRUE ", true, false},
		{"false", false, false},
		{"False", false, false},
		{"yes", false, true},
		{"1", false, true},
	} {
		warnings = nil
		t.Setenv(envSQLCommenter, tt.value)
		if got := newConfig(nil).commenter; got != tt.want {
			t.Errorf("%s=%q: commenter %v, want %v", envSQLCommenter, tt.value, got, tt.want)
		}
		newConfig(nil) // a second read does not warn again
		if tt.warn {
			if len(warnings) != 1 || !strings.Contains(warnings[0], envSQLCommenter) || !strings.Contains(warnings[0], `"`+strings.TrimSpace(tt.value)+`"`) {
				t.Errorf("%s=%q: warnings %q, want one naming the variable and value", envSQLCommenter, tt.value, warnings)
			}
		} else if len(warnings) != 0 {
			t.Errorf("%s=%q: unexpected warnings %q", envSQLCommenter, tt.value, warnings)
		}
		// The option wins over the variable, either way.
		if got := newConfig([]Option{WithSQLCommenter(!tt.want)}).commenter; got != !tt.want {
			t.Errorf("%s=%q: WithSQLCommenter(%v) lost", envSQLCommenter, tt.value, !tt.want)
		}
	}
}

// captureDriver records the statements it is sent.
type captureDriver struct {
	mu   sync.Mutex
	sent []string
	skip bool // answer ErrSkip to statements with arguments, as go-sql-driver/mysql does
}

type captureConn struct{ d *captureDriver }
type captureStmt struct{ c captureConn }
type captureRows struct{ done bool }

func (d *captureDriver) Open(string) (driver.Conn, error) { return captureConn{d}, nil }
func (d *captureDriver) record(q string) {
	d.mu.Lock()
	d.sent = append(d.sent, q)
	d.mu.Unlock()
}
func (d *captureDriver) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.sent
	d.sent = nil
	return s
}
func (c captureConn) Prepare(q string) (driver.Stmt, error) {
	c.d.record(q)
	return captureStmt{c}, nil
}
func (c captureConn) Close() error              { return nil }
func (c captureConn) Begin() (driver.Tx, error) { return nil, errors.New("no tx") }
func (c captureConn) ExecContext(_ context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if c.d.skip && len(args) > 0 {
		return nil, driver.ErrSkip
	}
	c.d.record(q)
	return driver.RowsAffected(1), nil
}
func (c captureConn) QueryContext(_ context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if c.d.skip && len(args) > 0 {
		return nil, driver.ErrSkip
	}
	c.d.record(q)
	return &captureRows{}, nil
}
func (s captureStmt) Close() error                               { return nil }
func (s captureStmt) NumInput() int                              { return -1 }
func (s captureStmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(1), nil }
func (s captureStmt) Query([]driver.Value) (driver.Rows, error)  { return &captureRows{}, nil }
func (r *captureRows) Columns() []string                         { return []string{"x"} }
func (r *captureRows) Close() error                              { return nil }
func (r *captureRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0] = int64(1)
	return nil
}

type captureConnector struct{ d *captureDriver }

func (c captureConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open("") }
func (c captureConnector) Driver() driver.Driver                        { return c.d }

var commentRE = regexp.MustCompile(`^SELECT 1 /\*db_driver='github.com%2Fotelkit%2Fotelkit%2Fsqlx',driver_paramstyle='qmark',` +
	`traceparent='00-([0-9a-f]{32})-([0-9a-f]{16})-0([01])'\*/$`)

func TestCommenterStatements(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	ctx, root := tp.Tracer("t").Start(context.Background(), "root")
	defer root.End()
	for _, skip := range []bool{false, true} {
		exp.Reset()
		d := &captureDriver{skip: skip}
		db := OpenDB(captureConnector{d}, WithTracerProvider(tp), WithSystem("mysql"), WithSQLCommenter(true), WithMetrics(false))
		var x int
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&x); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "SELECT 1", 7); err != nil { // via Prepare when skip
			t.Fatal(err)
		}
		sent := d.take()
		if len(sent) != 2 {
			t.Fatalf("skip=%v: sent %q", skip, sent)
		}
		spans := exp.GetSpans()
		exp.Reset()
		if len(spans) != 2 {
			for _, s := range spans {
				t.Logf("%s %v %v", s.Name, s.Attributes, s.Events)
			}
			t.Fatalf("skip=%v: %d spans, want 2 (none left empty by driver.ErrSkip)", skip, len(spans))
		}
		for i, q := range sent {
			m := commentRE.FindStringSubmatch(q)
			if m == nil {
				t.Fatalf("skip=%v: sent %q", skip, q)
			}
			// The rule: the traceparent is the statement's own span,
			// a child of the caller's.
			s := spans[i]
			if m[1] != root.SpanContext().TraceID().String() || m[2] != s.SpanContext.SpanID().String() || m[3] != "1" {
				t.Errorf("skip=%v: traceparent of %q is not the statement's span %s", skip, q, s.SpanContext.SpanID())
			}
			if s.Parent.SpanID() != root.SpanContext().SpanID() {
				t.Errorf("skip=%v: statement span's parent %s, want the caller's %s", skip, s.Parent.SpanID(), root.SpanContext().SpanID())
			}
		}
		// Unsampled: still commented, with flags 00 and a span id that
		// is not the caller's (the unsampled statement span's).
		uctx := trace.ContextWithSpanContext(context.Background(), root.SpanContext().WithTraceFlags(0))
		if _, err := db.ExecContext(uctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		if q := d.take(); len(q) != 1 || !strings.HasSuffix(q[0], "-00'*/") || strings.Contains(q[0], root.SpanContext().SpanID().String()) {
			t.Errorf("unsampled: sent %q", q)
		}
		// No caller span: the statement's span is a root, and the
		// comment names it.
		if _, err := db.ExecContext(context.Background(), "SELECT 1;"); err != nil {
			t.Fatal(err)
		}
		rootSpans := exp.GetSpans()
		exp.Reset()
		if len(rootSpans) != 1 {
			t.Fatalf("no caller span: %d spans", len(rootSpans))
		}
		want := "SELECT 1 /*db_driver='github.com%2Fotelkit%2Fotelkit%2Fsqlx',driver_paramstyle='qmark',traceparent='" +
			traceparent(rootSpans[0].SpanContext) + "'*/;"
		if q := d.take(); len(q) != 1 || q[0] != want {
			t.Errorf("no caller span: sent %q, want %q", q, want)
		}
		// Left alone: a statement with a comment.
		if _, err := db.ExecContext(ctx, "/*!40101 SET NAMES utf8 */"); err != nil {
			t.Fatal(err)
		}
		if q := d.take(); len(q) != 1 || q[0] != "/*!40101 SET NAMES utf8 */" {
			t.Errorf("executable comment changed: %q", q)
		}
		_ = db.Close()
	}
	// The spans record the statement without the comment.
	for _, s := range exp.GetSpans() {
		for _, kv := range s.Attributes {
			if (kv.Key == "db.statement" || kv.Key == "db.query.text") && strings.Contains(kv.Value.AsString(), "db_driver") {
				t.Errorf("%s carries the comment: %q", kv.Key, kv.Value.AsString())
			}
		}
	}
}

func TestCommenterOptions(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	ctx, root := tp.Tracer("t").Start(context.Background(), "root")
	defer root.End()
	d := &captureDriver{}
	db := OpenDB(captureConnector{d}, WithTracerProvider(tp), WithSystem("postgresql"), WithSQLCommenter(true), WithMetrics(false),
		WithSQLCommenterOptions(SQLCommenterOptions{OmitDBDriver: true, OmitTraceparent: true, InAttributes: true}))
	defer db.Close()
	if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	const want = "SELECT 1 /*driver_paramstyle='numeric'*/"
	if q := d.take(); len(q) != 1 || q[0] != want {
		t.Errorf("sent %q, want %q", q, want)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	found := false
	for _, kv := range spans[0].Attributes {
		if kv.Key == "db.statement" {
			found = true
			if kv.Value.AsString() != want {
				t.Errorf("db.statement %q, want %q", kv.Value.AsString(), want)
			}
		}
	}
	if !found {
		t.Error("no db.statement")
	}

	// Everything omitted: no comment at all.
	db2 := OpenDB(captureConnector{d}, WithSQLCommenter(true), WithMetrics(false), WithSQLCommenterOptions(SQLCommenterOptions{
		OmitDBDriver: true, OmitTraceparent: true, OmitDriverParamstyle: true, OmitRoute: true}))
	defer db2.Close()
	if _, err := db2.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if q := d.take(); len(q) != 1 || q[0] != "SELECT 1" {
		t.Errorf("sent %q", q)
	}
	// Off (the default): the statement goes as it is.
	db3 := OpenDB(captureConnector{d}, WithMetrics(false))
	defer db3.Close()
	if _, err := db3.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if q := d.take(); len(q) != 1 || q[0] != "SELECT 1" {
		t.Errorf("off: sent %q", q)
	}
}

func TestCommenterRoute(t *testing.T) {
	d := &captureDriver{}
	db := OpenDB(captureConnector{d}, WithSystem("sqlite"), WithSQLCommenter(true), WithMetrics(false),
		WithSQLCommenterOptions(SQLCommenterOptions{OmitDBDriver: true, OmitDriverParamstyle: true}))
	defer db.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := db.ExecContext(r.Context(), "SELECT 1"); err != nil {
			t.Error(err)
		}
	})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, reqinfo.Attach(r, nil)) })
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/users/42", nil))
	want := "SELECT 1 /*framework='net%2Fhttp%3A" + runtime.Version() + "',route='%2Fusers%2F%7Bid%7D'*/"
	if q := d.take(); len(q) != 1 || q[0] != want {
		t.Errorf("sent %q, want %q", q, want)
	}
	if _, err := db.ExecContext(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if q := d.take(); len(q) != 1 || q[0] != "SELECT 1" {
		t.Errorf("outside a request: sent %q", q)
	}
}

func tokens(s string, d dialect) []token {
	l := lexer{s: s, rules: d.rules()}
	var out []token
	for {
		t := l.next()
		if t.kind == tokEOF {
			return out
		}
		out = append(out, t)
	}
}

// FuzzCommentPlacement checks the rule that an appended comment never
// changes a statement: whatever statement commentable accepts reads, with
// the comment, as the same tokens (the comment is read as a comment, not
// inside a literal or a name), and the comment appears once, whole.
func FuzzCommentPlacement(f *testing.F) {
	for _, s := range []string{"SELECT 1", "SELECT 'a;b';", `SELECT 'ab\'`, "SELECT $$x", "SELECT \"a", "SELECT [a", "SELECT 1 ; ", "SELECT q'[x]'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const c = "/*MARKER='x'*/"
		for _, sys := range []string{"mysql", "postgresql", "sqlite", "mssql", "oracle", "other_sql"} {
			d := dialectOf(sys)
			if !commentable(s, d) {
				continue
			}
			got := insertComment(s, c)
			if strings.Count(got, c) != 1 {
				t.Fatalf("%s: %q -> %q", sys, s, got)
			}
			a, b := tokens(s, d), tokens(got, d)
			if len(a) != len(b) {
				t.Fatalf("%s: %q -> %q: tokens %v, then %v", sys, s, got, a, b)
			}
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("%s: %q -> %q: token %q became %q", sys, s, got, a[i].text, b[i].text)
				}
			}
		}
	})
}

// namer gives every routed request the endpoint name of a fixed handler.
type namer string

func (n namer) EndpointName(*http.Request) string { return string(n) }

// TestCommenterController: under a request attached with a Namer, the
// comment holds controller (the endpoint name) and framework, and
// OmitController and OmitFramework leave them out one by one.
func TestCommenterController(t *testing.T) {
	fw := "framework='net%2Fhttp%3A" + strings.ReplaceAll(strings.ReplaceAll(runtime.Version(), " ", "%20"), "+", "%2B") + "'"
	for _, c := range []struct {
		opts SQLCommenterOptions
		want string
	}{
		{SQLCommenterOptions{}, "SELECT 1 /*controller='get_user',driver_paramstyle='qmark'," + fw + ",route='%2Fusers%2F%7Bid%7D'*/"},
		{SQLCommenterOptions{OmitController: true}, "SELECT 1 /*driver_paramstyle='qmark'," + fw + ",route='%2Fusers%2F%7Bid%7D'*/"},
		{SQLCommenterOptions{OmitFramework: true}, "SELECT 1 /*controller='get_user',driver_paramstyle='qmark',route='%2Fusers%2F%7Bid%7D'*/"},
		{SQLCommenterOptions{OmitController: true, OmitFramework: true, OmitRoute: true}, "SELECT 1 /*driver_paramstyle='qmark'*/"},
	} {
		d := &captureDriver{}
		c.opts.OmitDBDriver = true
		db := OpenDB(captureConnector{d}, WithSystem("sqlite"), WithSQLCommenter(true), WithMetrics(false), WithSQLCommenterOptions(c.opts))
		mux := http.NewServeMux()
		mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
			if _, err := db.ExecContext(r.Context(), "SELECT 1"); err != nil {
				t.Error(err)
			}
		})
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, reqinfo.Attach(r, namer("get_user"))) })
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/users/42", nil))
		if q := d.take(); len(q) != 1 || q[0] != c.want {
			t.Errorf("%+v: sent %q, want %q", c.opts, q, c.want)
		}
		_ = db.Close()
	}
}
