package sqlx

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestParseStatement(t *testing.T) {
	tests := []struct {
		query, op, table string
	}{
		{"SELECT * FROM messages WHERE user_id = ? ORDER BY created_at DESC", "SELECT", "messages"},
		{"select id from users", "SELECT", "users"},
		{"SELECT 1", "SELECT", ""},
		{"SELECT NOW() FROM DUAL", "SELECT", ""},
		{"SELECT a.id, b.name FROM orders a JOIN customers b ON a.cid = b.id", "SELECT", "orders"},
		{"SELECT * FROM orders o LEFT OUTER JOIN items i USING (order_id) WHERE o.id = 1", "SELECT", "orders"},
		{"SELECT * FROM a, b WHERE a.id = b.id", "SELECT", "a"},
		{"SELECT (SELECT COUNT(*) FROM likes l WHERE l.pid = p.id) AS n FROM posts p", "SELECT", "posts"},
		{"SELECT * FROM (SELECT * FROM users) AS u", "SELECT", ""},
		{"SELECT * FROM users WHERE id IN (SELECT user_id FROM bans)", "SELECT", "users"},
		{"SELECT * FROM `order items` WHERE 1", "SELECT", "order items"},
		{`SELECT * FROM "public"."Users"`, "SELECT", "public.Users"},
		{"SELECT * FROM shop.`orders`", "SELECT", "shop.orders"},
		{"SELECT * FROM [dbo].[Orders]", "SELECT", "dbo.Orders"},
		{"SELECT 'FROM x' AS s FROM real_table", "SELECT", "real_table"},
		{"SELECT \"FROM\" FROM t_quoted", "SELECT", "t_quoted"},
		{"/* leading */ SELECT * FROM commented", "SELECT", "commented"},
		{"-- line comment\nSELECT * FROM after_comment", "SELECT", "after_comment"},
		{"# mysql comment\n  select * from hash_comment", "SELECT", "hash_comment"},
		{"/* a */ /* b */ -- c\n DELETE FROM multi_comment WHERE id = 1", "DELETE", "multi_comment"},
		{"(SELECT id FROM paren_t)", "SELECT", "paren_t"},
		{"SELECT * FROM a UNION SELECT * FROM b", "SELECT", "a"},
		{"SELECT * FROM generate_series(1, 10)", "SELECT", ""},
		{"WITH recent AS (SELECT * FROM messages WHERE ts > ?) SELECT * FROM recent", "SELECT", ""},
		{"WITH recent AS (SELECT * FROM messages) SELECT * FROM users JOIN recent ON 1", "SELECT", "users"},
		{"WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t) SELECT n FROM t", "SELECT", ""},
		{"WITH a AS (SELECT 1), b AS MATERIALIZED (SELECT 2) SELECT * FROM events", "SELECT", "events"},
		{"WITH moved AS (DELETE FROM q RETURNING *) INSERT INTO archive SELECT * FROM moved", "INSERT", "archive"},
		{"INSERT INTO messages (user_id, body) VALUES (?, ?)", "INSERT", "messages"},
		{"insert ignore into `logs` values (1)", "INSERT", "logs"},
		{"INSERT LOW_PRIORITY INTO t_low VALUES (1)", "INSERT", "t_low"},
		{"INSERT t_nointo (a) VALUES (1)", "INSERT", "t_nointo"},
		{"INSERT INTO archive (id) SELECT id FROM messages WHERE old", "INSERT", "archive"},
		{"INSERT INTO counters (k, v) VALUES ('a', 1) ON DUPLICATE KEY UPDATE v = v + 1", "INSERT", "counters"},
		{"INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", "INSERT", "kv"},
		{"INSERT OR REPLACE INTO cache VALUES (?, ?)", "INSERT", "cache"},
		{"REPLACE INTO settings (k, v) VALUES (?, ?)", "REPLACE", "settings"},
		{"UPDATE users SET name = ? WHERE id = ?", "UPDATE", "users"},
		{"UPDATE LOW_PRIORITY IGNORE `acct` SET x = 1", "UPDATE", "acct"},
		{"UPDATE orders o JOIN customers c ON o.cid = c.id SET o.vip = 1", "UPDATE", "orders"},
		{"UPDATE a, b SET a.x = b.x WHERE a.id = b.id", "UPDATE", ""},
		{"DELETE FROM sessions WHERE expires < NOW()", "DELETE", "sessions"},
		{"DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id", "DELETE", ""},
		{"DELETE FROM t1, t2 USING t1 JOIN t2", "DELETE", ""},
		{"CREATE TABLE IF NOT EXISTS messages (id INT PRIMARY KEY)", "CREATE", "messages"},
		{"CREATE TEMPORARY TABLE tmp_x (id INT)", "CREATE", "tmp_x"},
		{"CREATE UNIQUE INDEX idx_email ON users (email)", "CREATE", "users"},
		{"CREATE VIEW v AS SELECT * FROM users", "CREATE", ""},
		{"DROP TABLE IF EXISTS messages", "DROP", "messages"},
		{"DROP TABLE a, b", "DROP", ""},
		{"ALTER TABLE users ADD COLUMN age INT", "ALTER", "users"},
		{"TRUNCATE TABLE logs", "TRUNCATE", "logs"},
		{"TRUNCATE logs2", "TRUNCATE", "logs2"},
		{"MERGE INTO target t USING src s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v", "MERGE", "target"},
		{"BEGIN", "BEGIN", ""},
		{"COMMIT", "COMMIT", ""},
		{"SET NAMES utf8mb4", "SET", ""},
		{"SHOW TABLES", "SHOW", ""},
		{"CALL do_things(1)", "CALL", ""},
		{"PRAGMA journal_mode=WAL", "PRAGMA", ""},
		{"EXPLAIN SELECT * FROM users", "EXPLAIN", ""},
		{"", "", ""},
		{"   /* only a comment */ ", "", ""},
		{"-- unterminated", "", ""},
		{"SELECT * FROM 'unterminated", "SELECT", ""},
	}
	if len(tests) < 40 {
		t.Fatalf("only %d statements", len(tests))
	}
	for _, tt := range tests {
		got := parseStatement(tt.query, dialectOther)
		if got.operation != tt.op || got.table != tt.table {
			t.Errorf("parseStatement(%q) = (%q, %q), want (%q, %q)", tt.query, got.operation, got.table, tt.op, tt.table)
		}
		// Without double quotes and brackets MySQL reads the statement
		// the same way; without #, brackets and backslashes too, so do
		// the other systems.
		if !strings.ContainsAny(tt.query, `"[`) {
			if got := parseStatement(tt.query, dialectMySQL); got.operation != tt.op || got.table != tt.table {
				t.Errorf("MySQL: parseStatement(%q) = (%q, %q), want (%q, %q)", tt.query, got.operation, got.table, tt.op, tt.table)
			}
		}
		if !strings.ContainsAny(tt.query, "#[\\") {
			for _, d := range []dialect{dialectPostgres, dialectMSSQL, dialectSQLite, dialectOracle} {
				if got := parseStatement(tt.query, d); got.operation != tt.op || got.table != tt.table {
					t.Errorf("dialect %d: parseStatement(%q) = (%q, %q), want (%q, %q)", d, tt.query, got.operation, got.table, tt.op, tt.table)
				}
			}
		}
	}
}

