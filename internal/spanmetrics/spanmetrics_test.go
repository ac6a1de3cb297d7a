package spanmetrics

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type fixture struct {
	reader *sdkmetric.ManualReader
	proc   *Processor
	tracer trace.Tracer
	clock  *fakeClock
}

// mode is how duration is recorded.
type mode int

const (
	viaProducer mode = iota // a Producer attached to the reader
	viaSDK                  // the SDK's histogram (no Producer)
)

// forModes runs test once per mode.
func forModes(t *testing.T, test func(*testing.T, mode)) {
	t.Run("producer", func(t *testing.T) { test(t, viaProducer) })
	t.Run("sdk", func(t *testing.T) { test(t, viaSDK) })
}

func newFixture(t *testing.T, m mode, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{clock: &fakeClock{}}
	opts = append([]Option{withClock(f.clock.now)}, opts...)
	if m == viaProducer {
		pr := NewProducer()
		f.reader = sdkmetric.NewManualReader(sdkmetric.WithProducer(pr))
		opts = append(opts, WithProducer(pr))
	} else {
		f.reader = sdkmetric.NewManualReader()
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	p, err := New(mp, opts...)
	if err != nil {
		t.Fatal(err)
	}
	f.proc = p
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	f.tracer = tp.Tracer("test")
	return f
}

// span ends a span named name of kind k that lasted d and ended at end.
func (f *fixture) span(name string, k trace.SpanKind, fail bool, end time.Time, d time.Duration) {
	_, s := f.tracer.Start(context.Background(), name, trace.WithSpanKind(k), trace.WithTimestamp(end.Add(-d)))
	if fail {
		s.SetStatus(codes.Error, "boom")
	}
	s.End(trace.WithTimestamp(end))
}

func (f *fixture) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

func sumValue(t *testing.T, m metricdata.Metrics) int64 {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok || len(s.DataPoints) != 1 {
		t.Fatalf("%s: want one int64 sum point, got %#v", m.Name, m.Data)
	}
	if !s.IsMonotonic {
		t.Errorf("%s is not monotonic", m.Name)
	}
	return s.DataPoints[0].Value
}

func gaugeValue(t *testing.T, m metricdata.Metrics) float64 {
	t.Helper()
	g, ok := m.Data.(metricdata.Gauge[float64])
	if !ok || len(g.DataPoints) != 1 {
		t.Fatalf("%s: want one float64 gauge point, got %#v", m.Name, m.Data)
	}
	return g.DataPoints[0].Value
}

func TestCountersAndRates(t *testing.T) { forModes(t, testCountersAndRates) }

func testCountersAndRates(t *testing.T, md mode) {
	f := newFixture(t, md)
	base := time.Unix(1_750_000_000, 0) // second T
	f.clock.set(base.Add(500 * time.Millisecond))

	type batch struct {
		at        time.Time
		n, errors int
	}
	batches := []batch{
		{base.Add(-3*time.Second + 100*time.Millisecond), 5, 2}, // in window
		{base.Add(-1*time.Second + 900*time.Millisecond), 4, 1}, // in window
		{base.Add(-20 * time.Second), 6, 3},                     // before window
		{base.Add(200 * time.Millisecond), 2, 0},                // current second, not complete
	}
	var n, e int
	for _, b := range batches {
		for i := 0; i < b.n; i++ {
			f.span("GET /x", trace.SpanKindServer, i < b.errors, b.at, time.Millisecond)
		}
		n += b.n
		e += b.errors
	}

	m := f.collect(t)
	for name, want := range map[string]string{
		SpanCountName: "{span}", ErrorCountName: "{error}", SpanRateName: "span/s",
		ErrorRateName: "error/s", DurationName: "ms",
	} {
		if got := m[name].Unit; got != want {
			t.Errorf("%s unit = %q, want %q", name, got, want)
		}
	}
	if got := sumValue(t, m[SpanCountName]); got != int64(n) {
		t.Errorf("spans = %d, want %d", got, n)
	}
	if got := sumValue(t, m[ErrorCountName]); got != int64(e) {
		t.Errorf("span.errors = %d, want %d", got, e)
	}
	// Window of 10 s ending before the current second: 5+4 spans, 2+1 errors.
	if got := gaugeValue(t, m[SpanRateName]); got != 0.9 {
		t.Errorf("span_rate = %v, want 0.9", got)
	}
	if got := gaugeValue(t, m[ErrorRateName]); got != 0.3 {
		t.Errorf("error_rate = %v, want 0.3", got)
	}

	// Eleven seconds later only the batch of second T is in the window.
	f.clock.set(base.Add(10*time.Second + 100*time.Millisecond))
	m = f.collect(t)
	if got := gaugeValue(t, m[SpanRateName]); got != 0.2 {
		t.Errorf("later span_rate = %v, want 0.2", got)
	}
	if got := gaugeValue(t, m[ErrorRateName]); got != 0 {
		t.Errorf("later error_rate = %v, want 0", got)
	}
	if got := sumValue(t, m[SpanCountName]); got != int64(n) {
		t.Errorf("later spans = %d, want %d", got, n)
	}
}

func TestWindowOption(t *testing.T) { forModes(t, testWindowOption) }

func testWindowOption(t *testing.T, md mode) {
	f := newFixture(t, md, WithWindow(2*time.Second))
	base := time.Unix(1_750_000_000, 0)
	f.clock.set(base)
	for i := 0; i < 3; i++ {
		f.span("a", trace.SpanKindInternal, false, base.Add(-1500*time.Millisecond), time.Millisecond)
	}
	f.span("a", trace.SpanKindInternal, false, base.Add(-2500*time.Millisecond), time.Millisecond)
	if got := gaugeValue(t, f.collect(t)[SpanRateName]); got != 1.5 {
		t.Errorf("span_rate = %v, want 1.5 (3 spans over 2 s)", got)
	}
}

func TestDurationBuckets(t *testing.T) { forModes(t, testDurationBuckets) }

func testDurationBuckets(t *testing.T, md mode) {
	f := newFixture(t, md)
	end := time.Unix(1_750_000_000, 0)
	bands := []float64{0.262, 1.05, 16.8, 67.1, 268}
	for _, ms := range bands {
		f.span("GET /logs/kafka", trace.SpanKindServer, false, end, time.Duration(ms*float64(time.Millisecond)))
	}
	f.span("mysql.query", trace.SpanKindClient, true, end, 3*time.Millisecond)

	h, ok := f.collect(t)[DurationName].Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("duration is not a float64 histogram")
	}
	byName := map[string]metricdata.HistogramDataPoint[float64]{}
	for _, dp := range h.DataPoints {
		name, _ := dp.Attributes.Value(SpanNameKey)
		byName[name.AsString()] = dp
	}
	dp, ok := byName["GET /logs/kafka"]
	if !ok {
		t.Fatalf("no point for GET /logs/kafka in %v", byName)
	}
	wantAttrs := attribute.NewSet(SpanNameKey.String("GET /logs/kafka"),
		SpanKindKey.String("SPAN_KIND_SERVER"), StatusCodeKey.String("STATUS_CODE_UNSET"))
	if !dp.Attributes.Equals(&wantAttrs) {
		t.Errorf("attributes = %v, want %v", dp.Attributes.ToSlice(), wantAttrs.ToSlice())
	}
	if dp.Count != uint64(len(bands)) {
		t.Fatalf("count = %d, want %d", dp.Count, len(bands))
	}
	used := map[int]float64{}
	for _, ms := range bands {
		idx := bucketOf(dp.Bounds, ms)
		if dp.BucketCounts[idx] != 1 {
			t.Errorf("bucket %d (<= %v) holding %v ms has count %d, want 1", idx, upper(dp.Bounds, idx), ms, dp.BucketCounts[idx])
		}
		if prev, dup := used[idx]; dup {
			t.Errorf("%v ms and %v ms share bucket %d", prev, ms, idx)
		}
		used[idx] = ms
	}
	if got := dp.Bounds[0]; got > 0.1 {
		t.Errorf("first bound %v ms does not resolve below 262 µs", got)
	}
	if got := dp.Bounds[len(dp.Bounds)-1]; got < 10_000 {
		t.Errorf("last bound %v ms does not go beyond 268 ms far enough", got)
	}

	q, ok := byName["mysql.query"]
	if !ok {
		t.Fatal("no point for mysql.query")
	}
	wantAttrs = attribute.NewSet(SpanNameKey.String("mysql.query"),
		SpanKindKey.String("SPAN_KIND_CLIENT"), StatusCodeKey.String("STATUS_CODE_ERROR"))
	if !q.Attributes.Equals(&wantAttrs) {
		t.Errorf("attributes = %v, want %v", q.Attributes.ToSlice(), wantAttrs.ToSlice())
	}
	if q.Sum < 2.999 || q.Sum > 3.001 {
		t.Errorf("sum = %v ms, want 3", q.Sum)
	}
}

