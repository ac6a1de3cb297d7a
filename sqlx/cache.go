package sqlx

import "github.com/otelkit/otelkit/internal/boundcache"

// Bounds of the per-database cache of parsed statements: applications run
// a small set of statement texts over and over, but one that builds its
// SQL with literals inside must not grow the cache without end.
const (
	maxCachedStatements = 1000
	maxCachedQueryLen   = 2048
)

// parsed is what the span of a statement text needs.
type parsed struct {
	statement
	text string // the text recorded (sanitised when asked)
	// commentable: a SQL comment may be appended (set when the
	// commenter is on).
	commentable bool
}

// parseCache remembers the parse of the statement texts a database runs.
type parseCache struct {
	m boundcache.Map[string, parsed] // query -> parsed
	// dialect is the database's (dialectOf its db.system): set before the
	// first get, never after.
	dialect dialect
	// commenter is whether the SQL commenter is on: set with dialect.
	commenter bool
}

func (c *parseCache) get(query string, sanitizeLiterals bool) parsed {
	if p, ok := c.m.Load(query); ok {
		return p
	}
	p := parsed{statement: parseStatement(query, c.dialect), text: query}
	if c.commenter {
		p.commentable = commentable(query, c.dialect)
	}
	if sanitizeLiterals {
		p.text = sanitize(query, c.dialect)
	}
	if len(query) <= maxCachedQueryLen {
		p = c.m.Store(query, p, maxCachedStatements)
	}
	return p
}
