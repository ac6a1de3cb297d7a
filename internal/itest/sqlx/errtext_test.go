package sqlx_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit/sqlx"
)

// The planted secrets: a bound argument, which no span may show in any
// mode, and a literal of the statement, which no span may show with
// WithSanitizeLiterals(true).
const (
	boundSecret   = "Zk8BoundSecret"
	literalSecret = "Lq5LiteralSecret"
)

// exported renders every byte of a span that an exporter sends: name,
// kind, attributes, status, events, links.
func exported(s tracetest.SpanStub) string {
	return fmt.Sprintf("%s %v %v %v %v %v", s.Name, s.SpanKind, s.Attributes, s.Status, s.Events, s.Links)
}

// runErrorText makes the server fail in the three ways that echo what it
// was sent (a syntax error near a literal, a duplicate key from a bound
// argument, a bad integer from a bound argument), with sanitising on and
// off and with otelsql's prepare span on and off, and checks every
// exported byte. The errors the driver returns must hold the secrets
// (else the test proves nothing).
func runErrorText(t *testing.T, b backend, pwType, strict string) {
	for _, sanitizeOn := range []bool{false, true} {
		for _, extra := range []sqlx.Extra{0, sqlx.ExtraPrepare | sqlx.ExtraRows} {
			t.Run(fmt.Sprintf("sanitize=%v/extra=%d", sanitizeOn, extra), func(t *testing.T) {
				h := newHarness(t, b, sqlx.WithSanitizeLiterals(sanitizeOn), sqlx.WithExtraSpans(extra))
				ctx := h.ctx
				table := fmt.Sprintf("errt_%d", time.Now().UnixNano())
				if _, err := h.db.ExecContext(ctx, "CREATE TABLE "+table+" (pw "+pwType+" PRIMARY KEY, n INTEGER)"+strict); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _, _ = h.db.ExecContext(context.Background(), "DROP TABLE "+table) })
				if _, err := h.db.ExecContext(ctx, b.sql("INSERT INTO "+table+" (pw, n) VALUES (?, ?)"), boundSecret, 1); err != nil {
					t.Fatal(err)
				}
				if _, err := h.db.ExecContext(ctx, "INSERT INTO "+table+" (pw, n) VALUES ('"+literalSecret+"', 0)"); err != nil {
					t.Fatal(err)
				}
				h.spans()

				var echoed []string // the driver errors that show a secret
				failed := 0
				fail := func(step string, err error) {
					t.Helper()
					if err == nil {
						t.Fatalf("%s: no error", step)
					}
					failed++
					t.Logf("%s: %v", step, err)
					if strings.Contains(err.Error(), boundSecret) || strings.Contains(err.Error(), literalSecret) {
						echoed = append(echoed, step)
					}
				}
				// A syntax error near a literal, with and without a
				// bound argument (a prepared statement that fails).
				// SQLite names the token it stopped at: a literal after
				// a literal.
				bad := "SELECT * * FROM " + table + " WHERE pw = "
				if b.system == "sqlite" {
					bad = "SELECT pw FROM " + table + " WHERE pw = 'x' "
				}
				_, err := h.db.ExecContext(ctx, bad+"'"+literalSecret+"'")
				fail("syntax near a literal", err)
				_, err = h.db.ExecContext(ctx, b.sql(bad+"'"+literalSecret+"' OR pw = ?"), boundSecret)
				fail("syntax near a literal, with an argument", err)
				// A duplicate key from a bound argument; from a literal.
				_, err = h.db.ExecContext(ctx, b.sql("INSERT INTO "+table+" (pw, n) VALUES (?, ?)"), boundSecret, 2)
				fail("duplicate key from an argument", err)
				_, err = h.db.ExecContext(ctx, "INSERT INTO "+table+" (pw, n) VALUES ('"+literalSecret+"', 3)")
				fail("duplicate key from a literal", err)
				// A bad integer from a bound argument; from a literal.
				_, err = h.db.ExecContext(ctx, b.sql("INSERT INTO "+table+" (pw, n) VALUES (?, ?)"), "other", boundSecret)
				fail("bad integer from an argument", err)
				_, err = h.db.ExecContext(ctx, "INSERT INTO "+table+" (pw, n) VALUES ('other2', '"+literalSecret+"')")
				fail("bad integer from a literal", err)
				// The same through a query, whose error may come with the
				// rows (MariaDB compares with a warning: no error).
				rows, err := h.db.QueryContext(ctx, b.sql("SELECT pw FROM "+table+" WHERE n = ?"), boundSecret)
				if err == nil {
					for rows.Next() {
					}
					err = rows.Err()
					_ = rows.Close()
				}
				if err != nil || b.system == "postgresql" {
					fail("bad integer in a query", err)
				}

				spans := h.spans()
				errored := 0
				for _, s := range spans {
					if s.Status.Code == codes.Error {
						errored++
					}
					dump := exported(s)
					if strings.Contains(dump, boundSecret[:5]) {
						t.Errorf("span %q shows the bound argument: %s", s.Name, dump)
					}
					if sanitizeOn && strings.Contains(dump, literalSecret[:5]) {
						t.Errorf("span %q shows the literal: %s", s.Name, dump)
					}
				}
				if errored < failed {
					t.Errorf("%d ERROR spans, want at least %d", errored, failed)
				}
				if len(echoed) == 0 {
					t.Error("no driver error shows a secret: the test proves nothing")
				}
				t.Logf("errors that echo a secret: %v", echoed)
			})
		}
	}
}

func TestErrorTextSQLite(t *testing.T) { runErrorText(t, sqliteBackend(t), "TEXT", " STRICT") }
func TestErrorTextMariaDB(t *testing.T) {
	runErrorText(t, mariaDBBackend(t), "VARCHAR(64)", "")
}
func TestErrorTextPostgreSQL(t *testing.T) {
	runErrorText(t, postgresBackend(t), "VARCHAR(64)", "")
}
