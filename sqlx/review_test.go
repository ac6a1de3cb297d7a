package sqlx

import "testing"

// TestSanitizeReview checks statements whose literals an earlier lexer
// left in the text: MySQL's and MariaDB's executable comments, which the
// server runs (MariaDB 10.11 returns 'hunter2' for the first one), a
// PostgreSQL -- comment that ends at a carriage return (PostgreSQL 15
// returns 'hunter2' after it; MariaDB and SQLite read on to the \n), and
// SQL Server's nested /* */ comments.
func TestSanitizeReview(t *testing.T) {
	tests := []struct{ system, in, want string }{
		{"mysql", "SELECT 1 /*!50000 , 'hunter2' */", "SELECT ? /*!50000 , ? */"},
		{"mariadb", "SELECT 1 /*! , \"hunter2\" */", "SELECT ? /*! , ? */"},
		{"mariadb", "SELECT 1 /*M!100001 , 'hunter2' */", "SELECT ? /*M!100001 , ? */"},
		{"mariadb", "SELECT /*!1000012, 'hunter2' */", "SELECT /*!10000?, ? */"},
		{"mysql", "UPDATE users SET pw = /*!'hunter2'*/ WHERE id = 7", "UPDATE users SET pw = /*!?*/ WHERE id = ?"},
		{"other_sql", "SELECT 1 /*!50000 , 'hunter2' */", "SELECT ? /*!50000 , ? */"},
		// A server older than the version skips the text as a comment
		// (MariaDB 10.11 returns 'hunter2' for both).
		{"mariadb", "SELECT 1 /*!99999 it's */ , 'hunter2'", "SELECT ? /*!99999 it?"},
		{"mysql", "SELECT 1 /*M!999999 it's */ , 'hunter2'", "SELECT ? /*M!999999 it?"},
		{"other_sql", "SELECT 1 /*!99999 it's */ , 'hunter2'", "SELECT ? /*!99999 it?"},
		{"postgresql", "SELECT 1 -- x\r, 'hunter2'", "SELECT ? -- x\r, ?"},
		{"other_sql", "SELECT 1 -- x\r, 'hunter2'", "SELECT ? -- x\r, ?"},
		{"mssql", "/* /* */ 'x */ SELECT 'hunter2'", "/* /* */ 'x */ SELECT ?"},
		{"other_sql", "/* /* */ 'x */ SELECT 'hunter2'", "/* /* */ ?"},
		// What held: comments that are comments stay as written.
		{"mysql", "SELECT 1 /* 'kept' */ -- x\r'kept'\n, 'hunter2'", "SELECT ? /* 'kept' */ -- x\r'kept'\n, ?"},
		{"mysql", "SELECT 1 /*+ NO_ICP(t) */ , 'hunter2'", "SELECT ? /*+ NO_ICP(t) */ , ?"},
		{"sqlite", "SELECT 1 -- x\r'kept'\n, 'hunter2'", "SELECT ? -- x\r'kept'\n, ?"},
		{"sqlite", "/* /* */ 'hunter2'", "/* /* */ ?"},
		{"postgresql", "SELECT /*/*/ 'kept' */ */ 1, 'hunter2'", "SELECT /*/*/ 'kept' */ */ ?, ?"},
		{"postgresql", `SELECT U&'hunter2' UESCAPE '!', E'\\', 'hunter2'`, "SELECT U&? UESCAPE ?, ?, ?"},
		{"mysql", `SELECT X'DEAD', 0xBEEF, b'01', N'hunter2', _utf8mb4'hunter2', 1e10, .5, -3`, "SELECT ?, ?, ?, ?, _utf8mb4?, ?, .?, -?"},
		{"mysql", `SELECT * FROM t WHERE a='hunter2'OR b="hunter2"AND c=1`, "SELECT * FROM t WHERE a=?OR b=?AND c=?"},
		{"oracle", "SELECT q'{hunter2}', q'(hunter2)', q'<hunter2>', q'[hunter2]', q'#hunter2#' FROM dual", "SELECT ?, ?, ?, ?, ? FROM dual"},
		// A quoted identifier that never closes runs to the end of the
		// text (the server rejects the statement): the rest is masked,
		// as go-sqllexer masks it (found by the comparison with it).
		{"postgresql", `SELECT "a\" FROM x" FROM t WHERE p = "it""s" WHERE p = 'hunter2'`, `SELECT "a\" FROM x" FROM t WHERE p = "it""s?`},
		{"sqlite", "[ WHERE p = 'hunter2'", "?"},
		{"mssql", "SELECT [a WHERE p = 'hunter2'", "SELECT ?"},
		{"mysql", "SELECT `a WHERE p = 'hunter2'", "SELECT ?"},
		{"other_sql", `SELECT "a WHERE p = 'hunter2'`, "SELECT ?"},
		// Closed ones stay, doubled quotes and all.
		{"postgresql", `SELECT "it""s" FROM t WHERE p = 'hunter2'`, `SELECT "it""s" FROM t WHERE p = ?`},
		{"mssql", "SELECT [a]]b] FROM t WHERE p = 'hunter2'", "SELECT [a]]b] FROM t WHERE p = ?"},
	}
	checkSanitize(t, tests)
}

// TestParseStatementReview checks that the operation and table are read
// through executable and nested comments.
func TestParseStatementReview(t *testing.T) {
	tests := []struct{ system, query, op, table string }{
		{"mysql", "/*!40101 SET NAMES utf8mb4 */", "SET", ""},
		{"mariadb", "/*M!100100 DELETE FROM sessions */", "DELETE", "sessions"},
		{"mssql", "/* a /* b */ FROM x */ UPDATE orders SET v = 1", "UPDATE", "orders"},
		{"postgresql", "-- c\rINSERT INTO pg_cr VALUES (1)", "INSERT", "pg_cr"},
		{"sqlite", "-- c\rINSERT INTO lite_cr VALUES (1)\nSELECT 1", "SELECT", ""},
	}
	checkParse(t, tests)
}
