package sqlx

import (
	"sort"
	"strings"
)

// statement is what the parser learns from an SQL text.
type statement struct {
	// operation is the first keyword of the statement, upper case (SELECT,
	// INSERT, ...), after leading comments, parentheses and a WITH clause.
	operation string
	// table is the main table, "" when the parser is not sure.
	table string
}

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

// lexer walks an SQL text token by token, skipping white space and
// comments (--, /* */ and, in MySQL, #).
type lexer struct {
	s     string
	pos   int
	rules rules
}

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokWord
	tokQuoted // `ident`, "ident" (not in MySQL), [ident] (SQL Server, SQLite)
	tokString // 'literal', "literal" in MySQL, $$literal$$ and E'literal' in PostgreSQL, q'[literal]' in Oracle
	tokNumber
	tokPunct
)

type token struct {
	kind tokenKind
	text string // raw text; for tokQuoted the unquoted identifier
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case c == '#' && l.rules&ruleHashComment != 0:
			l.skipLine()
		case c == '-' && l.pos+1 < len(l.s) && l.s[l.pos+1] == '-' &&
			(l.rules&ruleDashSpace == 0 || l.pos+2 == len(l.s) || l.s[l.pos+2] <= ' '):
			l.skipLine()
		case c == '/' && l.pos+1 < len(l.s) && l.s[l.pos+1] == '*':
			if l.rules&ruleExecComment != 0 && l.execComment() {
				continue
			}
			l.skipBlockComment()
		default:
			return
		}
	}
}

// execComment skips the /*! (and up to five version digits) or /*M!
// (MariaDB's, up to six) at l.pos and reports whether there was one:
// MySQL and MariaDB run the text up to */, which is read as SQL (the */
// as two punctuation tokens). A sixth digit after /*!, which MariaDB
// reads as part of the version and MySQL as a number, is read as a
// number: masked, never leaked.
func (l *lexer) execComment() bool {
	j, digits := l.pos+2, 5
	if j < len(l.s) && l.s[j] == 'M' {
		j, digits = j+1, 6
	}
	if j >= len(l.s) || l.s[j] != '!' {
		return false
	}
	j++
	for n := 0; n < digits && j < len(l.s) && l.s[j] >= '0' && l.s[j] <= '9'; n++ {
		j++
	}
	l.pos = j
	return true
}

// skipBlockComment skips the /* */ comment at l.pos, nested ones too in
// PostgreSQL and SQL Server.
func (l *lexer) skipBlockComment() {
	if l.rules&(rulePostgres|ruleNestedComment) == 0 {
		end := strings.Index(l.s[l.pos+2:], "*/")
		if end < 0 {
			l.pos = len(l.s)
		} else {
			l.pos += 2 + end + 2
		}
		return
	}
	depth := 0
	for l.pos+1 < len(l.s) {
		switch {
		case l.s[l.pos] == '/' && l.s[l.pos+1] == '*':
			depth++
			l.pos += 2
		case l.s[l.pos] == '*' && l.s[l.pos+1] == '/':
			depth--
			l.pos += 2
			if depth == 0 {
				return
			}
		default:
			l.pos++
		}
	}
	l.pos = len(l.s)
}