// bucketOf returns the index of the bucket holding v (upper bounds inclusive).
func bucketOf(bounds []float64, v float64) int {
	for i, b := range bounds {
		if v <= b {
			return i
		}
	}
	return len(bounds)
}

func upper(bounds []float64, i int) float64 {
	if i < len(bounds) {
		return bounds[i]
	}
	return -1
}

func TestConcurrentEnds(t *testing.T) { forModes(t, testConcurrentEnds) }

func testConcurrentEnds(t *testing.T, md mode) {
	f := newFixture(t, md)
	now := time.Now()
	f.clock.set(now.Add(time.Second))
	const goroutines, per = 8, 500
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				f.span("op", trace.SpanKindInternal, i%5 == 0, now, time.Microsecond)
			}
		}()
	}
	wg.Wait()
	m := f.collect(t)
	if got := sumValue(t, m[SpanCountName]); got != goroutines*per {
		t.Errorf("spans = %d, want %d", got, goroutines*per)
	}
	if got := sumValue(t, m[ErrorCountName]); got != goroutines*per/5 {
		t.Errorf("span.errors = %d, want %d", got, goroutines*per/5)
	}
}

func TestAttributeSetLimit(t *testing.T) { forModes(t, testAttributeSetLimit) }

func testAttributeSetLimit(t *testing.T, md mode) {
	f := newFixture(t, md)
	end := time.Unix(1_750_000_000, 0)
	for i := 0; i < MaxAttributeSets+10; i++ {
		f.span("GET /raw/"+string(rune('a'+i%26))+time.Duration(i).String(), trace.SpanKindServer, false, end, time.Millisecond)
	}
	h := f.collect(t)[DurationName].Data.(metricdata.Histogram[float64])
	if len(h.DataPoints) != MaxAttributeSets+1 {
		t.Errorf("points = %d, want %d (limit plus \"other\")", len(h.DataPoints), MaxAttributeSets+1)
	}
}

