package sqlx

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Error text. Databases echo what they were sent in their error messages:
// MySQL's "Duplicate entry 'x' for key", "Incorrect integer value: 'x'",
// "... near 'WHERE pw = 'x'' at line 1"; PostgreSQL's "invalid input
// syntax for type integer: \"x\"", "Key (id)=(x) already exists"; SQLite's
// "near \"x\": syntax error". The text sqlx records (the status description
// and exception.message) obeys this rule:
//
//   - a statement argument never appears in it, in any mode: every
//     occurrence of an argument's text is replaced by '?', and so is every
//     occurrence of the first minEcho or more bytes of it (a server cuts
//     what it echoes); an argument shorter than minEcho bytes is replaced
//     where it stands between delimiters (quotes, parentheses, spaces,
//     commas, =), as servers quote the values they echo;
//   - with WithSanitizeLiterals on, the literals of the statement are
//     replaced the same way (the literal as written, quotes and all, and
//     its value), and then every quoted passage of the message ('...' or
//     "...") that is not part of the statement text sqlx records is
//     replaced by '?'. "near 'WHERE pw = 'x'' at line 1" becomes
//     "near 'WHERE pw = ?' at line 1", text the statement shows anyway.
//
// The rule is about text: a value the server transforms before echoing it
// (a number it reformats, a date it prints in its own format) can be
// missed in the default mode; with sanitising on, the quoted passages that
// such values appear in are masked.

// minEcho is the shortest part of an argument or literal that is masked
// wherever it appears in error text.
const minEcho = 4

// errorText returns the text of err as the span records it, for the
// statement query run with args (query "" and args nil when err is not
// about a statement).
func (d *dbInfo) errorText(err error, query string, args []driver.NamedValue) string {
	msg := err.Error()
	if msg == "" || (len(args) == 0 && (query == "" || !d.cfg.sanitize)) {
		return msg
	}
	return scrubErrorText(msg, query, args, d.parses.dialect, d.cfg.sanitize, func() string {
		return d.parses.get(query, true).text
	})
}

// scrubErrorText applies the rule above to msg. recorded returns the
// sanitised statement text, called only when sanitize is on.
func scrubErrorText(msg, query string, args []driver.NamedValue, d dialect, sanitize bool, recorded func() string) string {
	secrets := make([]echo, 0, len(args)*2)
	for _, a := range args {
		secrets = appendArgText(secrets, a.Value)
	}
	if sanitize && query != "" {
		secrets = appendLiterals(secrets, query, d)
	}
	msg = maskEchoes(msg, secrets)
	if sanitize {
		public := query
		if query != "" {
			public = recorded()
		}
		msg = maskQuoted(msg, public)
	}
	return msg
}

// echo is a text that error messages must not show: s itself, and
// unless whole is set its first minEcho or more bytes. open is the quote
// that opens the literal whose value s is: an occurrence right after it
// is masked with it (a server cut the literal it echoes).
type echo struct {
	s     string
	whole bool
	open  byte
}

// appendArgText appends the texts under which a server may echo the
// argument v.
func appendArgText(dst []echo, v driver.Value) []echo {
	switch v := v.(type) {
	case nil:
		return dst
	case string:
		return append(dst, echo{s: v})
	case []byte:
		return append(dst, echo{s: string(v)})
	case int64:
		return append(dst, echo{s: strconv.FormatInt(v, 10)})
	case float64:
		return append(dst, echo{s: strconv.FormatFloat(v, 'g', -1, 64)}, echo{s: strconv.FormatFloat(v, 'f', -1, 64)})
	case bool:
		return dst // 0/1, true/false: nothing to hide in a message
	case time.Time:
		return append(dst, echo{s: v.Format(time.DateTime)}, echo{s: v.Format(time.RFC3339Nano)})
	}
	// A value a driver's NamedValueChecker let through (uint64, a
	// driver's own types).
	return append(dst, echo{s: fmt.Sprint(v)})
}