// TestParseStatementDoubleQuotes checks the operation and table of
// statements with double quotes, which are strings in MySQL and
// identifiers elsewhere.
func TestParseStatementDoubleQuotes(t *testing.T) {
	tests := []struct {
		system, query, op, table string
	}{
		{"mysql", `SELECT * FROM users WHERE password = "hunter2"`, "SELECT", "users"},
		{"mysql", `INSERT INTO logins (user, pw) VALUES ("bob", "hunter2")`, "INSERT", "logins"},
		{"mysql", `SELECT "FROM x" AS s FROM real_table`, "SELECT", "real_table"},
		{"mysql", `SELECT "a\" FROM x" FROM t_backslash`, "SELECT", "t_backslash"},
		{"mysql", `SELECT "a"" FROM x" FROM t_doubled`, "SELECT", "t_doubled"},
		{"mariadb", "UPDATE `acct` SET pw = \"hunter2\" WHERE id = 1", "UPDATE", "acct"},
		{"mariadb", "DELETE FROM `order items` WHERE note = \"x\"", "DELETE", "order items"},
		// A string is never a table name.
		{"mysql", `SELECT * FROM "hunter2"`, "SELECT", ""},
		{"mysql", `INSERT "hunter2" VALUES (1)`, "INSERT", ""},
		{"postgresql", `SELECT * FROM "public"."Users" WHERE "id" = 1`, "SELECT", "public.Users"},
		{"postgresql", `UPDATE "we""ird" SET v = 1`, "UPDATE", `we""ird`},
		{"sqlite", `SELECT "a\" FROM "t_ident"`, "SELECT", "t_ident"},
		{"mssql", `INSERT INTO "dbo"."Orders" VALUES (1)`, "INSERT", "dbo.Orders"},
	}
	checkParse(t, tests)
}