// skipLine skips the comment at l.pos up to the end of the line: a \n,
// or a \r too in PostgreSQL.
func (l *lexer) skipLine() {
	nl := "\n"
	if l.rules&rulePostgres != 0 {
		nl = "\n\r"
	}
	end := strings.IndexAny(l.s[l.pos:], nl)
	if end < 0 {
		l.pos = len(l.s)
	} else {
		l.pos += end + 1
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// next returns the next token.
func (l *lexer) next() token {
	l.skipSpace()
	if l.pos >= len(l.s) {
		return token{kind: tokEOF}
	}
	start := l.pos
	c := l.s[l.pos]
	switch {
	case c == '\'' || c == '"' && l.rules&ruleDoubleQuoteString != 0:
		l.pos = quoteEnd(l.s, l.pos, c, l.rules&ruleBackslash != 0)
		return token{kind: tokString, text: l.s[start:l.pos]}
	case c == '`' || c == '"':
		l.pos = quoteEnd(l.s, l.pos, c, false)
		return token{kind: tokQuoted, text: unquote(l.s[start:l.pos])}
	case c == '[' && l.rules&ruleBracketIdent != 0:
		// ]] is a ] in the identifier (SQL Server).
		l.pos = quoteEnd(l.s, l.pos, ']', false)
		return token{kind: tokQuoted, text: unquote(l.s[start:l.pos])}
	case c == '$' && l.rules&rulePostgres != 0 && l.dollarString():
		return token{kind: tokString, text: l.s[start:l.pos]}
	case c >= '0' && c <= '9':
		for l.pos < len(l.s) && (isWordByte(l.s[l.pos]) || l.s[l.pos] == '.') {
			l.pos++
		}
		return token{kind: tokNumber, text: l.s[start:l.pos]}
	case isWordByte(c):
		for l.pos < len(l.s) && isWordByte(l.s[l.pos]) {
			l.pos++
		}
		if l.pos < len(l.s) && l.s[l.pos] == '\'' {
			w := l.s[start:l.pos]
			switch {
			case l.rules&rulePostgres != 0 && (w == "e" || w == "E"):
				// E'...': an escape string, where a backslash escapes.
				l.pos = quoteEnd(l.s, l.pos, '\'', true)
				return token{kind: tokString, text: l.s[start:l.pos]}
			case l.rules&ruleQQuote != 0 && (strings.EqualFold(w, "q") || strings.EqualFold(w, "nq")):
				l.pos = qQuoteEnd(l.s, l.pos)
				return token{kind: tokString, text: l.s[start:l.pos]}
			}
		}
		return token{kind: tokWord, text: l.s[start:l.pos]}
	default:
		l.pos++
		return token{kind: tokPunct, text: l.s[start:l.pos]}
	}
}

// dollarString consumes the PostgreSQL dollar-quoted string at l.pos
// ($$...$$, $tag$...$tag$) and reports whether there is one ($1 is a
// parameter).
func (l *lexer) dollarString() bool {
	j := l.pos + 1
	for j < len(l.s) && l.s[j] != '$' {
		c := l.s[j]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || j > l.pos+1 && c >= '0' && c <= '9') {
			return false
		}
		j++
	}
	if j >= len(l.s) {
		return false
	}
	delim := l.s[l.pos : j+1]
	end := strings.Index(l.s[j+1:], delim)
	if end < 0 {
		l.pos = len(l.s)
	} else {
		l.pos = j + 1 + end + len(delim)
	}
	return true
}

// qQuoteEnd returns the index after Oracle's q'<d>...<d>' string whose
// quote is at i: the closing delimiter is the opening one, or its mate
// for [, {, < and (.
func qQuoteEnd(s string, i int) int {
	if i+1 >= len(s) {
		return len(s)
	}
	d := s[i+1]
	switch d {
	case '[':
		d = ']'
	case '{':
		d = '}'
	case '<':
		d = '>'
	case '(':
		d = ')'
	}
	for j := i + 2; j+1 < len(s); j++ {
		if s[j] == d && s[j+1] == '\'' {
			return j + 2
		}
	}
	return len(s)
}

// quoteEnd returns the index after the quote q that closes the one at i
// (q is ']' for '['); a doubled q escapes, and so does a backslash when
// backslash is true.
func quoteEnd(s string, i int, q byte, backslash bool) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if backslash {
				j++
			}
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func unquote(s string) string {
	if len(s) >= 2 {
		s = s[1 : len(s)-1]
	} else {
		s = ""
	}
	return s
}

// peek returns the next token without consuming it.
func (l *lexer) peek() token {
	p := l.pos
	t := l.next()
	l.pos = p
	return t
}

func (t token) is(word string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, word)
}

// skipParens consumes tokens up to the parenthesis that closes one already
// consumed.
func (l *lexer) skipParens() {
	depth := 1
	for {
		t := l.next()
		switch {
		case t.kind == tokEOF:
			return
		case t.kind == tokPunct && t.text == "(":
			depth++
		case t.kind == tokPunct && t.text == ")":
			depth--
			if depth == 0 {
				return
			}
		}
	}
}

// tableName reads a possibly qualified, possibly quoted table name
// (db.table, `db`.`table`, "schema"."table"). It returns "" when the next
// token is not a name.
func (l *lexer) tableName() string {
	t := l.next()
	if t.kind != tokWord && t.kind != tokQuoted || t.text == "" {
		return ""
	}
	if t.kind == tokWord && isReserved(t.text) {
		return ""
	}
	name := t.text
	for {
		p := l.pos
		dot := l.next()
		if dot.kind != tokPunct || dot.text != "." {
			l.pos = p
			return name
		}
		part := l.next()
		if part.kind != tokWord && part.kind != tokQuoted {
			return ""
		}
		name += "." + part.text
	}
}

