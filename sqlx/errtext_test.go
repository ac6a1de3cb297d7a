package sqlx

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func nv(vals ...any) []driver.NamedValue {
	out := make([]driver.NamedValue, len(vals))
	for i, v := range vals {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

// TestScrubErrorText checks the rule of errorText on the messages the
// servers write (the texts are MariaDB's, PostgreSQL's and SQLite's own),
// at and beyond the edges of minEcho and of the delimiters.
func TestScrubErrorText(t *testing.T) {
	tests := []struct {
		name     string
		msg      string
		query    string
		args     []driver.NamedValue
		d        dialect
		sanitize bool
		want     string
	}{
		// Arguments, in every mode.
		{"mysql duplicate", "Error 1062 (23000): Duplicate entry 'S3cret' for key 'PRIMARY'", "INSERT INTO t VALUES (?)", nv("S3cret"), dialectMySQL, false,
			"Error 1062 (23000): Duplicate entry '?' for key 'PRIMARY'"},
		{"mysql bad integer", "Error 1366 (22007): Incorrect integer value: 'S3cret' for column `test`.`t`.`n` at row 1", "INSERT INTO t (n) VALUES (?)", nv("S3cret"), dialectMySQL, false,
			"Error 1366 (22007): Incorrect integer value: '?' for column `test`.`t`.`n` at row 1"},
		{"mysql cut echo", "Error 1062 (23000): Duplicate entry 'S3cretS3cr' for key 'PRIMARY'", "INSERT INTO t VALUES (?)", nv("S3cretS3cretS3cret"), dialectMySQL, false,
			"Error 1062 (23000): Duplicate entry '?' for key 'PRIMARY'"},
		{"postgres bad integer", `ERROR: invalid input syntax for type integer: "S3cret" (SQLSTATE 22P02)`, "INSERT INTO t VALUES ($1)", nv("S3cret"), dialectPostgres, false,
			`ERROR: invalid input syntax for type integer: "?" (SQLSTATE 22P02)`},
		{"postgres detail", `Key (id)=(4711) already exists.`, "INSERT INTO t VALUES ($1)", nv(int64(4711)), dialectPostgres, false,
			`Key (id)=(?) already exists.`},
		{"short arg quoted", "Duplicate entry '42' for key 'PRIMARY'", "INSERT INTO t VALUES (?)", nv(int64(42)), dialectMySQL, false,
			"Duplicate entry '?' for key 'PRIMARY'"},
		{"short arg inside a word stays", "Error 1062 (23000): x", "", nv(int64(10)), dialectMySQL, false,
			"Error 1062 (23000): x"},
		{"three bytes, not delimited", "abcxyz", "", nv("abc"), dialectMySQL, false, "abcxyz"},
		{"four bytes, anywhere", "xxabcdyy", "", nv("abcdzzzz"), dialectMySQL, false, "xx?yy"},
		{"bytes arg", "Duplicate entry 'raw-bytes' for key", "", nv([]byte("raw-bytes")), dialectMySQL, false, "Duplicate entry '?' for key"},
		{"float arg", "value 1.25e+300 out of range", "", nv(1.25e300), dialectMySQL, false, "value ? out of range"},
		{"time arg", "Duplicate entry '2026-12-01 10:00:00' for key", "", nv(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)), dialectMySQL, false, "Duplicate entry '?' for key"},
		{"uint arg", "Duplicate entry '18446744073709551615'", "", nv(uint64(1<<64 - 1)), dialectMySQL, false, "Duplicate entry '?'"},
		{"no args, no sanitising: as is", "near 'pw = 'S3cret'' at line 1", "SELECT 1 WHERE pw = 'S3cret'", nil, dialectMySQL, false, "near 'pw = 'S3cret'' at line 1"},
		{"longest match wins", "entry 'S3cretS3cret'", "", nv("S3cret", "S3cretS3cret"), dialectMySQL, false, "entry '?'"},
		// Literals, with sanitising on.
		{"mysql near", "Error 1064 (42000): You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'FROM litb WHERE pw = 'S3cret'' at line 1",
			"SELECT * * FROM litb WHERE pw = 'S3cret'", nil, dialectMySQL, true,
			"Error 1064 (42000): You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'FROM litb WHERE pw = ?' at line 1"},
		{"mysql near, cut inside the literal", "near 'WHERE pw = 'S3cr' at line 1", "SELECT * * FROM litb WHERE pw = 'S3cretS3cret'", nil, dialectMySQL, true,
			"near 'WHERE pw = ?' at line 1"},
		{"mysql duplicate literal", "Duplicate entry 'S3cret' for key 'PRIMARY'", "INSERT INTO t VALUES ('S3cret')", nil, dialectMySQL, true,
			"Duplicate entry ? for key ?"},
		{"postgres literal", `invalid input syntax for type integer: "S3cret"`, "SELECT 'S3cret'::int", nil, dialectPostgres, true,
			`invalid input syntax for type integer: "?"`},
		{"postgres dollar literal", `invalid input syntax for type integer: "S3cret"`, "SELECT $q$S3cret$q$::int", nil, dialectPostgres, true,
			`invalid input syntax for type integer: "?"`},
		{"sqlite near", `SQL logic error: near "'S3cret'": syntax error (1)`, "SELECT 'S3cret' 'x'", nil, dialectSQLite, true,
			`SQL logic error: near "?": syntax error (1)`},
		{"doubled quote literal", "Duplicate entry 'it's S3cret' for key", "INSERT INTO t VALUES ('it''s S3cret')", nil, dialectMySQL, true,
			"Duplicate entry ? for key"},
		{"a value the server computed", "Duplicate entry 'S3-cret' for key", "INSERT INTO t VALUES (CONCAT('S3', '-cret'))", nil, dialectMySQL, true,
			"Duplicate entry ? for key"},
		{"quoted text of the statement stays", "Table 'test.nosuch' doesn't exist", "SELECT * FROM test.nosuch WHERE a = 'x'", nil, dialectMySQL, true,
			"Table 'test.nosuch' doesn't exist"},
		{"quoted text not in the statement goes", "Table 'test.other' doesn't exist", "SELECT * FROM nosuch", nil, dialectMySQL, true,
			"Table ? doesn't exist"},
		{"unterminated quote runs to the end", "near 'S3cret", "SELECT 1", nil, dialectMySQL, true, "near ?"},
		{"apostrophe inside a word is no quote", "doesn't exist", "SELECT 1", nil, dialectMySQL, true, "doesn't exist"},
		{"unknown system: an identifier stays", "near 'S3cret'", `SELECT "S3cret"`, nil, dialectOther, true, "near 'S3cret'"},
		{"unknown system: a literal goes", "near 'S3cret'", `SELECT 'S3cret'`, nil, dialectOther, true, "near ?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scrubErrorText(tt.msg, tt.query, tt.args, tt.d, tt.sanitize, func() string { return sanitize(tt.query, tt.d) })
			if got != tt.want {
				t.Errorf("scrubErrorText(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
			}
		})
	}
}

// FuzzScrubErrorText plants a marker as an argument and as a literal of
// the statement inside an arbitrary message, cut anywhere after minEcho
// bytes and quoted any way: neither the marker nor its first minEcho
// bytes may survive, in any mode (the literal only with sanitising on).
func FuzzScrubErrorText(f *testing.F) {
	f.Add("Duplicate entry '", "' for key 'PRIMARY'", uint8(20), true, uint8(0))
	f.Add("near 'WHERE pw = '", "'' at line 1", uint8(4), false, uint8(1))
	f.Add(`invalid input syntax for type integer: "`, `"`, uint8(7), true, uint8(2))
	f.Add("Key (id)=(", ") already exists", uint8(255), false, uint8(3))
	const marker = "Qz9MARKERqZ9"
	f.Fuzz(func(t *testing.T, before, after string, cut uint8, asArg bool, sys uint8) {
		n := minEcho + int(cut)%(len(marker)-minEcho+1)
		msg := before + marker[:n] + after
		d := []dialect{dialectMySQL, dialectPostgres, dialectSQLite, dialectOther}[int(sys)%4]
		query := "INSERT INTO t VALUES (?)"
		var args []driver.NamedValue
		if asArg {
			args = nv(marker)
		} else {
			query = "INSERT INTO t VALUES ('" + marker + "')"
		}
		for _, on := range []bool{false, true} {
			if !asArg && !on {
				continue // the statement shows its literals anyway
			}
			got := scrubErrorText(msg, query, args, d, on, func() string { return sanitize(query, d) })
			if strings.Contains(got, marker[:minEcho]) {
				t.Fatalf("sanitize=%v dialect=%d: %q -> %q shows the marker", on, d, msg, got)
			}
		}
	})
}

// echoConn fails every statement with a message that echoes the
// statement's first argument and its text, as servers do.
type echoConn struct{ execConn }

func (echoConn) ExecContext(_ context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return nil, echoErr(q, args)
}

func (echoConn) QueryContext(_ context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if strings.Contains(q, "late") {
		return &lateRows{err: echoErr(q, args)}, nil
	}
	return nil, echoErr(q, args)
}

func (echoConn) Prepare(q string) (driver.Stmt, error) { return nil, echoErr(q, nil) }

func echoErr(q string, args []driver.NamedValue) error {
	var a any = ""
	if len(args) > 0 {
		a = args[0].Value
	}
	return fmt.Errorf("Error 1062 (23000): Duplicate entry '%v' for key 'PRIMARY'; near '%s' at line 1", a, q)
}

// lateRows fails on the first Next, as the PostgreSQL drivers may.
type lateRows struct{ err error }

func (*lateRows) Columns() []string           { return []string{"x"} }
func (*lateRows) Close() error                { return nil }
func (r *lateRows) Next([]driver.Value) error { return r.err }

type echoConnector struct{}

func (echoConnector) Connect(context.Context) (driver.Conn, error) { return echoConn{}, nil }
func (echoConnector) Driver() driver.Driver                        { return execDriver{} }

// noMarker fails when any exported byte of the spans (name, attributes,
// status, events, links) holds secret.
func noMarker(t *testing.T, spans tracetest.SpanStubs, secret string) {
	t.Helper()
	for _, s := range spans {
		if dump := fmt.Sprintf("%v %v %v %v %v", s.Name, s.Attributes, s.Status, s.Events, s.Links); strings.Contains(dump, secret) {
			t.Errorf("span %q shows %q: %s", s.Name, secret, dump)
		}
	}
}

// TestErrorTextScrubbed runs failing statements through OpenDB and checks
// every exported byte: a bound argument never shows, in any mode and any
// path (exec, query, rows, prepare, otelsql's prepare span); a literal
// does not show with sanitising on.
func TestErrorTextScrubbed(t *testing.T) {
	const secret = "Qx7ArgValue"
	const lit = "Lw4LitValue"
	for _, sanitizeOn := range []bool{false, true} {
		for _, extra := range []Extra{0, ExtraPrepare | ExtraRows} {
			t.Run(fmt.Sprintf("sanitize=%v/extra=%d", sanitizeOn, extra), func(t *testing.T) {
				exp := tracetest.NewInMemoryExporter()
				tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
				db := OpenDB(echoConnector{}, WithTracerProvider(tp), WithSystem("mysql"), WithSanitizeLiterals(sanitizeOn), WithExtraSpans(extra))
				defer db.Close()
				ctx := context.Background()
				if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (?, 'Lw4LitValue')", secret); err == nil || !strings.Contains(err.Error(), secret) {
					t.Fatalf("exec: %v; want the driver's own error", err)
				}
				if _, err := db.QueryContext(ctx, "SELECT * FROM t WHERE a = ? AND b = 'Lw4LitValue'", secret); err == nil {
					t.Fatal("query succeeded")
				}
				rows, err := db.QueryContext(ctx, "SELECT late FROM t WHERE a = ? AND b = 'Lw4LitValue'", secret)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
				}
				if rows.Err() == nil {
					t.Fatal("rows.Err() = nil")
				}
				_ = rows.Close()
				if _, err := db.PrepareContext(ctx, "SELECT * * FROM t WHERE b = 'Lw4LitValue'"); err == nil {
					t.Fatal("prepare succeeded")
				}
				spans := exp.GetSpans()
				errored := 0
				for _, s := range spans {
					if s.Status.Code == codes.Error {
						errored++
					}
				}
				if want := 4; errored < want {
					t.Errorf("%d ERROR spans, want at least %d", errored, want)
				}
				noMarker(t, spans, secret[:minEcho+1])
				if sanitizeOn {
					noMarker(t, spans, lit[:minEcho+1])
				}
			})
		}
	}
}

