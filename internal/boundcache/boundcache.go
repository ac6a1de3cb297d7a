// Package boundcache is otelkit's one bounded cache: a concurrency-safe map
// from the keys a wrapper sees (statement texts, route patterns, command
// names, topic names) to what it derived from them, with a fixed maximum
// number of entries so that keys chosen by the outside (SQL built with
// literals, a router setting arbitrary patterns, user-typed command names)
// can never grow memory without end.
//
// It fills and then freezes: once Max entries are stored, a new key is not
// stored (the caller uses the value it just built, and builds it again next
// time) while the entries already stored keep being served. There is no
// eviction, so a hit costs one sync.Map load with no lock and no write, the
// cost the wrappers' hot paths were measured with; the keys that matter
// (the ones an application repeats) are the first it sees.
package boundcache

import (
	"sync"
	"sync/atomic"
)

// Map is a bounded cache from K to V. The zero value is an empty map ready
// to use; every Store of a map is given the same bound, a constant of the
// caller's (so that a Map can sit in a struct built with a composite
// literal). It is safe for concurrent use.
type Map[K comparable, V any] struct {
	m sync.Map // K -> V
	n atomic.Int64
}

// Load returns the value stored for k.
func (c *Map[K, V]) Load(k K) (V, bool) {
	if v, ok := c.m.Load(k); ok {
		return v.(V), true
	}
	var zero V
	return zero, false
}

// Store keeps v for k unless the map holds max entries already, and
// returns the value the map holds for k afterwards: v, or the value another
// goroutine stored first (so that every caller shares one), or v when the
// map is full. The map never holds more than max entries, even under
// concurrent Stores.
func (c *Map[K, V]) Store(k K, v V, max int) V {
	if c.n.Load() >= int64(max) {
		return v
	}
	if c.n.Add(1) > int64(max) {
		// Others filled it meanwhile: give the slot back.
		c.n.Add(-1)
		return v
	}
	actual, loaded := c.m.LoadOrStore(k, v)
	if loaded {
		c.n.Add(-1)
	}
	return actual.(V)
}

// Len returns the number of entries stored.
func (c *Map[K, V]) Len() int { return int(c.n.Load()) }
