package sqlx

import (
	"sort"
	"strings"
)

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
		if t.kind == tokQuoted && t.open {
			// A quoted identifier that never closes: the server
			// rejects the statement, and the rest of the text, read
			// as the identifier, may hold a literal.
			f(start, l.pos)
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
