// Package durbucket is the one bucket layout of span durations used by the
// library: the exported duration histogram (internal/spanmetrics) and the
// live view's heatmap and per-name statistics (otelboot/liveview).
//
// The bounds are powers of two of nanoseconds, 2^MinExp ns (16.4 µs) to
// 2^MaxExp ns (68.7 s), a factor of two apart. Buckets follow OpenTelemetry's
// explicit-bucket histogram: upper bounds are inclusive. Bucket 0 holds
// durations up to and including 2^MinExp ns, bucket i (0 < i < NumBounds)
// holds (2^(MinExp+i-1), 2^(MinExp+i)] ns, and bucket NumBounds holds every
// duration above 2^MaxExp ns. The spec's latency bands (262 µs = 2^18 ns,
// 1.05 ms = 2^20, 16.8 ms = 2^24, 67.1 ms = 2^26, 268 ms = 2^28) are bucket
// bounds, so each band edge separates two buckets.
package durbucket

import (
	"math/bits"
	"strconv"
	"time"
)

const (
	// MinExp is the exponent of the smallest bound: 2^14 ns = 16.4 µs.
	MinExp = 14
	// MaxExp is the exponent of the largest bound: 2^36 ns = 68.7 s.
	MaxExp = 36
	// NumBounds is the number of finite bounds.
	NumBounds = MaxExp - MinExp + 1
	// NumBuckets is the number of buckets: one more than the bounds.
	NumBuckets = NumBounds + 1
)

// SpecBands are the exponents (of two, in nanoseconds) of the spec's
// latency bands: 262 µs, 1.05 ms, 16.8 ms, 67.1 ms and 268 ms.
var SpecBands = [...]int{18, 20, 24, 26, 28}

// Of returns the bucket of a duration of d nanoseconds. Durations of zero or
// less fall in bucket 0.
func Of(d int64) int {
	if d <= 1<<MinExp {
		return 0
	}
	i := bits.Len64(uint64(d-1)) - MinExp
	if i > NumBounds {
		return NumBounds
	}
	return i
}

// Bound returns the inclusive upper bound of bucket i in nanoseconds, for
// 0 <= i < NumBounds.
func Bound(i int) int64 { return int64(1) << (MinExp + i) }

// BoundIndex returns the index of the bound 2^exp ns in the list of bounds.
func BoundIndex(exp int) int { return exp - MinExp }

// BoundsNanos returns the bounds in nanoseconds.
func BoundsNanos() []int64 {
	b := make([]int64, NumBounds)
	for i := range b {
		b[i] = Bound(i)
	}
	return b
}

// BoundsMillis returns the bounds in milliseconds, the unit of the duration
// metric.
func BoundsMillis() []float64 {
	b := make([]float64, NumBounds)
	for i := range b {
		b[i] = float64(Bound(i)) / 1e6
	}
	return b
}

// Labels returns a readable label for each bound, as FormatDuration writes it.
func Labels() []string {
	l := make([]string, NumBounds)
	for i := range l {
		l[i] = FormatDuration(time.Duration(Bound(i)))
	}
	return l
}

// FormatDuration writes d with three significant digits and the unit that
// keeps the number between 1 and 999: 2^18 ns is "262µs", 2^20 ns "1.05ms".
func FormatDuration(d time.Duration) string {
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