// TestParseStatementBySystem checks the operation and table of statements
// that the systems lex differently: #, brackets, backslashes and
// PostgreSQL's dollar quotes.
func TestParseStatementBySystem(t *testing.T) {
	tests := []struct {
		system, query, op, table string
	}{
		{"mssql", "SELECT * FROM [dbo].[Orders] WHERE [p] = 'x'", "SELECT", "dbo.Orders"},
		{"sqlserver", "UPDATE [order items] SET v = 1", "UPDATE", "order items"},
		{"mssql", "INSERT INTO [a]]b] VALUES (1)", "INSERT", "a]]b"},
		{"sqlite", "DELETE FROM [cache] WHERE k = 'x'", "DELETE", "cache"},
		{"mssql", "SELECT * FROM #tmp WHERE p = 'x'", "SELECT", ""}, // a temporary table: not sure
		{"mysql", "# comment\nSELECT * FROM hash_comment", "SELECT", "hash_comment"},
		{"postgresql", "SELECT ARRAY['FROM x'] FROM arr_t", "SELECT", "arr_t"},
		{"postgresql", "SELECT 'C:\\' FROM pg_backslash WHERE x = ' FROM secret_t'", "SELECT", "pg_backslash"},
		{"postgresql", "SELECT E'\\' FROM x', 1 FROM pg_escape", "SELECT", "pg_escape"},
		{"postgresql", "SELECT $$ FROM x $$ FROM pg_dollar", "SELECT", "pg_dollar"},
		{"postgresql", "SELECT $q$ FROM $$ x $q$ FROM pg_tagged WHERE id = $1", "SELECT", "pg_tagged"},
		{"postgresql", "/* a /* b */ FROM x */ UPDATE pg_nested SET v = 1", "UPDATE", "pg_nested"},
		{"mysql", "SELECT 'a\\' FROM x' FROM my_backslash", "SELECT", "my_backslash"},
		{"oracle", "SELECT q'[ FROM x ]' FROM ora_q", "SELECT", "ora_q"},
		{"sqlite", "SELECT 'C:\\' FROM lite_t", "SELECT", "lite_t"},
	}
	checkParse(t, tests)
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT * FROM users WHERE id = 42", "SELECT * FROM users WHERE id = ?"},
		{"SELECT * FROM t2 WHERE name = 'O''Brien' AND x = 1.5e3", "SELECT * FROM t2 WHERE name = ? AND x = ?"},
		{`SELECT * FROM t WHERE s = 'a''b' /* 'keep' 7 */`, "SELECT * FROM t WHERE s = ? /* 'keep' 7 */"},
		{"INSERT INTO t (a, b) VALUES (X'ff', N'text')", "INSERT INTO t (a, b) VALUES (?, ?)"},
		{"SELECT `col1` FROM \"t3\" WHERE id = ?", "SELECT `col1` FROM \"t3\" WHERE id = ?"},
		{"UPDATE t SET pw = 'hunter2' WHERE id = -7", "UPDATE t SET pw = ? WHERE id = -?"},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in, dialectOther); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSanitizeDoubleQuotes checks that a double-quoted literal of MySQL
