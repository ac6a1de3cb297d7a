package sqlx

import (
	"strings"
)

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
	// open marks a quoted identifier whose quote never closes: it runs
	// to the end of the text.
	open bool
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
		var closed bool
		l.pos, closed = quoteEndClosed(l.s, l.pos, c, false)
		return token{kind: tokQuoted, text: unquote(l.s[start:l.pos]), open: !closed}
	case c == '[' && l.rules&ruleBracketIdent != 0:
		// ]] is a ] in the identifier (SQL Server).
		var closed bool
		l.pos, closed = quoteEndClosed(l.s, l.pos, ']', false)
		return token{kind: tokQuoted, text: unquote(l.s[start:l.pos]), open: !closed}
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
	d := qQuoteMate(s[i+1])
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
	end, _ := quoteEndClosed(s, i, q, backslash)
	return end
}

// quoteEndClosed is quoteEnd, and reports whether the quote closes before
// the end of s.
func quoteEndClosed(s string, i int, q byte, backslash bool) (int, bool) {
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
			return j + 1, true
		}
	}
	return len(s), false
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

// qQuoteMate is the closing delimiter of an Oracle q'<d>...<d>' literal
// opened with d: its mate for [, {, < and (, else d itself.
func qQuoteMate(d byte) byte {
	switch d {
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	case '(':
		return ')'
	}
	return d
}
