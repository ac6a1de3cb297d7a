package liveview

import (
	"testing"
	"time"

	"github.com/otelkit/otelkit/internal/durbucket"
	"github.com/otelkit/otelkit/internal/spanmetrics"
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
	labels := durbucketLabels()
	seen := map[int]time.Duration{}
	for _, b := range bands {
		i := bucketOf(b.d)
		if prev, dup := seen[i]; dup {
			t.Errorf("%v and %v share bucket %d", prev, b.d, i)
		}
		seen[i] = b.d
		lo, hi := bucketUpper(i-1), bucketUpper(i)
		if i == 0 || b.d <= lo || b.d > hi {
			t.Errorf("%v placed in bucket %d (%v, %v]", b.d, i, lo, hi)
		}
		// The band's value sits next to a labelled boundary of its bucket.
		if labels[i-1] != b.label && labels[i] != b.label {
			t.Errorf("%v: bucket %d bounded by %q and %q, want %q on the axis", b.d, i, labels[i-1], labels[i], b.label)
		}
	}
	// The spec's bands are exactly the boundaries the page highlights.
	for k, i := range specBandIndexes() {
		if got := labels[i]; got != bands[k].label {
			t.Errorf("band %d labelled %q, want %q", k, got, bands[k].label)
		}
	}
}

// One layout: the live view places every duration in the bucket the exported
// duration metric places it (explicit bounds in ms, upper bounds inclusive),
// checked at, below and above every bound.
func TestBucketsMatchExportedMetric(t *testing.T) {
	boundsMS := spanmetrics.DurationBoundaries()
	if len(boundsMS) != numBuckets-1 {
		t.Fatalf("metric has %d bounds, live view %d", len(boundsMS), numBuckets-1)
	}
	metricBucket := func(d time.Duration) int {
		ms := float64(d) / 1e6
		for i, b := range boundsMS {
			if ms <= b {
				return i
			}
		}
		return len(boundsMS)
	}
	ds := []time.Duration{0, 1, time.Hour}
	for _, b := range boundsMS {
		ns := time.Duration(b*1e6 + 0.5)
		ds = append(ds, ns-1, ns, ns+1)
	}
	for _, d := range ds {
		if got, want := bucketOf(d), metricBucket(d); got != want {
			t.Errorf("bucketOf(%v) = %d, the metric's bucket is %d", d, got, want)
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

func durbucketLabels() []string { return durbucket.Labels() }