// isReserved reports keywords that can follow FROM/INTO/UPDATE but never
// name a table.
func isReserved(w string) bool {
	switch strings.ToUpper(w) {
	case "SELECT", "WHERE", "SET", "VALUES", "VALUE", "LATERAL", "ONLY", "UNNEST", "DUAL", "WITH", "AS", "ON", "USING":
		return true
	}
	return false
}

// parseStatement finds the operation and the main table of query, read in
// dialect d. In MySQL a double-quoted token is a string, never a table.
func parseStatement(query string, d dialect) statement {
	l := &lexer{s: query, rules: d.rules()}
	var ctes []string
	t := l.next()
	for t.kind == tokPunct && t.text == "(" {
		t = l.next()
	}
	if t.is("WITH") {
		ctes = l.skipWith()
		t = l.next()
		for t.kind == tokPunct && t.text == "(" {
			t = l.next()
		}
	}
	if t.kind != tokWord {
		return statement{}
	}
	st := statement{operation: strings.ToUpper(t.text)}
	switch st.operation {
	case "SELECT":
		st.table = l.selectTable()
	case "INSERT", "REPLACE":
		st.table = l.insertTable()
	case "UPDATE":
		st.table = l.updateTable()
	case "DELETE":
		st.table = l.deleteTable()
	case "MERGE":
		if l.next().is("INTO") {
			st.table = l.tableName()
		}
	case "CREATE", "DROP", "ALTER", "TRUNCATE":
		st.table = l.ddlTable(st.operation)
	}
	for _, c := range ctes {
		if strings.EqualFold(c, st.table) {
			st.table = "" // a CTE, not a table
		}
	}
	return st
}

// skipWith consumes a WITH clause's common table expressions and returns
// their names.
func (l *lexer) skipWith() []string {
	var names []string
	if l.peek().is("RECURSIVE") {
		l.next()
	}
	for {
		name := l.next()
		if name.kind != tokWord && name.kind != tokQuoted {
			return names
		}
		names = append(names, name.text)
		t := l.next()
		if t.kind == tokPunct && t.text == "(" { // column list
			l.skipParens()
			t = l.next()
		}
		if !t.is("AS") {
			return names
		}
		t = l.next()
		if t.is("NOT") {
			t = l.next()
		}
		if t.is("MATERIALIZED") {
			t = l.next()
		}
		if t.kind != tokPunct || t.text != "(" {
			return names
		}
		l.skipParens()
		if p := l.peek(); p.kind != tokPunct || p.text != "," {
			return names
		}
		l.next()
	}
}

// selectTable returns the first table after the top-level FROM, "" when it
// is a subquery or a function.
func (l *lexer) selectTable() string {
	for {
		t := l.next()
		switch {
		case t.kind == tokEOF:
			return ""
		case t.kind == tokPunct && t.text == "(":
			l.skipParens()
		case t.kind == tokPunct && t.text == ")":
			// The end of a parenthesised statement: no FROM in it.
			return ""
		case t.is("FROM"):
			name := l.tableName()
			if p := l.peek(); p.kind == tokPunct && p.text == "(" {
				return "" // a table function
			}
			return name
		case t.is("UNION"), t.is("INTERSECT"), t.is("EXCEPT"):
			return ""
		}
	}
}

func (l *lexer) insertTable() string {
	for {
		p := l.pos
		t := l.next()
		switch {
		case t.is("INTO"):
			return l.tableName()
		case t.is("LOW_PRIORITY"), t.is("DELAYED"), t.is("HIGH_PRIORITY"), t.is("IGNORE"), t.is("OR"),
			t.is("ROLLBACK"), t.is("ABORT"), t.is("FAIL"), t.is("REPLACE"):
			continue
		case t.kind == tokWord || t.kind == tokQuoted:
			// INSERT t (...) without INTO (MySQL allows it).
			l.pos = p
			return l.tableName()
		default:
			return ""
		}
	}
}

func (l *lexer) updateTable() string {
	t := l.peek()
	for t.is("LOW_PRIORITY") || t.is("IGNORE") || t.is("ONLY") || t.is("OR") ||
		t.is("ROLLBACK") || t.is("ABORT") || t.is("REPLACE") || t.is("FAIL") {
		l.next()
		t = l.peek()
	}
	name := l.tableName()
	if name == "" {
		return ""
	}
	// UPDATE a, b SET ...: several tables, none of them main.
	if p := l.peek(); p.kind == tokPunct && p.text == "," {
		return ""
	}
	return name
}