// and MariaDB is masked, and that double-quoted identifiers of the other
// systems are kept.
func TestSanitizeDoubleQuotes(t *testing.T) {
	tests := []struct{ system, in, want string }{
		{"mysql", `SELECT * FROM users WHERE password = "hunter2"`, "SELECT * FROM users WHERE password = ?"},
		{"mysql", `INSERT INTO users (name, password) VALUES ("bob", "hunter2")`, "INSERT INTO users (name, password) VALUES (?, ?)"},
		{"mysql", `UPDATE users SET password = "say ""hi"" hunter2" WHERE id = 7`, "UPDATE users SET password = ? WHERE id = ?"},
		{"mysql", `UPDATE users SET password = "a\" hunter2 \"" WHERE id = 7`, "UPDATE users SET password = ? WHERE id = ?"},
		{"mysql", `SELECT 1 FROM t WHERE p = "x\\" AND q = "hunter2"`, "SELECT ? FROM t WHERE p = ? AND q = ?"},
		{"mysql", "SELECT `password` FROM `users` WHERE `password` = \"hunter2\" AND n = 'it''s'", "SELECT `password` FROM `users` WHERE `password` = ? AND n = ?"},
		{"mysql", `SELECT _utf8mb4"hunter2" COLLATE utf8mb4_bin`, "SELECT _utf8mb4? COLLATE utf8mb4_bin"},
		{"mysql", `SELECT b"hunter2"`, "SELECT b?"}, // column b with alias "hunter2": no B'' prefix
		{"mysql", `SELECT * FROM t WHERE p = "hunter2 -- not a comment"`, "SELECT * FROM t WHERE p = ?"},
		{"mysql", `SELECT * FROM t WHERE p = 'it"s' AND q = "it's hunter2"`, "SELECT * FROM t WHERE p = ? AND q = ?"},
		{"mysql", `SELECT * FROM t WHERE p = "hunter2`, "SELECT * FROM t WHERE p = ?"},
		{"MariaDB", `CALL login("bob", "hunter2")`, "CALL login(?, ?)"},
		{"mariadb", `SELECT * FROM t WHERE p = "hunter2" /* "kept" */`, `SELECT * FROM t WHERE p = ? /* "kept" */`},
		{"tidb", `SELECT * FROM t WHERE p = "hunter2"`, "SELECT * FROM t WHERE p = ?"},
		{"postgresql", `SELECT "name" FROM "users" WHERE "id" = 42`, `SELECT "name" FROM "users" WHERE "id" = ?`},
		{"postgresql", `SELECT "we""ird" FROM "public"."Users" WHERE pw = 'hunter2'`, `SELECT "we""ird" FROM "public"."Users" WHERE pw = ?`},
		{"sqlite", `SELECT "name" FROM "users"`, `SELECT "name" FROM "users"`},
		{"sqlite", `INSERT INTO "t\" ("a") VALUES ('hunter2')`, `INSERT INTO "t\" ("a") VALUES (?)`},
		{"mssql", `SELECT "Name" FROM "dbo"."Users" WHERE Id = 1`, `SELECT "Name" FROM "dbo"."Users" WHERE Id = ?`},
		{"oracle", `SELECT "NAME" FROM "USERS"`, `SELECT "NAME" FROM "USERS"`},
		{"other_sql", `SELECT "name" FROM "users"`, `SELECT "name" FROM "users"`},
	}
	checkSanitize(t, tests)
}

// checkParse checks the operation and table read from each case's query in
// its system's dialect.
func checkParse(t *testing.T, tests []struct{ system, query, op, table string }) {
	t.Helper()
	for _, tt := range tests {
		got := parseStatement(tt.query, dialectOf(tt.system))
		if got.operation != tt.op || got.table != tt.table {
			t.Errorf("%s: parseStatement(%q) = (%q, %q), want (%q, %q)", tt.system, tt.query, got.operation, got.table, tt.op, tt.table)
		}
	}
}

// checkSanitize checks each case's exact output, and that no hunter2
// survives it.
func checkSanitize(t *testing.T, tests []struct{ system, in, want string }) {
	t.Helper()
	for _, tt := range tests {
		got := sanitize(tt.in, dialectOf(tt.system))
		if got != tt.want {
			t.Errorf("%s: sanitize(%q) = %q, want %q", tt.system, tt.in, got, tt.want)
		}
		if strings.Contains(got, "hunter2") {
			t.Errorf("%s: sanitize(%q) kept the secret: %q", tt.system, tt.in, got)
		}
	}
}

