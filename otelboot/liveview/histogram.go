package liveview

import (
	"time"

	"github.com/otelkit/otelkit/internal/durbucket"
)

// Durations are bucketed with the library's one layout (internal/durbucket),
// the same as the exported duration metric: powers of two of nanoseconds
// from 2^14 ns (16.4 µs) to 2^36 ns (68.7 s), upper bounds inclusive, so
// the spec's bands (262 µs, 1.05 ms, 16.8 ms, 67.1 ms, 268 ms) are bucket
// bounds and read as such on the heatmap's axis.
const numBuckets = durbucket.NumBuckets

// bucketOf returns the index of the bucket holding d.
func bucketOf(d time.Duration) int { return durbucket.Of(int64(d)) }

// bucketUpper returns the inclusive upper bound of bucket i, or 0 for the
// last (unbounded) bucket.
func bucketUpper(i int) time.Duration {
	if i >= numBuckets-1 {
		return 0
	}
	return time.Duration(durbucket.Bound(i))
}

// specBandIndexes returns the indexes in the bounds of the spec's bands.
func specBandIndexes() []int {
	b := make([]int, len(durbucket.SpecBands))
	for i, e := range durbucket.SpecBands {
		b[i] = durbucket.BoundIndex(e)
	}
	return b
}

// formatDuration writes d with three significant digits.
func formatDuration(d time.Duration) string { return durbucket.FormatDuration(d) }
