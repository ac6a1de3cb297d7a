package spanmetrics

import (
	"context"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/otelkit/otelkit/internal/durbucket"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// The bucket layout of duration is durbucket's, the one the live view uses.
const (
	numBuckets = durbucket.NumBuckets

	// maxHistShards bounds the shards (one per P) of one attribute set's
	// histogram, so that MaxAttributeSets sets stay within 4 MiB on large
	// machines; beyond 16 Ps, Ps share shards.
	maxHistShards = 16
)

const durationDescription = "Duration of finished spans."

// histShard is one part of the histogram of one attribute set, padded to
// four cache lines so that shards do not share them.
type histShard struct {
	counts [numBuckets]atomic.Uint64
	sum    atomic.Int64 // ns
	min    atomic.Int64 // ns; math.MaxInt64 until the first value
	max    atomic.Int64 // ns; math.MinInt64 until the first value
	_      [256 - (numBuckets+3)*8]byte
}

// hist is the histogram of one attribute set, updated with atomic
// operations only.
type hist struct {
	shards []histShard
	mask   uint64
	start  time.Time
	ex     [numBuckets]exSlot // one exemplar per bucket
}

func newHist(n int) *hist {
	h := &hist{shards: make([]histShard, n), mask: uint64(n - 1), start: time.Now()}
	for i := range h.shards {
		h.shards[i].min.Store(math.MaxInt64)
		h.shards[i].max.Store(math.MinInt64)
	}
	return h
}

// record adds a duration of d nanoseconds to the shard chosen by r and
// returns its bucket. The extremes and the sum are updated before the
// count, so that a collection that sees the count sees them too.
func (h *hist) record(d int64, r uint64) int {
	sh := &h.shards[r&h.mask]
	for {
		m := sh.min.Load()
		if d >= m || sh.min.CompareAndSwap(m, d) {
			break
		}
	}
	for {
		m := sh.max.Load()
		if d <= m || sh.max.CompareAndSwap(m, d) {
			break
		}
	}
	sh.sum.Add(d)
	b := durbucket.Of(d)
	sh.counts[b].Add(1)
	return b
}

// count returns the number of values in h.
func (h *hist) count() uint64 {
	var n uint64
	for i := range h.shards {
		for b := range h.shards[i].counts {
			n += h.shards[i].counts[b].Load()
		}
	}
	return n
}

// point fills dp with the cumulative state of h and reports whether h has
// any value.
func (h *hist) point(dp *metricdata.HistogramDataPoint[float64]) bool {
	counts := make([]uint64, numBuckets)
	var n uint64
	var sum int64
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i := range h.shards {
		sh := &h.shards[i]
		for b := range counts {
			c := sh.counts[b].Load()
			counts[b] += c
			n += c
		}
		sum += sh.sum.Load()
		lo = min(lo, sh.min.Load())
		hi = max(hi, sh.max.Load())
	}
	if n == 0 {
		return false
	}
	dp.Count = n
	dp.BucketCounts = counts
	dp.Sum = nanosToMillis(sum)
	dp.Min = metricdata.NewExtrema(nanosToMillis(lo))
	dp.Max = metricdata.NewExtrema(nanosToMillis(hi))
	dp.StartTime = h.start
	for b := range h.ex {
		if e, ok := h.ex[b].load(); ok {
			dp.Exemplars = append(dp.Exemplars, e)
		}
	}
	return true
}

// nanosToMillis converts as the SDK path does, so that extremes are equal
// to the values it would record.
func nanosToMillis(d int64) float64 {
	return float64(time.Duration(d)) / float64(time.Millisecond)
}

// Producer exports the duration histogram that a Processor built with
// WithProducer records itself, bypassing the SDK's histogram (which costs
// most of a span end). Attach it to every reader of the meter provider
// with sdkmetric.WithProducer (or the Prometheus exporter's WithProducer),
// then pass it to New with WithProducer.
//
// It produces cumulative data only, and its data does not go through the
// reader's temporality and aggregation selectors nor the meter provider's
// views: use it only with readers whose histograms are cumulative explicit
// bucket histograms (see ExporterCompatible); otherwise leave it out and
// New records through the SDK.
//
// The data has the same scope, name, description, unit, attributes, bucket
// boundaries, counts, minimum and maximum as the SDK's histogram; the sum
// is computed in integer nanoseconds and converted once, so its last bits
// may differ from a floating-point sum of the same values. The reader lists
// it as a second ScopeMetrics of the same scope, after the SDK's.
type Producer struct {
	reg   *registry
	bound atomic.Bool
}

var _ sdkmetric.Producer = (*Producer)(nil)

// NewProducer returns a Producer to attach to the readers and pass to New.
func NewProducer() *Producer {
	n := 1
	for n < runtime.GOMAXPROCS(0) && n < maxHistShards {
		n <<= 1
	}
	return &Producer{reg: newRegistry(n)}
}

// Produce returns the duration histogram: one cumulative point per
// attribute set that has recorded a span.
func (p *Producer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	entries := p.reg.all()
	dps := make([]metricdata.HistogramDataPoint[float64], 0, len(entries))
	now := time.Now()
	var bounds []float64
	for _, e := range entries {
		dp := metricdata.HistogramDataPoint[float64]{Attributes: e.attrs, Time: now}
		if !e.h.point(&dp) {
			continue
		}
		if bounds == nil {
			bounds = DurationBoundaries()
		}
		dp.Bounds = bounds
		dps = append(dps, dp)
	}
	if len(dps) == 0 {
		return nil, nil
	}
	return []metricdata.ScopeMetrics{{
		Scope: instrumentation.Scope{Name: ScopeName},
		Metrics: []metricdata.Metrics{{
			Name:        DurationName,
			Description: durationDescription,
			Unit:        "ms",
			Data: metricdata.Histogram[float64]{
				Temporality: metricdata.CumulativeTemporality,
				DataPoints:  dps,
			},
		}},
	}}, nil
}

// ExporterCompatible reports whether exp wants histograms as the Producer
// makes them: cumulative, with the explicit bucket aggregation (the
// default) keeping the minimum and maximum. It is false for an OTLP
// exporter configured with delta or lowmemory temporality or with the
// base2 exponential histogram aggregation.
func ExporterCompatible(exp sdkmetric.Exporter) bool {
	if exp.Temporality(sdkmetric.InstrumentKindHistogram) != metricdata.CumulativeTemporality {
		return false
	}
	switch a := exp.Aggregation(sdkmetric.InstrumentKindHistogram).(type) {
	case nil, sdkmetric.AggregationDefault:
		return true
	case sdkmetric.AggregationExplicitBucketHistogram:
		return !a.NoMinMax
	}
	return false
}
