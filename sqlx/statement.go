package sqlx

import (
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
