package spanmetrics

import (
	"context"
	"math"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/durbucket"
)

func TestExemplarFilterFromEnv(t *testing.T) {
	for env, want := range map[string]ExemplarFilter{
		"":              ExemplarsTraceBased,
		"trace_based":   ExemplarsTraceBased,
		"always_on":     ExemplarsAlwaysOn,
		" Always_On ":   ExemplarsAlwaysOn,
		"always_off":    ExemplarsAlwaysOff,
		"ALWAYS_OFF":    ExemplarsAlwaysOff,
		"always_offf":   ExemplarsTraceBased, // unrecognized: the SDK's default
		"parent_based":  ExemplarsTraceBased,
		"always_on,off": ExemplarsTraceBased,
	} {
		t.Setenv(exemplarFilterEnv, env)
		if got := ExemplarFilterFromEnv(); got != want {
			t.Errorf("%s=%q: %v, want %v", exemplarFilterEnv, env, got, want)
		}
	}
}

// sdkFilter is the SDK's filter of the same name, for the meter provider of
// the SDK-histogram mode.
func sdkFilter(f ExemplarFilter) exemplar.Filter {
	switch f {
	case ExemplarsAlwaysOn:
		return exemplar.AlwaysOnFilter
	case ExemplarsAlwaysOff:
		return exemplar.AlwaysOffFilter
	}
	return exemplar.TraceBasedFilter
}

// recordOnlyNamed records, without sampling, the spans named "unsampled"
// and samples the others.
type recordOnlyNamed struct{}

func (recordOnlyNamed) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if p.Name == "unsampled" {
		return sdktrace.SamplingResult{Decision: sdktrace.RecordOnly}
	}
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
}
func (recordOnlyNamed) Description() string { return "recordOnlyNamed" }

// TestExemplars: under each filter, every bucket of duration that received
// a span the filter lets through carries exactly one exemplar, that of one
// of those spans (its trace id, span id and duration); no other bucket
// carries one. Sampled and record-only spans fill distinct buckets, so that
// the filter's decision shows per bucket.
func TestExemplars(t *testing.T) {
	for _, f := range []ExemplarFilter{ExemplarsTraceBased, ExemplarsAlwaysOn, ExemplarsAlwaysOff} {
		for _, m := range []mode{viaProducer, viaSDK} {
			t.Run(f.String()+"/"+map[mode]string{viaProducer: "producer", viaSDK: "sdk"}[m], func(t *testing.T) {
				testExemplars(t, f, m)
			})
		}
	}
}

func testExemplars(t *testing.T, f ExemplarFilter, m mode) {
	opts := []Option{WithExemplarFilter(f)}
	var reader *sdkmetric.ManualReader
	if m == viaProducer {
		pr := NewProducer()
		reader = sdkmetric.NewManualReader(sdkmetric.WithProducer(pr))
		opts = append(opts, WithProducer(pr))
	} else {
		reader = sdkmetric.NewManualReader()
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithExemplarFilter(sdkFilter(f)))
	p, err := New(mp, opts...)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), sdktrace.WithSampler(recordOnlyNamed{}))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	tr := tp.Tracer("test")

	type ended struct {
		sc trace.SpanContext
		d  time.Duration
	}
	allowed := map[int][]ended{} // bucket -> spans the filter lets through
	end := time.Now()
	// Sampled spans in buckets 2..6 (two per bucket), record-only ones in
	// buckets 10..12.
	for i, d := range []time.Duration{40 * time.Microsecond, 50 * time.Microsecond, 100 * time.Microsecond,
		120 * time.Microsecond, 200 * time.Microsecond, 250 * time.Microsecond, 300 * time.Microsecond,
		400 * time.Microsecond, 600 * time.Microsecond, 900 * time.Microsecond} {
		_, s := tr.Start(context.Background(), "op", trace.WithTimestamp(end.Add(-d)))
		s.End(trace.WithTimestamp(end.Add(time.Duration(i))))
		if f != ExemplarsAlwaysOff {
			d += time.Duration(i)
			b := durbucket.Of(int64(d))
			allowed[b] = append(allowed[b], ended{s.SpanContext(), d})
		}
	}
	for _, d := range []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond} {
		_, s := tr.Start(context.Background(), "unsampled", trace.WithTimestamp(end.Add(-d)))
		s.End(trace.WithTimestamp(end))
		if s.SpanContext().IsSampled() {
			t.Fatal("record-only span is sampled")
		}
		if f == ExemplarsAlwaysOn {
			b := durbucket.Of(int64(d))
			allowed[b] = append(allowed[b], ended{s.SpanContext(), d})
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[int]int{} // bucket -> exemplars
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if mt.Name != DurationName {
				continue
			}
			for _, dp := range mt.Data.(metricdata.Histogram[float64]).DataPoints {
				for _, e := range dp.Exemplars {
					d := time.Duration(math.Round(e.Value * float64(time.Millisecond)))
					b := durbucket.Of(int64(d))
					got[b]++
					found := false
					for _, a := range allowed[b] {
						tid, sid := a.sc.TraceID(), a.sc.SpanID()
						if string(e.TraceID) == string(tid[:]) && string(e.SpanID) == string(sid[:]) {
							found = true
							if a.d != d {
								t.Errorf("bucket %d: exemplar of span %x is %v, the span lasted %v", b, e.SpanID, d, a.d)
							}
						}
					}
					if !found {
						t.Errorf("bucket %d: exemplar %x/%x (%v) is not a span the filter lets through", b, e.TraceID, e.SpanID, d)
					}
				}
			}
		}
	}
	for b := range allowed {
		if got[b] != 1 {
			t.Errorf("bucket %d: %d exemplars, want 1", b, got[b])
		}
	}
	for b, n := range got {
		if len(allowed[b]) == 0 {
			t.Errorf("bucket %d: %d exemplars, want none", b, n)
		}
	}
}

