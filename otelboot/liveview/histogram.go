package liveview

import (
	"math/bits"
	"strconv"
	"time"
)

// Duration buckets are powers of two in nanoseconds, the same boundaries
// Grafana and Tempo use for their latency heatmaps, so the spec's bands
// (262 µs = 2^18 ns, 1.05 ms = 2^20 ns, 16.8 ms = 2^24 ns, 67.1 ms = 2^26 ns,
// 268 ms = 2^28 ns) are bucket boundaries and read as such on the axis.
//
// Bucket 0 holds durations below 2^minExp ns (65.5 µs), bucket i in
// [1, numBuckets-2] holds [2^(minExp+i-1), 2^(minExp+i)) ns, and the last
// bucket holds durations of 2^maxExp ns (17.2 s) and more. The finite
// buckets therefore cover 100 µs to 10 s with a factor of two each.
const (
	minExp     = 16
	maxExp     = 34
	numBuckets = maxExp - minExp + 2
)

// specBands are the latency bands of the spec, section 8, as bucket
// boundaries (exponents of two in nanoseconds).
var specBands = [...]int{18, 20, 24, 26, 28}

// bucketOf returns the index of the bucket holding d.
func bucketOf(d time.Duration) int {
	if d < 1<<minExp {
		return 0
	}
	e := bits.Len64(uint64(d)) - 1 // floor(log2(d))
	if e >= maxExp {
		return numBuckets - 1
	}
	return e - minExp + 1
}

// bucketUpper returns the exclusive upper bound of bucket i, or 0 for the
// last (unbounded) bucket.
func bucketUpper(i int) time.Duration {
	if i >= numBuckets-1 {
		return 0
	}
	return time.Duration(1) << (minExp + i)
}

// bucketBounds returns the finite boundaries between buckets in nanoseconds.
func bucketBounds() []int64 {
	b := make([]int64, numBuckets-1)
	for i := range b {
		b[i] = 1 << (minExp + i)
	}
	return b
}

// bucketLabels returns a readable label for each boundary of bucketBounds.
func bucketLabels() []string {
	b := bucketBounds()
	l := make([]string, len(b))
	for i, ns := range b {
		l[i] = formatDuration(time.Duration(ns))
	}
	return l
}

// formatDuration writes d with three significant digits and the unit that
// keeps the number between 1 and 999: 262144ns is "262µs", 2^20 ns "1.05ms".
func formatDuration(d time.Duration) string {
	v := float64(d)
	unit := "ns"
	switch {
	case d >= time.Second:
		v, unit = v/1e9, "s"
	case d >= time.Millisecond:
		v, unit = v/1e6, "ms"
	case d >= time.Microsecond:
		v, unit = v/1e3, "µs"
	}
	prec := 2
	switch {
	case v >= 99.95:
		prec = 0
	case v >= 9.995:
		prec = 1
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + unit
}
