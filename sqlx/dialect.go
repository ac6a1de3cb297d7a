package sqlx

import (
	"strings"
)

// dialect is how a database system lexes SQL text: which quotes make a
// string literal, which an identifier, and what starts a comment.
type dialect uint8

const (
	// dialectOther is a system sqlx does not know. The parser reads it
	// as before dialects existed (#, -- and /* */ comments, [ident],
	// backslash escapes); the sanitiser masks every span of text that
	// any of the rule sets below reads as a literal, so that a literal
	// is masked whichever the system's rules are ("x" stays an
	// identifier, as in standard SQL).
	dialectOther dialect = iota
	// dialectMySQL: MySQL, MariaDB and TiDB in the default SQL mode. "x"
	// is a string literal, a backslash escapes in '...' and "...", #
	// starts a comment and -- only before white space; [ is an operator
	// character.
	dialectMySQL
	// dialectPostgres: PostgreSQL and CockroachDB with
	// standard_conforming_strings on (the default). A backslash is a
	// character in '...' but escapes in E'...'; $$...$$ and $tag$...$tag$
	// are strings; /* */ comments nest; # and [ are operators.
	dialectPostgres
	// dialectMSSQL: SQL Server. [x] is an identifier, #x a temporary
	// table, a backslash a character in '...'.
	dialectMSSQL
	// dialectSQLite: as SQL Server, for what the sanitiser reads.
	dialectSQLite
	// dialectOracle: a backslash is a character in '...', q'[...]' (any
	// delimiter) is a string; # and [ are not special.
	dialectOracle
)

// dialectOf returns the dialect of a db.system value.
func dialectOf(system string) dialect {
	switch strings.ToLower(system) {
	case "mysql", "mariadb", "tidb":
		return dialectMySQL
	case "postgresql", "postgres", "cockroachdb":
		return dialectPostgres
	case "mssql", "sqlserver", "microsoft.sql_server":
		return dialectMSSQL
	case "sqlite":
		return dialectSQLite
	case "oracle", "oracle.db":
		return dialectOracle
	}
	return dialectOther
}

// rules are the lexing rules of a dialect, one bit each.
type rules uint16

const (
	// ruleHashComment: # starts a line comment (MySQL).
	ruleHashComment rules = 1 << iota
	// ruleDashSpace: -- starts a comment only before white space, a
	// control character or the end of the text (MySQL: 1--1 is 1 - -1).
	ruleDashSpace
	// ruleBracketIdent: [x] is an identifier (SQL Server, SQLite).
	ruleBracketIdent
	// ruleBackslash: a backslash escapes the next character in '...'
	// (and in "..." with ruleDoubleQuoteString).
	ruleBackslash
	// ruleDoubleQuoteString: "x" is a string literal, not an identifier.
	ruleDoubleQuoteString
	// rulePostgres: $$...$$ and $tag$...$tag$ strings, E'...' with
	// backslash escapes, nested /* */ comments.
	rulePostgres
	// ruleQQuote: Oracle's q'[...]', q'{...}', q'<...>', q'(...)' and
	// q'c...c' strings (nq'...' too).
	ruleQQuote
	// ruleExecComment: /*! ... */ and /*M! ... */ are SQL, not comments
	// (MySQL and MariaDB run their text, unless the version after the !
	// is the server's future: the sanitiser masks the literals of both
	// readings).
	ruleExecComment
	// ruleNestedComment: /* */ comments nest (SQL Server).
	ruleNestedComment
)

// legacyRules are how sqlx read every system before dialects: the
// parser's reading of an unknown system.
const legacyRules = ruleHashComment | ruleBracketIdent | ruleBackslash

// otherRules are the rule sets whose literals the sanitiser masks in a
// statement of an unknown system: those of every dialect (MySQL's with
// ANSI_QUOTES) and the legacy ones. A literal that any of them reads is
// masked.
var otherRules = [...]rules{
	legacyRules,
	ruleHashComment | ruleDashSpace | ruleBackslash | ruleExecComment, // MySQL with ANSI_QUOTES
	ruleHashComment | ruleDashSpace | ruleBackslash,                   // the same, skipping /*!NNNNN ... */
	rulePostgres,
	ruleBracketIdent | ruleNestedComment, // SQL Server
	ruleBracketIdent,                     // SQLite
	ruleQQuote,                           // Oracle
}

func (d dialect) rules() rules {
	switch d {
	case dialectMySQL:
		return ruleHashComment | ruleDashSpace | ruleBackslash | ruleDoubleQuoteString | ruleExecComment
	case dialectPostgres:
		return rulePostgres
	case dialectMSSQL:
		return ruleBracketIdent | ruleNestedComment
	case dialectSQLite:
		return ruleBracketIdent
	case dialectOracle:
		return ruleQQuote
	}
	return legacyRules
}
