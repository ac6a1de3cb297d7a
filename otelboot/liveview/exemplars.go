package liveview

import (
	"net/url"
	"strconv"
)

// cellFilter selects, for /api/traces, the kept traces that fell in a cell
// of the heatmap or a bar of the rate chart: those holding a span that
// ended in [from, to) (Unix seconds) and lasted more than min_ns and at
// most max_ns nanoseconds, the heatmap's bucket rule (upper bounds
// inclusive). Each bound is optional; with none the filter is off.
type cellFilter struct {
	on             bool
	from, to       int64 // Unix seconds; to exclusive
	hasFrom, hasTo bool
	minNS, maxNS   int64
	hasMin, hasMax bool
}

func parseCellFilter(q url.Values) cellFilter {
	var c cellFilter
	read := func(name string, dst *int64, has *bool) {
		if s := q.Get(name); s != "" {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				*dst, *has, c.on = n, true, true
			}
		}
	}
	read("from", &c.from, &c.hasFrom)
	read("to", &c.to, &c.hasTo)
	read("min_ns", &c.minNS, &c.hasMin)
	read("max_ns", &c.maxNS, &c.hasMax)
	return c
}

// match reports whether one span of t satisfies every bound.
func (c cellFilter) match(t *traceEntry) bool {
	if !c.on {
		return true
	}
	found := false
	recs(t.buf, func(r rec) bool {
		end := r.end().unix()
		d := int64(r.dur())
		found = !(c.hasFrom && end < c.from || c.hasTo && end >= c.to ||
			c.hasMin && d <= c.minNS || c.hasMax && d > c.maxNS)
		return !found
	})
	return found
}