func (l *lexer) deleteTable() string {
	t := l.next()
	for t.is("LOW_PRIORITY") || t.is("QUICK") || t.is("IGNORE") {
		t = l.next()
	}
	if t.is("FROM") {
		name := l.tableName()
		if p := l.peek(); p.kind == tokPunct && p.text == "," {
			return ""
		}
		if l.peek().is("USING") {
			return "" // DELETE FROM t1, ... USING: multi-table
		}
		return name
	}
	// DELETE t1 FROM t1 JOIN ...: t1 may be an alias; not sure.
	return ""
}

func (l *lexer) ddlTable(op string) string {
	p := l.pos
	t := l.next()
	if op == "CREATE" {
		for t.is("OR") || t.is("REPLACE") || t.is("TEMPORARY") || t.is("TEMP") || t.is("UNIQUE") || t.is("GLOBAL") || t.is("LOCAL") {
			t = l.next()
		}
		if t.is("INDEX") {
			// CREATE INDEX [IF NOT EXISTS] name ON table
			for {
				t = l.next()
				if t.kind == tokEOF {
					return ""
				}
				if t.is("ON") {
					return l.tableName()
				}
			}
		}
	}
	if op == "TRUNCATE" && !t.is("TABLE") {
		l.pos = p
		return l.tableName()
	}
	if !t.is("TABLE") {
		return ""
	}
	if l.peek().is("IF") {
		l.next()
		if l.peek().is("NOT") {
			l.next()
		}
		if !l.next().is("EXISTS") {
			return ""
		}
	}
	name := l.tableName()
	if p := l.peek(); p.kind == tokPunct && p.text == "," {
		return "" // DROP TABLE a, b
	}
	return name
}

// sanitize replaces the string and number literals of query, read in
// dialect d, by '?'. Comments and identifiers (quoted ones too) are kept.
// For a system sqlx does not know, every span of text that one of the
// otherRules reads as a literal is masked; so is, in MySQL, every literal
// of a statement with /*! or /*M! read with or without ruleExecComment.
func sanitize(query string, d dialect) string {
	ruleSets := otherRules[:]
	if r := d.rules(); d != dialectOther && r&ruleExecComment != 0 && (strings.Contains(query, "/*!") || strings.Contains(query, "/*M!")) {
		// The server's version decides whether it runs the text of
		// /*!NNNNN ... */ or skips it as a comment (MySQL skips /*M!
		// ones): the literals of both readings are masked.
		ruleSets = []rules{r, r &^ ruleExecComment}
	} else if d != dialectOther {
		var b strings.Builder
		last := 0
		literals(query, r, func(start, end int) {
			b.WriteString(query[last:start])
			b.WriteByte('?')
			last = end
		})
		if last == 0 {
			return query
		}
		b.WriteString(query[last:])
		return b.String()
	}
	var spans [][2]int
	for _, r := range ruleSets {
		literals(query, r, func(start, end int) { spans = append(spans, [2]int{start, end}) })
	}
	if len(spans) == 0 {
		return query
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var b strings.Builder
	last := 0
	for i := 0; i < len(spans); {
		start, end := spans[i][0], spans[i][1]
		for i++; i < len(spans) && spans[i][0] < end; i++ {
			end = max(end, spans[i][1])
		}
		b.WriteString(query[last:start])
		b.WriteByte('?')
		last = end
	}
	b.WriteString(query[last:])
	return b.String()
}

// literals calls f with the bounds of each string and number literal of
// query read with rules r, in order.
func literals(query string, r rules, f func(start, end int)) {
	l := &lexer{s: query, rules: r}
	last := 0
	prevWord := false
	for {
		l.skipSpace()
		start := l.pos
		t := l.next()
		if t.kind == tokEOF {
			return
		}
		if t.kind == tokString || t.kind == tokNumber {
			// X'ff', N'text', B'0101': the prefix goes with the literal.
			if t.kind == tokString && query[start] == '\'' && prevWord && start-1 >= last && isPrefix(query[start-1]) &&
				(start-2 < 0 || !isWordByte(query[start-2])) {
				start--
			}
			f(start, l.pos)
			last = l.pos
		}
		prevWord = t.kind == tokWord
	}
}

func isPrefix(c byte) bool {
	switch c {
	case 'x', 'X', 'n', 'N', 'b', 'B', 'e', 'E':
		return true
	}
	return false
}
