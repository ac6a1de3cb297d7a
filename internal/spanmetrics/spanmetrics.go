// Package spanmetrics derives the spec's three metrics (span_rate,
// error_rate, duration) from every finished span.
//
// otelboot registers it by default:
//
//	p, err := spanmetrics.New(meterProvider)   // registers the instruments
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), ...)
//
// Instruments (meter scope "github.com/otelkit/otelkit/internal/spanmetrics"):
//
//	name        kind                       unit      attributes
//	spans       Int64ObservableCounter     {span}    none
//	span.errors Int64ObservableCounter     {error}   none
//	span_rate   Float64ObservableGauge     span/s    none
//	error_rate  Float64ObservableGauge     error/s   none
//	duration    Float64Histogram           ms        span.name, span.kind, status.code
//	            (or the Producer's histogram, the same metric)
//
// spans and span.errors are monotonic totals of the spans that ended and of
// those whose status is Error; span_rate and error_rate are the same counts
// over the last complete seconds of a sliding window (10 s by default)
// divided by its length. Only recorded spans reach a span processor, so a
// span dropped by the sampler is not counted.
//
// The attribute names and values of duration follow the OpenTelemetry
// Collector's spanmetrics connector (span.kind "SPAN_KIND_SERVER",
// status.code "STATUS_CODE_ERROR"), so dashboards written for it work. Its
// explicit bucket boundaries are the powers of two of nanoseconds from 2^14
// ns (16.4 µs) to 2^36 ns (68.7 s), written in milliseconds: the spec's
// latency bands 262 µs, 1.05 ms, 16.8 ms, 67.1 ms and 268 ms are 2^18, 2^20,
// 2^24, 2^26 and 2^28 ns, so each falls in its own bucket and the heatmap
// shows the same bands as the original.
//
// Cost: OnEnd takes no lock and makes no allocation once a (name, kind,
// status) combination has been seen. Counts go to one of several
// cache-line-padded shards, each holding a ring of one-second slots updated
// with atomic operations; the shard is the current P's (handed out by a
// sync.Pool, whose fast path takes no lock), so that each core keeps
// writing its own cache lines. The attribute set of duration comes from a
// copy-on-write map read without a lock.
//
// Two ways to record duration: given a [Producer] ([WithProducer]) attached
// to every reader of the meter provider, OnEnd adds the span to its
// attribute set's bucket counters (sharded the same way, updated with
// atomic operations) and the Producer exports them at collection time,
// which keeps OnEnd within about twice the cost of merely reading the
// span's name, kind, status and times (see BenchmarkOnEnd); without one,
// New creates an SDK Float64Histogram and OnEnd calls its Record, which
// normalizes the attribute set on every call and costs several times more
// (see BenchmarkSDKRecord). Both export the same metric. A Producer's data
// bypasses the readers' temporality and aggregation selectors and the
// provider's views, so it suits only readers of cumulative explicit bucket
// histograms: otelboot uses it when all its readers are such, and the
// SDK's histogram otherwise (delta or lowmemory temporality, exponential
// histograms, a reader passed with WithMetricReader).
//
// Exemplars: duration carries the trace and span id of spans where the
// exemplar filter allows (OTEL_METRICS_EXEMPLAR_FILTER, read as the SDK
// reads it: trace_based by default, so sampled spans only; always_on;
// always_off). With the SDK's histogram, OnEnd records through a context
// carrying the span's span context (two allocations, made only when the
// filter lets the span through) and the SDK's reservoir keeps one exemplar
// per bucket. With a Producer, each attribute set keeps one exemplar per
// bucket itself, replaced by a later span of that bucket once it is a
// second old, at no allocation (see exemplarEvery).
package spanmetrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otelkit/otelkit/internal/durbucket"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the instruments.
const ScopeName = "github.com/otelkit/otelkit/internal/spanmetrics"

// Instrument names.
const (
	SpanCountName  = "spans"
	ErrorCountName = "span.errors"
	SpanRateName   = "span_rate"
	ErrorRateName  = "error_rate"
	DurationName   = "duration"
)

// Attribute keys of the duration histogram.
const (
	SpanNameKey   = attribute.Key("span.name")
	SpanKindKey   = attribute.Key("span.kind")
	StatusCodeKey = attribute.Key("status.code")
)