func TestShutdownStopsCounting(t *testing.T) { forModes(t, testShutdownStopsCounting) }

func testShutdownStopsCounting(t *testing.T, md mode) {
	f := newFixture(t, md)
	f.clock.set(time.Now())
	f.span("a", trace.SpanKindInternal, false, time.Now(), time.Millisecond)
	if err := f.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.proc.OnEnd(tracetest.SpanStub{Name: "b", EndTime: time.Now()}.Snapshot())
	if s := f.proc.Snapshot(); s.Spans != 1 {
		t.Errorf("spans after shutdown = %d, want 1", s.Spans)
	}
	// The final values are still reported: a meter provider that collects
	// after (or while) the tracer provider shuts down exports them.
	names := map[string]bool{}
	for _, m := range f.collect(t) {
		names[m.Name] = true
	}
	for _, n := range []string{SpanRateName, ErrorRateName, DurationName} {
		if !names[n] {
			t.Errorf("%s not collected after shutdown; got %v", n, names)
		}
	}
}

func histCount(t *testing.T, m metricdata.Metrics) uint64 {
	t.Helper()
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is not a float64 histogram", m.Name)
	}
	var n uint64
	for _, dp := range h.DataPoints {
		n += dp.Count
	}
	return n
}

func TestCollectWhileEnding(t *testing.T) { forModes(t, testCollectWhileEnding) }

func testCollectWhileEnding(t *testing.T, md mode) {
	f := newFixture(t, md)
	now := time.Now()
	f.clock.set(now)
	const goroutines, per = 4, 700
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				var rm metricdata.ResourceMetrics
				_ = f.reader.Collect(context.Background(), &rm)
			}
		}
	}()
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				f.span("op", trace.SpanKindInternal, false, now, time.Microsecond)
			}
		}()
	}
	wg.Wait()
	close(done)
	if got := histCount(t, f.collect(t)[DurationName]); got != goroutines*per {
		t.Errorf("histogram count = %d, want %d", got, goroutines*per)
	}
}