// TestSanitizeLexing checks that each system's comments, brackets,
// backslashes and special quotes are read as that system reads them: no
// literal is left in the text, and identifiers and comments are kept.
func TestSanitizeLexing(t *testing.T) {
	tests := []struct{ system, in, want string }{
		// # starts a comment in MySQL only: a temporary table in SQL
		// Server, an operator in PostgreSQL.
		{"mssql", "SELECT * FROM #t WHERE p = 'hunter2'", "SELECT * FROM #t WHERE p = ?"},
		{"sqlserver", "INSERT INTO ##g VALUES ('hunter2')", "INSERT INTO ##g VALUES (?)"},
		{"postgresql", "SELECT b # 5 FROM t WHERE p = 'hunter2'", "SELECT b # ? FROM t WHERE p = ?"},
		{"sqlite", "SELECT * FROM t # WHERE p = 'hunter2'", "SELECT * FROM t # WHERE p = ?"},
		{"oracle", "SELECT * FROM t # WHERE p = 'hunter2'", "SELECT * FROM t # WHERE p = ?"},
		{"other_sql", "SELECT * FROM #t WHERE p = 'hunter2'", "SELECT * FROM #t WHERE p = ?"},
		{"mysql", "SELECT 1 # it's a comment\n, 'hunter2'", "SELECT ? # it's a comment\n, ?"},
		// -- starts a comment in MySQL only before white space.
		{"mysql", "SELECT 1--'hunter2'", "SELECT ?--?"},
		{"mysql", "SELECT 1 -- it's a comment\n, 'hunter2'", "SELECT ? -- it's a comment\n, ?"},
		{"postgresql", "SELECT 1 --'kept comment'\n, 'hunter2'", "SELECT ? --'kept comment'\n, ?"},
		// [x] is an identifier in SQL Server and SQLite only.
		{"postgresql", "SELECT tags[1], ARRAY['hunter2', 'x'] FROM t", "SELECT tags[?], ARRAY[?, ?] FROM t"},
		{"mysql", "SELECT ['hunter2']", "SELECT [?]"},
		{"oracle", "SELECT ['hunter2']", "SELECT [?]"},
		{"mssql", "SELECT [pw] FROM [dbo].[Users] WHERE [pw] = 'hunter2'", "SELECT [pw] FROM [dbo].[Users] WHERE [pw] = ?"},
		{"sqlite", "SELECT [it's] FROM t WHERE p = 'hunter2'", "SELECT [it's] FROM t WHERE p = ?"},
		{"mssql", "SELECT [a]]'b] FROM t WHERE p = 'hunter2'", "SELECT [a]]'b] FROM t WHERE p = ?"},
		{"other_sql", "SELECT ARRAY['hunter2'] FROM t", "SELECT ARRAY[?] FROM t"},
		// A backslash escapes in '...' in MySQL only (and PostgreSQL's E'...').
		{"postgresql", `SELECT 'C:\', 'hunter2'`, "SELECT ?, ?"},
		{"postgres", `SELECT * FROM t WHERE a = '\' AND p = 'hunter2'`, "SELECT * FROM t WHERE a = ? AND p = ?"},
		{"mssql", `SELECT 'C:\', 'hunter2'`, "SELECT ?, ?"},
		{"sqlite", `SELECT 'C:\', 'hunter2'`, "SELECT ?, ?"},
		{"oracle", `SELECT 'C:\', 'hunter2' FROM dual`, "SELECT ?, ? FROM dual"},
		{"postgresql", `SELECT E'it\'s hunter2', e'\\', 'x'`, "SELECT ?, ?, ?"},
		{"postgresql", `SELECT E'\\' , 'hunter2'`, "SELECT ? , ?"},
		{"mysql", `SELECT 'it\'s hunter2', 'C:\\', 'x'`, "SELECT ?, ?, ?"},
		// PostgreSQL's dollar quotes and nested comments; $1 is a parameter.
		{"postgresql", "SELECT $$hunter2$$, $tag$it's $$ hunter2$tag$, $1", "SELECT ?, ?, $1"},
		{"postgresql", "DO $body$ BEGIN PERFORM 'x'; END $body$", "DO ?"},
		{"postgresql", "SELECT $_t1$hunter2", "SELECT ?"},
		{"postgresql", "SELECT /* a /* b */ it's */ 'hunter2'", "SELECT /* a /* b */ it's */ ?"},
		{"other_sql", "SELECT $$hunter2$$ FROM t", "SELECT ? FROM t"},
		// Oracle's q'...' strings.
		{"oracle", "SELECT q'[it's hunter2]', NQ'{x}', Q'!a'b!' FROM dual", "SELECT ?, ?, ? FROM dual"},
		// An unknown system: whatever any of the rules reads as a
		// literal is masked.
		{"other_sql", `SELECT 'C:\', 'hunter2'`, "SELECT ?"},
		{"other_sql", `SELECT 'it\'s hunter2'`, "SELECT ?"},
		{"other_sql", "SELECT q'[it's hunter2]' FROM dual", "SELECT ?"}, // without q-quotes, ' FROM dual is an unclosed string
		{"other_sql", "SELECT * FROM t WHERE s = 'a\\'b' /* 'keep' 7 */", "SELECT * FROM t WHERE s = ?keep?"},
		{"other_sql", "SELECT [pw], `pw`, \"pw\" FROM t WHERE n = 7 -- 'comment'", "SELECT [pw], `pw`, \"pw\" FROM t WHERE n = ? -- 'comment'"},
		// -- and /* */ are comments everywhere.
		{"mssql", "SELECT 1 /* it's */ -- it's\n, 'hunter2'", "SELECT ? /* it's */ -- it's\n, ?"},
	}
	checkSanitize(t, tests)
}