// DefaultWindow is the length of the sliding window of the rate gauges.
const DefaultWindow = 10 * time.Second

// MaxAttributeSets bounds the number of distinct (span name, kind, status)
// combinations recorded by duration; spans beyond it are recorded under the
// span name "other", so that spans named after raw URLs cannot grow memory
// without bound.
const MaxAttributeSets = 1000

// ringSize is the number of one-second slots per shard; a power of two
// larger than the longest window plus the current second.
const ringSize = 64

// maxWindow is the longest window that the ring can hold.
const maxWindow = (ringSize - 2) * time.Second

// DurationBoundaries returns the explicit bucket boundaries of duration in
// milliseconds: 2^k nanoseconds for k = 14..36 (durbucket's layout).
func DurationBoundaries() []float64 { return durbucket.BoundsMillis() }

// Option configures New.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	window    time.Duration
	now       func() time.Time
	producer  *Producer
	exemplars ExemplarFilter
}

// WithProducer makes the Processor record duration into pr, which must be
// attached to every reader of the meter provider, instead of an SDK
// histogram. A Producer serves one Processor.
func WithProducer(pr *Producer) Option {
	return optionFunc(func(c *config) { c.producer = pr })
}

// WithWindow sets the length of the sliding window of span_rate and
// error_rate, rounded down to whole seconds (default 10 s, at least 1 s, at
// most 62 s).
func WithWindow(d time.Duration) Option {
	return optionFunc(func(c *config) { c.window = d })
}

// WithExemplarFilter sets which spans leave an exemplar (trace and span
// id) on duration; the default is [ExemplarFilterFromEnv], the filter the
// SDK's meter provider applies. With the SDK's histogram the meter
// provider's own filter decides too: this one only spares OnEnd the
// context that carries the span when that filter would drop it.
func WithExemplarFilter(f ExemplarFilter) Option {
	return optionFunc(func(c *config) { c.exemplars = f })
}

// withClock replaces time.Now for the gauges (tests).
func withClock(now func() time.Time) Option {
	return optionFunc(func(c *config) { c.now = now })
}

// slot counts the spans of one second. The upper 32 bits hold the second
// (Unix time, truncated), the lower 32 bits the count.
type slot struct{ v atomic.Uint64 }

func (s *slot) add(sec uint32) {
	for {
		old := s.v.Load()
		var nv uint64
		if uint32(old>>32) == sec {
			nv = old + 1
		} else {
			nv = uint64(sec)<<32 | 1
		}
		if s.v.CompareAndSwap(old, nv) {
			return
		}
	}
}

func (s *slot) load(sec uint32) uint64 {
	v := s.v.Load()
	if uint32(v>>32) != sec {
		return 0
	}
	return v & math.MaxUint32
}

// shard holds one part of the counts; padded so that shards do not share
// cache lines.
type shard struct {
	spans  atomic.Int64 // unused with a Producer
	errors atomic.Int64 // unused with a Producer
	_      [48]byte
	total  [ringSize]slot
	errs   [ringSize]slot
}

// kindSets holds the entries of one span name by kind and status code; an
// entry is nil until first used.
type kindSets [6][3]*entry

// nameSets is the kindSets of one span name. It is never modified once
// published: a new kind or status makes a new nameSets sharing the
// entries, so that a nameSets held by a token stays valid.
type nameSets struct {
	name string
	sets kindSets
}

type attrKey struct {
	name   string
	kind   trace.SpanKind
	status codes.Code
}

// entry is one attribute set of duration: its precomputed record options
// for the SDK histogram, and its own histogram when a Producer is used.
type entry struct {
	attrs  attribute.Set
	opts   []metric.RecordOption
	h      *hist // nil without a Producer
	failed bool  // status Error
}

// registry maps attribute keys to entries; lookups take no lock.
type registry struct {
	sets      atomic.Pointer[map[string]*nameSets] // by span name; copy on write
	list      atomic.Pointer[[]*entry]             // every entry with a histogram; copy on write
	mu        sync.Mutex                           // serializes writers
	n         int                                  // sets created; guarded by mu
	other     kindSets                             // overflow sets by kind, status
	histShard int                                  // shards of each histogram; 0: none
}