func TestProducer(t *testing.T) {
	pr := NewProducer()
	if sm, err := pr.Produce(context.Background()); err != nil || sm != nil {
		t.Errorf("Produce before any span = %v, %v; want nothing", sm, err)
	}
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(pr))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	p, err := New(mp, WithProducer(pr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(mp, WithProducer(pr)); err == nil {
		t.Error("a second Processor on the same Producer: no error")
	}
	end := time.Unix(1_750_000_000, 0)
	for _, d := range []time.Duration{-time.Millisecond, 0, 1 << 14, 1<<14 + 1, 1 << 36, 1<<36 + 1, time.Hour} {
		p.OnEnd(tracetest.SpanStub{Name: "x", StartTime: end.Add(-d), EndTime: end}.Snapshot())
	}
	sm, err := pr.Produce(context.Background())
	if err != nil || len(sm) != 1 || len(sm[0].Metrics) != 1 {
		t.Fatalf("Produce = %v, %v; want one metric", sm, err)
	}
	if sm[0].Scope.Name != ScopeName {
		t.Errorf("scope = %q, want %q", sm[0].Scope.Name, ScopeName)
	}
	m := sm[0].Metrics[0]
	h := m.Data.(metricdata.Histogram[float64])
	if m.Name != DurationName || m.Unit != "ms" || h.Temporality != metricdata.CumulativeTemporality || len(h.DataPoints) != 1 {
		t.Fatalf("metric = %+v", m)
	}
	dp := h.DataPoints[0]
	// Upper bounds are inclusive: 2^14 ns is in the first bucket, one
	// nanosecond more in the second; 2^36 ns in the last bounded one.
	want := make([]uint64, len(DurationBoundaries())+1)
	want[0], want[1], want[len(want)-2], want[len(want)-1] = 3, 1, 1, 2
	if !slices.Equal(dp.BucketCounts, want) {
		t.Errorf("buckets = %v, want %v", dp.BucketCounts, want)
	}
	if lo, _ := dp.Min.Value(); lo != -1 {
		t.Errorf("min = %v, want -1", lo)
	}
	if hi, _ := dp.Max.Value(); hi != float64(time.Hour/time.Millisecond) {
		t.Errorf("max = %v, want %v", hi, float64(time.Hour/time.Millisecond))
	}
	if s := p.Snapshot(); s.Spans != 7 {
		t.Errorf("spans = %d, want 7", s.Spans)
	}
}

// TestProducerMatchesSDK: the same spans give the same duration metric
// through the Producer and through the SDK's histogram.
func TestProducerMatchesSDK(t *testing.T) {
	fs := map[mode]*fixture{viaProducer: newFixture(t, viaProducer), viaSDK: newFixture(t, viaSDK)}
	end := time.Unix(1_750_000_000, 0)
	ds := []time.Duration{0, 1, 1 << 14, 1<<14 + 1, 262144, 262145, 999_999, 1_048_576, 16_777_216,
		67_108_864, 268_435_456, 268_435_457, 3 * time.Second, 1 << 36, 1<<36 + 1, time.Hour, -time.Microsecond}
	for _, f := range fs {
		for i, d := range ds {
			f.span("op", trace.SpanKind(i%6), i%4 == 0, end, d)
			f.span("other-op", trace.SpanKindClient, false, end, d*3)
		}
	}
	points := func(f *fixture) (metricdata.Metrics, map[attribute.Distinct]metricdata.HistogramDataPoint[float64]) {
		m := f.collect(t)[DurationName]
		out := map[attribute.Distinct]metricdata.HistogramDataPoint[float64]{}
		for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
			out[dp.Attributes.Equivalent()] = dp
		}
		return m, out
	}
	pm, pp := points(fs[viaProducer])
	sm, sp := points(fs[viaSDK])
	if pm.Name != sm.Name || pm.Unit != sm.Unit || pm.Description != sm.Description {
		t.Errorf("metric = %q %q %q, SDK %q %q %q", pm.Name, pm.Unit, pm.Description, sm.Name, sm.Unit, sm.Description)
	}
	if len(pp) != len(sp) {
		t.Fatalf("%d points, SDK %d", len(pp), len(sp))
	}
	for k, s := range sp {
		p, ok := pp[k]
		if !ok {
			t.Errorf("no point for %v", s.Attributes.ToSlice())
			continue
		}
		if p.Count != s.Count || !slices.Equal(p.BucketCounts, s.BucketCounts) || !slices.Equal(p.Bounds, s.Bounds) ||
			p.Min != s.Min || p.Max != s.Max {
			t.Errorf("%v: producer %+v\nSDK %+v", s.Attributes.ToSlice(), p, s)
		}
		if diff := p.Sum - s.Sum; diff > 1e-9*max(1, s.Sum) || diff < -1e-9*max(1, s.Sum) {
			t.Errorf("%v: sum %v, SDK %v", s.Attributes.ToSlice(), p.Sum, s.Sum)
		}
	}
}
