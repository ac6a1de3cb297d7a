package sqlx

import (
	"strings"
	"testing"
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
		got := parseStatement(tt.query)
		if got.operation != tt.op || got.table != tt.table {
			t.Errorf("parseStatement(%q) = (%q, %q), want (%q, %q)", tt.query, got.operation, got.table, tt.op, tt.table)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT * FROM users WHERE id = 42", "SELECT * FROM users WHERE id = ?"},
		{"SELECT * FROM t2 WHERE name = 'O''Brien' AND x = 1.5e3", "SELECT * FROM t2 WHERE name = ? AND x = ?"},
		{`SELECT * FROM t WHERE s = 'a\'b' /* 'keep' 7 */`, "SELECT * FROM t WHERE s = ? /* 'keep' 7 */"},
		{"INSERT INTO t (a, b) VALUES (X'ff', N'text')", "INSERT INTO t (a, b) VALUES (?, ?)"},
		{"SELECT `col1` FROM \"t3\" WHERE id = ?", "SELECT `col1` FROM \"t3\" WHERE id = ?"},
		{"UPDATE t SET pw = 'hunter2' WHERE id = -7", "UPDATE t SET pw = ? WHERE id = -?"},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseStatement checks that no SQL text makes the parser or the
// sanitiser panic, and that sanitising removes every string literal.
func FuzzParseStatement(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM t WHERE a = 'secret'", "WITH x AS (SELECT 1) SELECT * FROM x",
		"INSERT INTO `a``b` VALUES ('x')", "/* unterminated", "(((", "UPDATE a, b SET", "[",
		"DELETE FROM t WHERE s = 'it''s' -- 'c'", "CREATE INDEX ON", "\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		st := parseStatement(q)
		if st.operation != strings.ToUpper(st.operation) {
			t.Fatalf("operation %q not upper case", st.operation)
		}
		_ = sanitize(q)
		const secret = "Zk8Qw3"
		s := sanitize(q + " WHERE p = '" + secret + "'")
		if strings.Contains(s, secret) && !strings.Contains(q, secret) && !strings.ContainsAny(q, "'\"`[#-/\\") {
			t.Fatalf("sanitize leaked a literal: %q", s)
		}
	})
}

func TestParseCacheBounded(t *testing.T) {
	var c parseCache
	for i := range maxCachedStatements + 100 {
		q := "SELECT * FROM t" + strings.Repeat("x", i%7) + " WHERE id = " + string(rune('0'+i%10)) + strings.Repeat(" ", i)
		if got, want := c.get(q, false), parseStatement(q); got.statement != want || got.text != q {
			t.Fatalf("get(%q) = %+v, want %+v", q, got, want)
		}
	}
	if n := c.n.Load(); n != maxCachedStatements {
		t.Errorf("%d cached statements, want the bound %d", n, maxCachedStatements)
	}
	var d parseCache
	long := "UPDATE big SET v = 'x' WHERE k = 'secret'" + strings.Repeat(" ", maxCachedQueryLen)
	if got := d.get(long, true); got.text == long || strings.Contains(got.text, "secret") || got.table != "big" {
		t.Errorf("sanitised long statement: %+v", got)
	}
	if d.n.Load() != 0 {
		t.Error("a statement longer than the bound was cached")
	}
}