func newRegistry(histShards int) *registry {
	r := &registry{histShard: histShards}
	empty := map[string]*nameSets{}
	r.sets.Store(&empty)
	r.list.Store(&[]*entry{})
	for k := range r.other {
		for s := range r.other[k] {
			r.other[k][s] = r.newEntry(attrKey{name: "other", kind: trace.SpanKind(k), status: codes.Code(s)})
		}
	}
	return r
}

// newEntry builds the entry of k; called with mu held or before r is
// shared.
func (r *registry) newEntry(k attrKey) *entry {
	e := &entry{attrs: attribute.NewSet(
		SpanNameKey.String(k.name),
		SpanKindKey.String(kindValue(k.kind)),
		StatusCodeKey.String(statusValue(k.status)),
	)}
	e.opts = []metric.RecordOption{metric.WithAttributeSet(e.attrs)}
	e.failed = k.status == codes.Error
	if r.histShard > 0 {
		e.h = newHist(r.histShard)
		old := *r.list.Load()
		next := make([]*entry, len(old), len(old)+1)
		copy(next, old)
		next = append(next, e)
		r.list.Store(&next)
	}
	return e
}

// all returns every entry that has a histogram.
func (r *registry) all() []*entry { return *r.list.Load() }

// totals returns the number of values in the histograms, and of those of
// status Error.
func (r *registry) totals() (n, failed int64) {
	for _, e := range r.all() {
		c := int64(e.h.count())
		n += c
		if e.failed {
			failed += c
		}
	}
	return n, failed
}

// entry returns the entry of k, creating it on first use.
func (r *registry) entry(k attrKey) *entry {
	e, _ := r.entryOf(k, nil)
	return e
}

