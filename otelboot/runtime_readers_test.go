package otelboot

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/runtime"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/otelkit/otelkit/internal/otlptest"
)

// The rule: the runtime metrics' go.schedule.duration histogram, which the
// contrib instrumentation provides as a producer, reaches every reader
// otelboot builds (otlp, console, prometheus) exactly once, and none of
// them when the runtime metrics are off; a WithMetricReader reader gets it
// when the user built it with runtime.NewProducer() (a reader cannot be
// given a producer after it is built), and then only once.

// TestScheduleDurationOTLP: over OTLP, go.schedule.duration is one
// cumulative histogram in seconds whose bucket counts add up to its count.
func TestScheduleDurationOTLP(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[on], func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_TRACES_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			shutdown, _ := start(t, WithSpanMetrics(false), WithRuntimeMetrics(on))
			shut(t, shutdown)
			rms := r.ResourceMetrics()
			if len(rms) == 0 {
				t.Fatal("no metrics exported")
			}
			for i, rm := range rms { // one per collection
				n := 0
				for _, sm := range rm.GetScopeMetrics() {
					for _, m := range sm.GetMetrics() {
						if m.GetName() != "go.schedule.duration" {
							continue
						}
						n++
						checkScheduleDuration(t, m)
					}
				}
				if want := map[bool]int{true: 1, false: 0}[on]; n != want {
					t.Errorf("export %d: %d go.schedule.duration metrics, want %d", i, n, want)
				}
			}
		})
	}
}

// checkScheduleDuration checks one exported go.schedule.duration: seconds,
// one histogram point whose bucket counts add up to its count.
func checkScheduleDuration(t *testing.T, m *metricspb.Metric) {
	t.Helper()
	if m.GetUnit() != "s" {
		t.Errorf("unit = %q, want s", m.GetUnit())
	}
	h := m.GetHistogram()
	if h == nil || len(h.GetDataPoints()) != 1 {
		t.Fatalf("not one histogram point: %v", m)
	}
	if h.GetAggregationTemporality() != metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
		t.Errorf("temporality %v, want cumulative", h.GetAggregationTemporality())
	}
	dp := h.GetDataPoints()[0]
	var sum uint64
	for _, c := range dp.GetBucketCounts() {
		sum += c
	}
	if sum != dp.GetCount() || len(dp.GetBucketCounts()) != len(dp.GetExplicitBounds())+1 {
		t.Errorf("buckets %v (bounds %d) do not add up to count %d", dp.GetBucketCounts(), len(dp.GetExplicitBounds()), dp.GetCount())
	}
}

// TestScheduleDurationConsole: the console exporter's reader gets it too.
func TestScheduleDurationConsole(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[on], func(t *testing.T) {
			out, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			saved := os.Stdout
			os.Stdout = out // read by the console exporter when Start builds it
			cleanEnv(t, "OTEL_METRICS_EXPORTER", "console", "OTEL_TRACES_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			shutdown, _ := start(t, WithSpanMetrics(false), WithRuntimeMetrics(on))
			os.Stdout = saved
			shut(t, shutdown)
			b, err := os.ReadFile(out.Name())
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if strings.Contains(got, `"go.goroutine.count"`) != on {
				t.Fatalf("go.goroutine.count printed = %v, want %v:\n%.2000s", !on, on, got)
			}
			// One of each per collection.
			if n, g := strings.Count(got, `"Name":"go.schedule.duration"`), strings.Count(got, `"Name":"go.goroutine.count"`); n != g {
				t.Errorf("go.schedule.duration printed %d times, go.goroutine.count %d (runtime metrics on = %v)", n, g, on)
			}
		})
	}
}

// TestScheduleDurationPrometheus: the Prometheus exporter serves it as a
// histogram, go_schedule_duration, beside the gauges.
func TestScheduleDurationPrometheus(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[on], func(t *testing.T) {
			lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			_, port, _ := net.SplitHostPort(lis.Addr().String())
			lis.Close()
			cleanEnv(t, "OTEL_METRICS_EXPORTER", "prometheus", "OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1",
				"OTEL_EXPORTER_PROMETHEUS_PORT", port, "OTEL_TRACES_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			start(t, WithSpanMetrics(false), WithRuntimeMetrics(on))
			resp, err := http.Get("http://127.0.0.1:" + port + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := string(body)
			for _, want := range []string{"# TYPE go_schedule_duration histogram", "go_schedule_duration_bucket{", "go_schedule_duration_count{",
				"# TYPE go_goroutine_count gauge", "go_memory_used{"} {
				if strings.Contains(got, want) != on {
					t.Errorf("/metrics has %q = %v, want %v", want, !on, on)
				}
			}
			if n := strings.Count(got, "# TYPE go_schedule_duration "); n > 1 {
				t.Errorf("go_schedule_duration described %d times", n)
			}
			if t.Failed() {
				t.Logf("/metrics:\n%.3000s", got)
			}
		})
	}
}

