package liveview

import (
	"testing"
	"time"
)

func TestBucketPlacementOfSpecBands(t *testing.T) {
	bands := []struct {
		d     time.Duration
		label string // the boundary nearest the band, as the axis shows it
	}{
		{262 * time.Microsecond, "262µs"},
		{1050 * time.Microsecond, "1.05ms"},
		{16800 * time.Microsecond, "16.8ms"},
		{67100 * time.Microsecond, "67.1ms"},
		{268 * time.Millisecond, "268ms"},
	}
	labels := bucketLabels()
	seen := map[int]time.Duration{}
	for _, b := range bands {
		i := bucketOf(b.d)
		if prev, dup := seen[i]; dup {
			t.Errorf("%v and %v share bucket %d", prev, b.d, i)
		}
		seen[i] = b.d
		lo, hi := bucketUpper(i-1), bucketUpper(i)
		if i == 0 || b.d < lo || b.d >= hi {
			t.Errorf("%v placed in bucket %d [%v, %v)", b.d, i, lo, hi)
		}
		// The band's value sits next to a labelled boundary of its bucket.
		if labels[i-1] != b.label && labels[i] != b.label {
			t.Errorf("%v: bucket %d bounded by %q and %q, want %q on the axis", b.d, i, labels[i-1], labels[i], b.label)
		}
	}
	// The spec's bands are exactly the boundaries the page highlights.
	for k, e := range specBands {
		if got := labels[e-minExp]; got != bands[k].label {
			t.Errorf("band %d labelled %q, want %q", k, got, bands[k].label)
		}
	}
}

func TestBucketRange(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{0, 0},
		{50 * time.Microsecond, 0},
		{100 * time.Microsecond, 1}, // [65.5µs, 131µs)
		{1<<minExp - 1, 0},
		{1 << minExp, 1},
		{10 * time.Second, numBuckets - 2}, // [8.59s, 17.2s)
		{1 << maxExp, numBuckets - 1},
		{time.Hour, numBuckets - 1},
	}
	for _, tt := range tests {
		if got := bucketOf(tt.d); got != tt.want {
			t.Errorf("bucketOf(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
	b := bucketBounds()
	if len(b) != numBuckets-1 || b[0] > int64(100*time.Microsecond) || b[len(b)-1] < int64(10*time.Second) {
		t.Errorf("bounds %v do not cover 100µs to 10s", b)
	}
	for i := 1; i < len(b); i++ {
		if b[i] != 2*b[i-1] {
			t.Fatalf("bounds not log-scale at %d: %v", i, b)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1 << 18:                   "262µs",
		1 << 20:                   "1.05ms",
		1 << 28:                   "268ms",
		1 << 33:                   "8.59s",
		500:                       "500ns",
		999_999 * time.Nanosecond: "1000µs",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%d) = %q, want %q", int64(d), got, want)
		}
	}
}