// TestExemplarReplacedAfterInterval: with a Producer, a bucket keeps its
// exemplar until a span of that bucket ends exemplarEvery or more after it,
// and that span replaces it.
func TestExemplarReplacedAfterInterval(t *testing.T) {
	pr := NewProducer()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader(sdkmetric.WithProducer(pr))))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	p, err := New(mp, WithProducer(pr), WithExemplarFilter(ExemplarsTraceBased))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_750_000_000, 0)
	endAt := func(id byte, end time.Time) {
		sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{id}, SpanID: trace.SpanID{id}, TraceFlags: trace.FlagsSampled})
		p.OnEnd(tracetest.SpanStub{Name: "x", SpanContext: sc, StartTime: end.Add(-time.Millisecond), EndTime: end}.Snapshot())
	}
	exemplarID := func() byte {
		t.Helper()
		sm, err := pr.Produce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ex := sm[0].Metrics[0].Data.(metricdata.Histogram[float64]).DataPoints[0].Exemplars
		if len(ex) != 1 {
			t.Fatalf("%d exemplars, want 1", len(ex))
		}
		if !ex[0].Time.Equal(t0) && ex[0].Time.Before(t0) {
			t.Errorf("exemplar time %v", ex[0].Time)
		}
		return ex[0].TraceID[0]
	}
	endAt(1, t0)
	endAt(2, t0.Add(exemplarEvery-1))
	if id := exemplarID(); id != 1 {
		t.Errorf("before the interval: exemplar of span %d, want 1", id)
	}
	endAt(3, t0.Add(exemplarEvery))
	if id := exemplarID(); id != 3 {
		t.Errorf("at the interval: exemplar of span %d, want 3", id)
	}
}

// TestExemplarAllocs: OnEnd allocates nothing with a Producer whatever the
// filter, nor with the SDK's histogram when the filter drops the span
// (always_off, or trace_based and a span that is not sampled).
func TestExemplarAllocs(t *testing.T) {
	sampled := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	unsampled := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{2}, SpanID: trace.SpanID{2}})
	now := time.Now()
	for _, c := range []struct {
		name string
		m    mode
		f    ExemplarFilter
		sc   trace.SpanContext
	}{
		{"producer/trace_based/sampled", viaProducer, ExemplarsTraceBased, sampled},
		{"producer/always_on/sampled", viaProducer, ExemplarsAlwaysOn, sampled},
		{"producer/always_off/sampled", viaProducer, ExemplarsAlwaysOff, sampled},
		{"sdk/always_off/sampled", viaSDK, ExemplarsAlwaysOff, sampled},
		{"sdk/trace_based/unsampled", viaSDK, ExemplarsTraceBased, unsampled},
	} {
		t.Run(c.name, func(t *testing.T) {
			var opts []Option
			var ropts []sdkmetric.ManualReaderOption
			if c.m == viaProducer {
				pr := NewProducer()
				opts = append(opts, WithProducer(pr))
				ropts = append(ropts, sdkmetric.WithProducer(pr))
			}
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader(ropts...)),
				sdkmetric.WithExemplarFilter(sdkFilter(c.f)))
			t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
			p, err := New(mp, append(opts, WithExemplarFilter(c.f))...)
			if err != nil {
				t.Fatal(err)
			}
			spans := make([]sdktrace.ReadOnlySpan, 64)
			for i := range spans {
				spans[i] = tracetest.SpanStub{Name: "x", SpanContext: c.sc, StartTime: now,
					EndTime: now.Add(time.Duration(i) * 100 * time.Millisecond)}.Snapshot()
			}
			i := 0
			if n := testing.AllocsPerRun(1000, func() { p.OnEnd(spans[i&63]); i++ }); n != 0 {
				t.Errorf("OnEnd: %v allocations, want 0", n)
			}
		})
	}
}
