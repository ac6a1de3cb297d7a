package sqlx

import (
	"sync"
	"sync/atomic"
)

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
}

// parseCache remembers the parse of the statement texts a database runs.
type parseCache struct {
	m sync.Map // query -> parsed
	n atomic.Int32
	// dialect is the database's (dialectOf its db.system): set before the
	// first get, never after.
	dialect dialect
}

func (c *parseCache) get(query string, sanitizeLiterals bool) parsed {
	if v, ok := c.m.Load(query); ok {
		return v.(parsed)
	}
	p := parsed{statement: parseStatement(query, c.dialect), text: query}
	if sanitizeLiterals {
		p.text = sanitize(query, c.dialect)
	}
	if len(query) <= maxCachedQueryLen && c.n.Load() < maxCachedStatements {
		if _, loaded := c.m.LoadOrStore(query, p); !loaded {
			c.n.Add(1)
		}
	}
	return p
}