// entryOf returns the entry of k, creating it on first use, and the
// nameSets of k's name it was found in (nil for the overflow sets). If
// hint is the nameSets of k's name, the map is not read.
func (r *registry) entryOf(k attrKey, hint *nameSets) (*entry, *nameSets) {
	ki, si := int(k.kind), int(k.status)
	if ki < 0 || ki >= len(r.other) {
		ki = 0
	}
	if si < 0 || si >= len(r.other[0]) {
		si = 0
	}
	if hint != nil && hint.name == k.name {
		if e := hint.sets[ki][si]; e != nil {
			return e, hint
		}
	}
	if ns := (*r.sets.Load())[k.name]; ns != nil {
		if e := ns.sets[ki][si]; e != nil {
			return e, ns
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := *r.sets.Load()
	old := cur[k.name]
	if old != nil && old.sets[ki][si] != nil {
		return old.sets[ki][si], old
	}
	if r.n >= MaxAttributeSets {
		return r.other[ki][si], nil
	}
	ns := &nameSets{name: k.name}
	if old != nil {
		ns.sets = old.sets
	}
	ns.sets[ki][si] = r.newEntry(attrKey{name: k.name, kind: trace.SpanKind(ki), status: codes.Code(si)})
	next := make(map[string]*nameSets, len(cur)+1)
	for name, v := range cur {
		next[name] = v
	}
	next[k.name] = ns
	r.sets.Store(&next)
	r.n++
	return ns.sets[ki][si], ns
}

// Processor is an sdktrace.SpanProcessor that records span_rate, error_rate
// and duration for every span that ends. Build it once per tracer provider.
type Processor struct {
	shards []shard
	mask   uint64
	window int64
	now    func() time.Time
	// inHist is set with a Producer: the totals are then the counts of its
	// histograms, which saves OnEnd an atomic addition.
	inHist bool

	// tokens hands out shard indexes with affinity to the P (sync.Pool
	// keeps one object per P), so that a core keeps writing the same cache
	// lines. Its objects point into tokenArr: no allocation.
	tokens   sync.Pool
	tokenArr [64]token
	nextTok  atomic.Uint64

	duration  metric.Float64Histogram // nil with a Producer
	exemplars ExemplarFilter
	reg       metric.Registration
	sets      *registry

	shutdown atomic.Bool
}

var _ sdktrace.SpanProcessor = (*Processor)(nil)

// token is a shard index handed out by Processor.tokens, with the names'
// attribute sets of the last span ended with it: consecutive spans of one
// name on one P (a loop of queries, the same route) skip the map lookup.
// last is atomic because two Ps can hold the same token when the pool has
// made more than len(tokenArr) of them. Padded to a cache line.
type token struct {
	r    uint64
	last atomic.Pointer[nameSets]
	_    [48]byte
}

// New returns a Processor whose instruments are created on mp. With
// WithProducer, duration is recorded into the Producer rather than created
// on mp. It returns an error when an instrument or the callback cannot be
// registered, or when the Producer already serves another Processor.
func New(mp metric.MeterProvider, opts ...Option) (*Processor, error) {
	c := config{window: DefaultWindow, now: time.Now, exemplars: ExemplarFilterFromEnv()}
	for _, o := range opts {
		o.apply(&c)
	}
	c.window = c.window.Truncate(time.Second)
	if c.window < time.Second {
		c.window = time.Second
	}
	if c.window > maxWindow {
		c.window = maxWindow
	}

	n := 1
	for n < 2*runtime.GOMAXPROCS(0) && n < 128 {
		n <<= 1
	}
	p := &Processor{
		shards:    make([]shard, n),
		mask:      uint64(n - 1),
		window:    int64(c.window / time.Second),
		now:       c.now,
		exemplars: c.exemplars,
	}
	for i := range p.tokenArr {
		p.tokenArr[i].r = uint64(i)
	}
	p.tokens.New = func() any { return &p.tokenArr[p.nextTok.Add(1)%uint64(len(p.tokenArr))] }
	m := mp.Meter(ScopeName)
	var err error
	if c.producer != nil {
		if !c.producer.bound.CompareAndSwap(false, true) {
			return nil, errors.New("spanmetrics: the Producer already serves another Processor")
		}
		p.sets = c.producer.reg
		p.inHist = true
	} else {
		p.sets = newRegistry(0)
		p.duration, err = m.Float64Histogram(DurationName,
			metric.WithDescription(durationDescription),
			metric.WithUnit("ms"),
			metric.WithExplicitBucketBoundaries(DurationBoundaries()...))
		if err != nil {
			return nil, fmt.Errorf("spanmetrics: %s: %w", DurationName, err)
		}
	}
	spans, err := m.Int64ObservableCounter(SpanCountName,
		metric.WithDescription("Spans that ended."), metric.WithUnit("{span}"))
	if err != nil {
		return nil, fmt.Errorf("spanmetrics: %s: %w", SpanCountName, err)
	}
	errs, err := m.Int64ObservableCounter(ErrorCountName,
		metric.WithDescription("Spans that ended with status Error."), metric.WithUnit("{error}"))
	if err != nil {
		return nil, fmt.Errorf("spanmetrics: %s: %w", ErrorCountName, err)
	}
	spanRate, err := m.Float64ObservableGauge(SpanRateName,
		metric.WithDescription(fmt.Sprintf("Spans ended per second over the last %s.", c.window)),
		metric.WithUnit("span/s"))
	if err != nil {
		return nil, fmt.Errorf("spanmetrics: %s: %w", SpanRateName, err)
	}
	errRate, err := m.Float64ObservableGauge(ErrorRateName,
		metric.WithDescription(fmt.Sprintf("Spans ended with status Error per second over the last %s.", c.window)),
		metric.WithUnit("error/s"))
	if err != nil {
		return nil, fmt.Errorf("spanmetrics: %s: %w", ErrorRateName, err)
	}
	p.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := p.Snapshot()
		o.ObserveInt64(spans, s.Spans)
		o.ObserveInt64(errs, s.Errors)
		o.ObserveFloat64(spanRate, s.SpanRate)
		o.ObserveFloat64(errRate, s.ErrorRate)
		return nil
	}, spans, errs, spanRate, errRate)
	if err != nil {
		return nil, fmt.Errorf("spanmetrics: register callback: %w", err)
	}
	return p, nil
}

func kindValue(k trace.SpanKind) string {
	switch k {
	case trace.SpanKindInternal:
		return "SPAN_KIND_INTERNAL"
	case trace.SpanKindServer:
		return "SPAN_KIND_SERVER"
	case trace.SpanKindClient:
		return "SPAN_KIND_CLIENT"
	case trace.SpanKindProducer:
		return "SPAN_KIND_PRODUCER"
	case trace.SpanKindConsumer:
		return "SPAN_KIND_CONSUMER"
	default:
		return "SPAN_KIND_UNSPECIFIED"
	}
}

