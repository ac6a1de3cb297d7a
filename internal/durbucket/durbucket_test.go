package durbucket

import (
	"math"
	"testing"
	"time"
)

// The rule: bucket i holds exactly the durations d with
// Bound(i-1) < d <= Bound(i) (upper bounds inclusive, as OpenTelemetry's
// explicit buckets), checked at, below and above every bound.
func TestOfAtEveryEdge(t *testing.T) {
	for i := 0; i < NumBounds; i++ {
		b := Bound(i)
		if got := Of(b); got != i {
			t.Errorf("Of(%d) = %d, want %d (bound inclusive)", b, got, i)
		}
		if got := Of(b + 1); got != i+1 {
			t.Errorf("Of(%d) = %d, want %d", b+1, got, i+1)
		}
		if i > 0 {
			if got := Of(b - 1); got != i {
				t.Errorf("Of(%d) = %d, want %d", b-1, got, i)
			}
		}
	}
	for _, d := range []int64{math.MinInt64, -1, 0, 1} {
		if got := Of(d); got != 0 {
			t.Errorf("Of(%d) = %d, want 0", d, got)
		}
	}
	for _, d := range []int64{Bound(NumBounds-1) + 1, int64(time.Hour), math.MaxInt64} {
		if got := Of(d); got != NumBounds {
			t.Errorf("Of(%d) = %d, want %d", d, got, NumBounds)
		}
	}
}

// Every band of the spec is a bound and reads as the spec writes it.
func TestSpecBandsAreBounds(t *testing.T) {
	want := []string{"262µs", "1.05ms", "16.8ms", "67.1ms", "268ms"}
	labels := Labels()
	for k, e := range SpecBands {
		i := BoundIndex(e)
		if i < 0 || i >= NumBounds {
			t.Fatalf("band 2^%d outside the bounds", e)
		}
		if labels[i] != want[k] {
			t.Errorf("band %d label = %q, want %q", k, labels[i], want[k])
		}
		if Bound(i) != 1<<e {
			t.Errorf("Bound(%d) = %d, want 2^%d", i, Bound(i), e)
		}
	}
	if b := BoundsMillis(); len(b) != NumBounds || b[0] != 0.016384 || b[NumBounds-1] != 68719.476736 {
		t.Errorf("BoundsMillis() = %v", b)
	}
	if l := Labels(); l[0] != "16.4µs" || l[NumBounds-1] != "68.7s" {
		t.Errorf("range labels = %q .. %q, want 16.4µs .. 68.7s", l[0], l[NumBounds-1])
	}
}

func BenchmarkOf(b *testing.B) {
	var s int
	for i := 0; b.Loop(); i++ {
		s += Of(int64(i) << 10)
	}
	_ = s
}