// FuzzParseStatement checks that no SQL text makes the parser or the
// sanitiser panic, and that sanitising removes every string literal.
func FuzzParseStatement(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM t WHERE a = 'secret'", "WITH x AS (SELECT 1) SELECT * FROM x",
		"INSERT INTO `a``b` VALUES ('x')", "/* unterminated", "(((", "UPDATE a, b SET", "[",
		"DELETE FROM t WHERE s = 'it''s' -- 'c'", "CREATE INDEX ON", "\"",
		`SELECT "a\" FROM x" FROM t WHERE p = "it""s"`, "UPDATE `t` SET p = \"x\\\\\" WHERE 1",
		"SELECT * FROM #t WHERE p = 'x'", "SELECT ARRAY['x'], a[1]", `SELECT 'C:\', 'x'`, `SELECT E'it\'s'`,
		"SELECT $$x$$, $t$x$t$, $1", "/* a /* b */ c */ SELECT 1--'x'", "SELECT q'[it's]', nq'!x!'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		const secret = "Zk8Qw3"
		plain := !strings.Contains(q, secret) && !strings.ContainsAny(q, "'\"`[#-/\\")
		tail := " WHERE p = '" + secret + "'"
		other := sanitize(q+tail, dialectOther)
		for _, d := range []dialect{dialectOther, dialectMySQL, dialectPostgres, dialectMSSQL, dialectSQLite, dialectOracle} {
			st := parseStatement(q, d)
			if st.operation != strings.ToUpper(st.operation) {
				t.Fatalf("operation %q not upper case", st.operation)
			}
			_ = sanitize(q, d)
			s := sanitize(q+tail, d)
			if plain && strings.Contains(s, secret) {
				t.Fatalf("dialect %d: sanitize leaked a literal: %q", d, s)
			}
			// An unknown system masks whatever a known one masks
			// (but MySQL's "text").
			if d != dialectMySQL && !strings.Contains(s, secret) && strings.Contains(other, secret) && !strings.Contains(q, secret) {
				t.Fatalf("dialect %d masks the literal, an unknown system does not: %q", d, other)
			}
		}
		s := sanitize(q+` WHERE p = "`+secret+`"`, dialectMySQL)
		if plain && strings.Contains(s, secret) {
			t.Fatalf("sanitize leaked a MySQL double-quoted literal: %q", s)
		}
	})
}

func TestParseCacheBounded(t *testing.T) {
	var c parseCache
	for i := range maxCachedStatements + 100 {
		q := "SELECT * FROM t" + strings.Repeat("x", i%7) + " WHERE id = " + string(rune('0'+i%10)) + strings.Repeat(" ", i)
		if got, want := c.get(q, false), parseStatement(q, dialectOther); got.statement != want || got.text != q {
			t.Fatalf("get(%q) = %+v, want %+v", q, got, want)
		}
	}
	if n := c.m.Len(); n != maxCachedStatements {
		t.Errorf("%d cached statements, want the bound %d", n, maxCachedStatements)
	}
	var d parseCache
	long := "UPDATE big SET v = 'x' WHERE k = 'secret'" + strings.Repeat(" ", maxCachedQueryLen)
	if got := d.get(long, true); got.text == long || strings.Contains(got.text, "secret") || got.table != "big" {
		t.Errorf("sanitised long statement: %+v", got)
	}
	if d.m.Len() != 0 {
		t.Error("a statement longer than the bound was cached")
	}
}

