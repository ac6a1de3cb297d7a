package sqlx

import "strings"

// statement is what the parser learns from an SQL text.
type statement struct {
	// operation is the first keyword of the statement, upper case (SELECT,
	// INSERT, ...), after leading comments, parentheses and a WITH clause.
	operation string
	// table is the main table, "" when the parser is not sure.
	table string
}

// dialect is how a database system reads double-quoted text.
type dialect uint8

const (
	// dialectStandard: "x" is an identifier (PostgreSQL, SQLite, SQL
	// Server, Oracle, ... and systems sqlx does not know).
	dialectStandard dialect = iota
	// dialectMySQL: "x" is a string literal, as in MySQL and MariaDB
	// without the ANSI_QUOTES SQL mode (the default); a backslash escapes
	// in it as in '...'.
	dialectMySQL
)

// dialectOf returns the dialect of a db.system value.
func dialectOf(system string) dialect {
	switch strings.ToLower(system) {
	case "mysql", "mariadb", "tidb":
		return dialectMySQL
	}
	return dialectStandard
}

// lexer walks an SQL text token by token, skipping white space and
// comments (--, # and /* */).
type lexer struct {
	s       string
	pos     int
	dialect dialect
}

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokWord
	tokQuoted // `ident`, "ident" (not in MySQL), [ident]
	tokString // 'literal', "literal" in MySQL
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
		case c == '#':
			l.skipLine()
		case c == '-' && l.pos+1 < len(l.s) && l.s[l.pos+1] == '-':
			l.skipLine()
		case c == '/' && l.pos+1 < len(l.s) && l.s[l.pos+1] == '*':
			end := strings.Index(l.s[l.pos+2:], "*/")
			if end < 0 {
				l.pos = len(l.s)
			} else {
				l.pos += 2 + end + 2
			}
		default:
			return
		}
	}
}

func (l *lexer) skipLine() {
	end := strings.IndexByte(l.s[l.pos:], '\n')
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
	case c == '\'' || c == '"' && l.dialect == dialectMySQL:
		l.pos = quoteEnd(l.s, l.pos, c, true)
		return token{kind: tokString, text: l.s[start:l.pos]}
	case c == '`' || c == '"':
		l.pos = quoteEnd(l.s, l.pos, c, false)
		return token{kind: tokQuoted, text: unquote(l.s[start:l.pos])}
	case c == '[':
		end := strings.IndexByte(l.s[l.pos:], ']')
		if end < 0 {
			l.pos = len(l.s)
		} else {
			l.pos += end + 1
		}
		return token{kind: tokQuoted, text: unquote(l.s[start:l.pos])}
	case c >= '0' && c <= '9':
		for l.pos < len(l.s) && (isWordByte(l.s[l.pos]) || l.s[l.pos] == '.') {
			l.pos++
		}
		return token{kind: tokNumber, text: l.s[start:l.pos]}
	case isWordByte(c):
		for l.pos < len(l.s) && isWordByte(l.s[l.pos]) {
			l.pos++
		}
		return token{kind: tokWord, text: l.s[start:l.pos]}
	default:
		l.pos++
		return token{kind: tokPunct, text: l.s[start:l.pos]}
	}
}

// quoteEnd returns the index after the quote that closes the one at i; a
// doubled quote escapes, and so does a backslash when backslash is true
// (string literals).
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
	l := &lexer{s: query, dialect: d}
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
// dialect d, by '?': in MySQL "text" is a literal too. Comments and
// identifiers (quoted ones too) are kept.
func sanitize(query string, d dialect) string {
	var b strings.Builder
	l := &lexer{s: query, dialect: d}
	last := 0
	prevWord := false
	for {
		l.skipSpace()
		start := l.pos
		t := l.next()
		if t.kind == tokEOF {
			break
		}
		if t.kind == tokString || t.kind == tokNumber {
			// X'ff', N'text', B'0101': the prefix goes with the literal.
			if t.kind == tokString && query[start] == '\'' && prevWord && start-1 >= last && isPrefix(query[start-1]) &&
				(start-2 < 0 || !isWordByte(query[start-2])) {
				start--
			}
			b.WriteString(query[last:start])
			b.WriteByte('?')
			last = l.pos
		}
		prevWord = t.kind == tokWord
	}
	if last == 0 {
		return query
	}
	b.WriteString(query[last:])
	return b.String()
}

func isPrefix(c byte) bool {
	switch c {
	case 'x', 'X', 'n', 'N', 'b', 'B', 'e', 'E':
		return true
	}
	return false
}