// TestScheduleDurationUserReader: a WithMetricReader reader gets the
// gauges and counters; the histogram only when built with the producer,
// and then once (otelboot does not add a second one).
func TestScheduleDurationUserReader(t *testing.T) {
	for _, c := range []struct {
		name      string
		opts      []sdkmetric.ManualReaderOption
		want      int
		runtimeOn bool
	}{
		{name: "plain reader", runtimeOn: true},
		{name: "reader with the producer", opts: []sdkmetric.ManualReaderOption{sdkmetric.WithProducer(runtime.NewProducer())}, want: 1, runtimeOn: true},
		{name: "runtime off, plain reader"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cleanEnv(t, "OTEL_METRICS_EXPORTER", "none", "OTEL_TRACES_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			rd := sdkmetric.NewManualReader(c.opts...)
			start(t, WithSpanMetrics(false), WithMetricReader(rd), WithRuntimeMetrics(c.runtimeOn))
			var rm metricdata.ResourceMetrics
			if err := rd.Collect(context.Background(), &rm); err != nil {
				t.Fatal(err)
			}
			names := map[string]int{}
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					names[m.Name]++
					if m.Name == "go.schedule.duration" {
						if _, ok := m.Data.(metricdata.Histogram[float64]); !ok || m.Unit != "s" {
							t.Errorf("go.schedule.duration: %T in %q", m.Data, m.Unit)
						}
					}
				}
			}
			if got := names["go.schedule.duration"]; got != c.want {
				t.Errorf("go.schedule.duration %d times, want %d (%v)", got, c.want, names)
			}
			if got := names["go.goroutine.count"]; got != map[bool]int{true: 1, false: 0}[c.runtimeOn] {
				t.Errorf("go.goroutine.count %d times with runtime metrics on = %v", got, c.runtimeOn)
			}
		})
	}
}

// TestRuntimeMetricValues: the values that are stable in a test process,
// by value: go.processor.limit is GOMAXPROCS, go.config.gogc the GC
// percent, go.memory.limit the memory limit set, go.memory.used has its
// stack and other parts, go.memory.allocated and go.memory.allocations are
// positive monotonic cumulative sums.
func TestRuntimeMetricValues(t *testing.T) {
	const limit = 1 << 40
	prevLimit := debug.SetMemoryLimit(limit)
	prevGC := debug.SetGCPercent(137)
	t.Cleanup(func() {
		debug.SetMemoryLimit(prevLimit)
		debug.SetGCPercent(prevGC)
	})
	r := otlptest.NewHTTPReceiver(t)
	cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_TRACES_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	shutdown, _ := start(t, WithSpanMetrics(false))
	shut(t, shutdown)
	intValue := func(name string) (int64, *metricspb.Metric) {
		t.Helper()
		m := metricByName(r, name)
		if m == nil {
			t.Fatalf("%s not exported", name)
		}
		var dps []*metricspb.NumberDataPoint
		if s := m.GetSum(); s != nil {
			dps = s.GetDataPoints()
		} else {
			dps = m.GetGauge().GetDataPoints()
		}
		if len(dps) != 1 {
			t.Fatalf("%s: %d points, want 1", name, len(dps))
		}
		return dps[0].GetAsInt(), m
	}
	if v, _ := intValue("go.processor.limit"); v != int64(goruntime.GOMAXPROCS(0)) {
		t.Errorf("go.processor.limit = %d, want GOMAXPROCS %d", v, goruntime.GOMAXPROCS(0))
	}
	if v, _ := intValue("go.config.gogc"); v != 137 {
		t.Errorf("go.config.gogc = %d, want 137", v)
	}
	if v, m := intValue("go.memory.limit"); v != limit || m.GetUnit() != "By" {
		t.Errorf("go.memory.limit = %d %s, want %d By", v, m.GetUnit(), limit)
	}
	for _, name := range []string{"go.memory.allocated", "go.memory.allocations"} {
		v, m := intValue(name)
		if s := m.GetSum(); v <= 0 || !s.GetIsMonotonic() ||
			s.GetAggregationTemporality() != metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
			t.Errorf("%s = %d (monotonic %v, %v), want a positive cumulative counter", name, v, s.GetIsMonotonic(), s.GetAggregationTemporality())
		}
	}
	used := map[string]int64{}
	for _, dp := range metricByName(r, "go.memory.used").GetSum().GetDataPoints() {
		typ, _ := otlptest.Attr(dp.GetAttributes(), "go.memory.type")
		used[typ] = dp.GetAsInt()
	}
	if len(used) != 2 || used["stack"] <= 0 || used["other"] <= 0 {
		t.Errorf("go.memory.used by go.memory.type = %v, want positive stack and other", used)
	}
}