// TestSanitizeBySystem runs statements through OpenDB with
// WithSanitizeLiterals and checks the statement of the exported span: the
// database system (WithSystem or the driver) decides whether "text" is a
// literal.
func TestSanitizeBySystem(t *testing.T) {
	tests := []struct {
		name  string
		opts  []Option
		query string
		want  string
	}{
		{"mariadb", []Option{WithSystem("mariadb")}, `UPDATE users SET pw = "hunter2" WHERE id = 7`, "UPDATE users SET pw = ? WHERE id = ?"},
		{"mysql", []Option{WithSystem("mysql")}, `INSERT INTO users (name, pw) VALUES ("bob", "hun\"ter2")`, "INSERT INTO users (name, pw) VALUES (?, ?)"},
		{"postgresql", []Option{WithSystem("postgresql")}, `SELECT "pw" FROM "users" WHERE id = 7`, `SELECT "pw" FROM "users" WHERE id = ?`},
		{"unknown", nil, `SELECT "pw" FROM "users" WHERE id = 7`, `SELECT "pw" FROM "users" WHERE id = ?`},
		{"postgresql backslash", []Option{WithSystem("postgresql")}, `SELECT 'C:\', 'hunter2', ARRAY['hunter2'], $$hunter2$$`, "SELECT ?, ?, ARRAY[?], ?"},
		{"mssql temporary table", []Option{WithSystem("mssql")}, "UPDATE #t SET pw = 'hunter2' WHERE [id] = 7", "UPDATE #t SET pw = ? WHERE [id] = ?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			db := OpenDB(execConnector{}, append(tt.opts, WithTracerProvider(tp), WithSanitizeLiterals(true))...)
			defer db.Close()
			if _, err := db.ExecContext(context.Background(), tt.query); err != nil {
				t.Fatal(err)
			}
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			var got string
			for _, kv := range spans[0].Attributes {
				if kv.Key == "db.statement" {
					got = kv.Value.AsString()
				}
			}
			if got != tt.want || strings.Contains(got, "hunter2") {
				t.Errorf("db.statement = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSanitizeMariaDB runs a double-quoted literal on a real MariaDB,
// which reads it as a string (the default SQL mode has no ANSI_QUOTES):
// the span's statement must not carry it.
func TestSanitizeMariaDB(t *testing.T) {
	dsn := os.Getenv("OTELKIT_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("OTELKIT_TEST_MYSQL_DSN is not set (e.g. root@tcp(127.0.0.1:3306)/test?parseTime=true)")
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	db, err := Open("mysql", dsn, WithTracerProvider(tp), WithSanitizeLiterals(true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.QueryRowContext(context.Background(), `SELECT "hunter2" AS pw, "a\"b" AS q`).Scan(&got, new(string)); err != nil {
		t.Fatal(err)
	}
	if got != "hunter2" {
		t.Fatalf("MariaDB returned %q: not a string literal", got)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "mysql.query" {
		t.Fatalf("spans %v, want one mysql.query", spans)
	}
	for _, kv := range spans[0].Attributes {
		if kv.Key == "db.statement" {
			if s := kv.Value.AsString(); s != "SELECT ? AS pw, ? AS q" {
				t.Errorf("db.statement = %q, want %q", s, "SELECT ? AS pw, ? AS q")
			}
			return
		}
	}
	t.Error("no db.statement")
}

// execConnector opens connections that run any statement with success.
type execConnector struct{}

func (execConnector) Connect(context.Context) (driver.Conn, error) { return execConn{}, nil }
func (execConnector) Driver() driver.Driver                        { return execDriver{} }

type execDriver struct{}

func (execDriver) Open(string) (driver.Conn, error) { return execConn{}, nil }

type execConn struct{}

func (execConn) Prepare(string) (driver.Stmt, error) { return nil, driver.ErrSkip }
func (execConn) Close() error                        { return nil }
func (execConn) Begin() (driver.Tx, error)           { return nil, driver.ErrSkip }
func (execConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return driver.RowsAffected(1), nil
}

// sqlStateErr is an error reporting a SQLSTATE, as pgx's and lib/pq's do.
type sqlStateErr struct{ code string }

func (e *sqlStateErr) Error() string {
	return "ERROR: relation does not exist (SQLSTATE " + e.code + ")"
}
func (e *sqlStateErr) SQLState() string { return e.code }

func TestResponseStatusCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&mysql.MySQLError{Number: 1146, Message: "Table 'test.nope' doesn't exist"}, "1146"},
		{fmt.Errorf("prepare: %w", &sqlStateErr{"42P01"}), "42P01"},
		{errors.New("driver: bad connection"), ""},
	} {
		if got := responseStatusCode(tc.err); got != tc.want {
			t.Errorf("responseStatusCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
