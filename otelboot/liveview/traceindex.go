package liveview

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"

	"go.opentelemetry.io/otel/trace"
)

// traceIndex maps the trace ids of the kept traces to their slab indexes:
// an open-addressing table with linear probing, holding no pointer (the
// GC does not scan it) and hashing the id with a seeded multiply-mix (ids
// are random; the seed keeps a sender from choosing colliding ones). It
// costs a few dozen instructions per operation where a map costs a few
// hundred, and each new trace takes a look-up, an insertion and, once the
// store is full, a deletion.
type traceIndex struct {
	slots []traceSlot // a power of two, at most half full
	n     int
	seed  [3]uint64
}

// traceSlot is one slot of the table; i == 0 marks it empty (slab index 0
// is unused).
type traceSlot struct {
	id trace.TraceID
	i  int32
}

func newTraceIndex() traceIndex {
	return traceIndex{
		slots: make([]traceSlot, 64),
		seed:  [3]uint64{rand.Uint64(), rand.Uint64(), rand.Uint64()},
	}
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// home returns the slot where a probe for id starts.
func (x *traceIndex) home(id *trace.TraceID) int {
	lo, hi := binary.LittleEndian.Uint64(id[:8]), binary.LittleEndian.Uint64(id[8:])
	h := mix(mix(lo^x.seed[0], hi^x.seed[1])^x.seed[2], 0x9E3779B97F4A7C15)
	return int(h & uint64(len(x.slots)-1))
}

// len returns the number of ids in the table.
func (x *traceIndex) len() int { return x.n }

// get returns the slab index of id, 0 if it has none.
func (x *traceIndex) get(id trace.TraceID) int32 {
	mask := len(x.slots) - 1
	for j := x.home(&id); ; j = (j + 1) & mask {
		s := &x.slots[j]
		if s.i == 0 || s.id == id {
			return s.i
		}
	}
}

// put adds id, which the table does not hold, with slab index i.
func (x *traceIndex) put(id trace.TraceID, i int32) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	mask := len(x.slots) - 1
	j := x.home(&id)
	for x.slots[j].i != 0 {
		j = (j + 1) & mask
	}
	x.slots[j] = traceSlot{id: id, i: i}
	x.n++
}

func (x *traceIndex) grow() {
	old := x.slots
	x.slots = make([]traceSlot, 2*len(old))
	mask := len(x.slots) - 1
	for _, s := range old {
		if s.i == 0 {
			continue
		}
		j := x.home(&s.id)
		for x.slots[j].i != 0 {
			j = (j + 1) & mask
		}
		x.slots[j] = s
	}
}

// del removes id, if held, shifting back the entries of its probe run so
// that no tombstone is needed.
func (x *traceIndex) del(id trace.TraceID) {
	mask := len(x.slots) - 1
	j := x.home(&id)
	for {
		s := &x.slots[j]
		if s.i == 0 {
			return
		}
		if s.id == id {
			break
		}
		j = (j + 1) & mask
	}
	for k := (j + 1) & mask; x.slots[k].i != 0; k = (k + 1) & mask {
		// The entry at k may move to the hole at j when its home is not
		// cyclically within (j, k].
		h := x.home(&x.slots[k].id)
		if (k > j && (h <= j || h > k)) || (k < j && h <= j && h > k) {
			x.slots[j] = x.slots[k]
			j = k
		}
	}
	x.slots[j] = traceSlot{}
	x.n--
}
