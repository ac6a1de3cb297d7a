package liveview

import (
	"math/rand/v2"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// TestTraceIndexMatchesAMap runs random insertions, look-ups and deletions
// against a map, with ids that collide in the table (few distinct ids, a
// small table) as well as random ones.
func TestTraceIndexMatchesAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := newTraceIndex()
	ref := map[trace.TraceID]int32{}
	ids := make([]trace.TraceID, 300)
	for i := range ids {
		ids[i][0], ids[i][1], ids[i][15] = byte(i), byte(i>>8), 1
	}
	for step := 0; step < 200_000; step++ {
		id := ids[r.IntN(len(ids))]
		switch r.IntN(3) {
		case 0:
			if _, ok := ref[id]; !ok {
				v := int32(1 + r.IntN(1000))
				ref[id] = v
				x.put(id, v)
			}
		case 1:
			delete(ref, id)
			x.del(id)
		}
		if got := x.get(id); got != ref[id] {
			t.Fatalf("step %d: get = %d, want %d", step, got, ref[id])
		}
		if x.len() != len(ref) {
			t.Fatalf("step %d: len %d, want %d", step, x.len(), len(ref))
		}
	}
	for id, v := range ref {
		if got := x.get(id); got != v {
			t.Fatalf("get = %d, want %d", got, v)
		}
	}
}