func statusValue(c codes.Code) string {
	switch c {
	case codes.Ok:
		return "STATUS_CODE_OK"
	case codes.Error:
		return "STATUS_CODE_ERROR"
	default:
		return "STATUS_CODE_UNSET"
	}
}

// Snapshot is the state of the counters at one instant.
type Snapshot struct {
	Spans, Errors       int64   // totals since New
	SpanRate, ErrorRate float64 // per second over the window
}

// Snapshot returns the totals and the rates over the window's complete
// seconds (the current second is not included, as it is still filling).
func (p *Processor) Snapshot() Snapshot {
	var s Snapshot
	now := p.now().Unix()
	var inWin, errWin uint64
	if p.inHist {
		s.Spans, s.Errors = p.sets.totals()
	}
	for i := range p.shards {
		sh := &p.shards[i]
		s.Spans += sh.spans.Load()
		s.Errors += sh.errors.Load()
		for sec := now - p.window; sec < now; sec++ {
			idx := uint64(sec) % ringSize
			inWin += sh.total[idx].load(uint32(sec))
			errWin += sh.errs[idx].load(uint32(sec))
		}
	}
	s.SpanRate = float64(inWin) / float64(p.window)
	s.ErrorRate = float64(errWin) / float64(p.window)
	return s
}

// OnStart does nothing.
func (p *Processor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd counts s and records its duration, with s as an exemplar where the
// exemplar filter allows: with a Producer, into the bucket's exemplar slot
// when the one it holds is older than exemplarEvery; with the SDK's
// histogram, through a context that carries s's span context (made only
// when the filter lets s through, so that a filtered span costs no
// allocation).
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if p.shutdown.Load() {
		return
	}
	end := s.EndTime()
	status := s.Status().Code
	t := p.tokens.Get().(*token)
	r := t.r
	p.count(r, end, status == codes.Error)
	d := end.Sub(s.StartTime())
	last := t.last.Load()
	e, ns := p.sets.entryOf(attrKey{name: s.Name(), kind: s.SpanKind(), status: status}, last)
	if ns != last && ns != nil {
		t.last.Store(ns)
	}
	if e.h != nil {
		b := e.h.record(int64(d), r)
		if p.exemplars != ExemplarsAlwaysOff {
			if sl, en := &e.h.ex[b], end.UnixNano(); sl.due(en) {
				if sc := s.SpanContext(); p.exemplars.allows(sc) {
					sl.store(sc, en, int64(d))
				}
			}
		}
	} else {
		ctx := context.Background()
		if p.exemplars != ExemplarsAlwaysOff {
			if sc := s.SpanContext(); p.exemplars.allows(sc) {
				ctx = trace.ContextWithSpanContext(ctx, sc)
			}
		}
		p.duration.Record(ctx, float64(d)/float64(time.Millisecond), e.opts...)
	}
	p.tokens.Put(t)
}

// count adds one span, ended at end, to the shard chosen by r (a token of
// p.tokens).
func (p *Processor) count(r uint64, end time.Time, failed bool) {
	sh := &p.shards[r&p.mask]
	sec := end.Unix()
	idx := uint64(sec) % ringSize
	if !p.inHist {
		sh.spans.Add(1)
	}
	sh.total[idx].add(uint32(sec))
	if failed {
		if !p.inHist {
			sh.errors.Add(1)
		}
		sh.errs[idx].add(uint32(sec))
	}
}

// Shutdown stops counting: later spans are not counted. The gauges and
// counters keep reporting their final values until the meter provider
// shuts down, so that the final collection of a meter provider shut down at
// the same time as the tracer provider (as otelboot's shutdown does, in
// parallel) still exports span_rate, error_rate and their counters.
func (p *Processor) Shutdown(context.Context) error {
	p.shutdown.Store(true)
	return nil
}

// ForceFlush does nothing: the instruments (and the Producer) are read by
// the meter provider's readers.
func (p *Processor) ForceFlush(context.Context) error { return nil }
