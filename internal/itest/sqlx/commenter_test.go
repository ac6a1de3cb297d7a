package sqlx_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/sqlx"
)

// The sqlcommenter on real servers: the commented statements run (with
// and without arguments, with a trailing ;), a statement with an
// executable comment runs unchanged, and the comment with the traceparent
// of the statement's own span (the one exported, a child of the caller's)
// is what the server shows for the statement while it runs. A statement
// prepared with Prepare carries its preparer's span instead: it is sent
// once, before any of its runs.

type commenterCase struct {
	b backend
	// sleep runs for about a second; watch returns the text of the
	// other sessions' statements that contain marker.
	sleep string
	watch string
}

func runCommenter(t *testing.T, c commenterCase) {
	b := c.b
	h := newHarness(t, b, sqlx.WithSQLCommenter(true), sqlx.WithSQLCommenterOptions(sqlx.SQLCommenterOptions{InAttributes: true}))
	tp := func(sc trace.SpanContext) string {
		return "traceparent='00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01'"
	}
	want := tp(h.root.SpanContext()) // the preparer's

	var n int
	if err := h.db.QueryRowContext(h.ctx, b.sql("SELECT ? + 1"), 41).Scan(&n); err != nil || n != 42 {
		t.Fatalf("with an argument: %d, %v", n, err)
	}
	if err := h.db.QueryRowContext(h.ctx, "SELECT 2;").Scan(&n); err != nil || n != 2 {
		t.Fatalf("with a trailing ;: %d, %v", n, err)
	}
	stmt, err := h.db.PrepareContext(h.ctx, b.sql("SELECT ? + 2"))
	if err != nil {
		t.Fatal(err)
	}
	if err := stmt.QueryRowContext(h.ctx, 1).Scan(&n); err != nil || n != 3 {
		t.Fatalf("prepared: %d, %v", n, err)
	}
	_ = stmt.Close()
	spans := h.spans()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	for i, s := range spans {
		w := tp(s.SpanContext) // the statement's own span
		if i == 2 {
			w = want // prepared with Prepare
		}
		st, _ := attrMap(s.Attributes)["db.statement"].(string)
		if !strings.Contains(st, w) || !strings.Contains(st, "db_driver=") {
			t.Errorf("db.statement %q lacks the comment %s", st, w)
		}
		if s.Parent.SpanID() != h.root.SpanContext().SpanID() {
			t.Errorf("span %s: parent %s, want the caller's", s.Name, s.Parent.SpanID())
		}
	}
	// The statement cache keys on the statement without the comment:
	// the span name and operation are the statement's, and db.statement
	// without InAttributes is the statement as written.
	plain := newHarness(t, b, sqlx.WithSQLCommenter(true))
	for range 2 {
		if err := plain.db.QueryRowContext(plain.ctx, b.sql("SELECT ? + 1"), 1).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range plain.spans() {
		if st := attrMap(s.Attributes)["db.statement"]; st != b.sql("SELECT ? + 1") {
			t.Errorf("without InAttributes: db.statement %q", st)
		}
	}

	if b.system == "mysql" {
		// Executable comments are left alone and still run.
		if err := h.db.QueryRowContext(h.ctx, "SELECT /*!50000 5 */").Scan(&n); err != nil || n != 5 {
			t.Fatalf("/*!: %d, %v", n, err)
		}
		if err := h.db.QueryRowContext(h.ctx, "SELECT /*M!100000 6 */").Scan(&n); err != nil || n != 6 {
			t.Fatalf("/*M!: %d, %v", n, err)
		}
		for _, s := range h.spans() {
			if st := attrMap(s.Attributes)["db.statement"].(string); strings.Contains(st, "traceparent") {
				t.Errorf("commented an executable comment: %q", st)
			}
		}
	}
	if c.sleep == "" {
		return
	}

	// Visible server-side, from a second, untraced connection.
	other, err := sql.Open(b.driver, b.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.db.ExecContext(h.ctx, c.sleep)
		done <- err
	}()
	var seen []string
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && len(seen) == 0 {
		rows, err := other.QueryContext(context.Background(), c.watch)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var q string
			if err := rows.Scan(&q); err != nil {
				t.Fatal(err)
			}
			seen = append(seen, q)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatalf("%s: %v", c.sleep, err)
	}
	for _, s := range h.spans() {
		if st, _ := attrMap(s.Attributes)["db.statement"].(string); strings.HasPrefix(st, c.sleep) {
			want = tp(s.SpanContext) // the exported span of the statement
		}
	}
	if len(seen) != 1 || !strings.HasPrefix(seen[0], c.sleep+" /*db_driver=") || !strings.Contains(seen[0], want) || !strings.HasSuffix(seen[0], "*/") {
		t.Fatalf("server shows %q, want %q with %s", seen, c.sleep, want)
	}
	t.Logf("server shows: %s", seen[0])
}

func TestCommenterSQLite(t *testing.T) { runCommenter(t, commenterCase{b: sqliteBackend(t)}) }

func TestCommenterMariaDB(t *testing.T) {
	runCommenter(t, commenterCase{
		b:     mariaDBBackend(t),
		sleep: "SELECT SLEEP(1)",
		watch: "SELECT INFO FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE 'SELECT SLEEP(1)%'",
	})
}

func TestCommenterPostgreSQL(t *testing.T) {
	runCommenter(t, commenterCase{
		b:     postgresBackend(t),
		sleep: "SELECT pg_sleep(1)",
		watch: "SELECT query FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE 'SELECT pg_sleep(1)%'",
	})
}

// The route, endpoint name (controller) and framework of an httpx server
// span reach the comment of a statement run in the handler, with the
// traceparent of the statement's span, the handler span's child.
func TestCommenterRouteFromHTTPX(t *testing.T) {
	b := sqliteBackend(t)
	h := newHarness(t, b, sqlx.WithSQLCommenter(true), sqlx.WithSQLCommenterOptions(sqlx.SQLCommenterOptions{InAttributes: true, OmitDBDriver: true}))
	mux := httpx.NewServeMux(httpx.WithTracerProvider(h.tp))
	var handler trace.SpanContext
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		handler = trace.SpanContextFromContext(r.Context())
		var n int
		if err := h.db.QueryRowContext(r.Context(), "SELECT 1").Scan(&n); err != nil {
			t.Error(err)
		}
	})
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/users/7", nil))
	var got []string
	var want string
	for _, s := range h.spans() {
		if st, ok := attrMap(s.Attributes)["db.statement"].(string); ok {
			got = append(got, st)
			if s.Parent.SpanID() != handler.SpanID() {
				t.Errorf("statement span's parent %s, want the handler's %s", s.Parent.SpanID(), handler.SpanID())
			}
			want = "SELECT 1 /*controller='get_users_id',driver_paramstyle='qmark',framework='net%2Fhttp%3A" + url.QueryEscape(runtime.Version()) +
				"',route='%2Fusers%2F%7Bid%7D',traceparent='00-" + s.SpanContext.TraceID().String() + "-" + s.SpanContext.SpanID().String() + "-01'*/"
		}
	}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("db.statement %q, want %q", got, want)
	}
}