// appendLiterals appends, for each literal of query (read as sanitize
// reads it), the literal as written (whole) and its value.
func appendLiterals(dst []echo, query string, d dialect) []echo {
	sets := otherRules[:]
	if d != dialectOther {
		r := d.rules()
		sets = []rules{r, r &^ ruleExecComment}
	}
	for _, r := range sets {
		literals(query, r, func(start, end int) {
			raw := query[start:end]
			v := literalValue(raw)
			dst = append(dst, echo{s: raw, whole: v != raw})
			if v != raw && v != "" {
				open := raw[strings.IndexAny(raw, `'"$`)]
				dst = append(dst, echo{s: v, open: open})
				if u := strings.ReplaceAll(v, "''", "'"); u != v {
					dst = append(dst, echo{s: u, open: open})
				}
			}
		})
	}
	return dst
}

// literalValue strips the prefix and quotes of the literal raw: 'x',
// N'x', E'x', "x", $tag$x$tag$, q'[x]'. A number is its own value.
func literalValue(raw string) string {
	i := strings.IndexAny(raw, `'"$`)
	if i < 0 {
		return raw
	}
	if raw[i] == '$' {
		if j := strings.IndexByte(raw[i+1:], '$'); j >= 0 {
			tag := raw[i : i+j+2]
			v := strings.TrimPrefix(raw[i:], tag)
			return strings.TrimSuffix(v, tag)
		}
		return raw
	}
	v := raw[i+1:]
	if i > 0 && (raw[i-1] == 'q' || raw[i-1] == 'Q') && v != "" {
		if len(v) >= 3 && strings.HasSuffix(v, "'") {
			return v[1 : len(v)-2]
		}
		return v[1:]
	}
	return strings.TrimSuffix(v, raw[i:i+1])
}

// maskEchoes replaces in msg, by '?', every occurrence of a secret, of
// its first minEcho or more bytes (unless whole), and of a shorter secret
// between delimiters. Overlapping occurrences are masked as one.
func maskEchoes(msg string, secrets []echo) string {
	if len(secrets) == 0 {
		return msg
	}
	var b strings.Builder
	last, from, to := 0, 0, 0 // [from, to): the run being masked
	for i := 0; i < len(msg); i++ {
		n, open, full := 0, byte(0), false
		for _, e := range secrets {
			s := e.s
			if s == "" || s[0] != msg[i] {
				continue
			}
			k := commonPrefix(msg[i:], s)
			if k == len(s) && (e.whole || delimited(msg, i, i+k)) || k >= minEcho && !e.whole {
				if k > n {
					n, open, full = k, e.open, k == len(s)
				}
			}
		}
		if n == 0 {
			continue
		}
		start := i
		if open != 0 && i > 0 && msg[i-1] == open && i-1 >= to {
			// The literal's own quotes: the closing one too when the
			// whole value is there (a cut value ends at the server's
			// quote).
			start = i - 1
			if full && i+n < len(msg) && msg[i+n] == open {
				n++
			}
		}
		if start >= to { // a new run
			if to > from {
				b.WriteString(msg[last:from])
				b.WriteByte('?')
				last = to
			}
			from = start
		}
		to = max(to, i+n)
	}
	if to == 0 {
		return msg
	}
	b.WriteString(msg[last:from])
	b.WriteByte('?')
	b.WriteString(msg[to:])
	return b.String()
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// delimited reports whether msg[i:j] stands between delimiters.
func delimited(msg string, i, j int) bool {
	left := i == 0 || strings.IndexByte("'\"`( ,=:[{", msg[i-1]) >= 0
	right := j == len(msg) || strings.IndexByte("'\"`) ,;:.]}\n", msg[j]) >= 0
	return left && right
}

// maskQuoted replaces by '?' every quoted passage of msg ('...' or "...")
// that public does not contain. A passage opens at a quote that follows
// no word byte and closes at the next same quote followed by neither a
// word byte nor another quote; one that does not close runs to the end.
func maskQuoted(msg, public string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(msg); i++ {
		q := msg[i]
		if q != '\'' && q != '"' || i > 0 && isWordByte(msg[i-1]) {
			continue
		}
		end, inner := len(msg), msg[i+1:]
		for j := i + 1; j < len(msg); j++ {
			if msg[j] == q && (j+1 == len(msg) || msg[j+1] != q && !isWordByte(msg[j+1])) {
				end, inner = j+1, msg[i+1:j]
				break
			}
		}
		if strings.Contains(public, inner) {
			i = end - 1
			continue
		}
		b.WriteString(msg[last:i])
		b.WriteByte('?')
		last = end
		i = end - 1
	}
	if last == 0 {
		return msg
	}
	b.WriteString(msg[last:])
	return b.String()
}