// TestErrorTextPlain checks that an error without anything to scrub is
// recorded by the SDK's RecordError as before (same event, no copy).
func TestErrorTextPlain(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	db := OpenDB(plainErrConnector{}, WithTracerProvider(tp), WithSystem("mysql"), WithSanitizeLiterals(true))
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "DELETE FROM t WHERE id = ?", "abc"); err == nil {
		t.Fatal("exec succeeded")
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Status.Description != "driver: bad connection" || len(spans[0].Events) != 1 {
		t.Fatalf("spans %+v", spans)
	}
	got := map[string]string{}
	for _, kv := range spans[0].Events[0].Attributes {
		got[string(kv.Key)] = kv.Value.String()
	}
	if got["exception.message"] != "driver: bad connection" || got["exception.type"] != "*errors.errorString" {
		t.Errorf("exception attributes %v", got)
	}
}

type plainErrConnector struct{}

func (plainErrConnector) Connect(context.Context) (driver.Conn, error) { return plainErrConn{}, nil }
func (plainErrConnector) Driver() driver.Driver                        { return execDriver{} }

type plainErrConn struct{ execConn }

var errPlain = errors.New("driver: bad connection")

func (plainErrConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return nil, errPlain
}

var _ io.Closer = (*lateRows)(nil)
