package otelboot

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/spanmetrics"
)

// TestDurationProducerChoice: the span metrics' duration histogram is
// recorded outside the SDK only when every reader takes cumulative
// explicit bucket histograms and none was built by the user.
func TestDurationProducerChoice(t *testing.T) {
	for _, c := range []struct {
		name   string
		env    []string
		plan   exporterPlan
		prom   bool // the Prometheus exporter beside it
		reader bool // a reader of WithMetricReader beside it
		want   bool
	}{
		{name: "otlp default", plan: exporterPlan{name: "otlp", proto: "http/protobuf", insecure: true}, want: true},
		{name: "otlp grpc", plan: exporterPlan{name: "otlp", proto: "grpc", insecure: true}, want: true},
		{name: "console", plan: exporterPlan{name: "console"}, want: true},
		{name: "otlp and prometheus", plan: exporterPlan{name: "otlp", proto: "http/protobuf", insecure: true}, prom: true, want: true},
		{name: "delta", env: []string{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"},
			plan: exporterPlan{name: "otlp", proto: "http/protobuf", insecure: true}},
		{name: "lowmemory", env: []string{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "lowmemory"},
			plan: exporterPlan{name: "otlp", proto: "grpc", insecure: true}},
		{name: "exponential", env: []string{"OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "base2_exponential_bucket_histogram"},
			plan: exporterPlan{name: "otlp", proto: "http/protobuf", insecure: true}},
		{name: "user reader", plan: exporterPlan{name: "otlp", proto: "http/protobuf", insecure: true}, reader: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cleanEnv(t, c.env...)
			exp, err := newMetricExporter(context.Background(), c.plan)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
			exps := []sdkmetric.Exporter{exp}
			if c.prom {
				exps = append(exps, nil)
			}
			var readers []sdkmetric.Reader
			if c.reader {
				readers = append(readers, sdkmetric.NewManualReader())
			}
			if got := durationProducer(exps, readers) != nil; got != c.want {
				t.Errorf("producer used = %v, want %v", got, c.want)
			}
		})
	}
}

// endSpans ends, through the global tracer provider, one span lasting each
// of the spec's latency bands and one failed span.
func endSpans() {
	tr := otel.Tracer("t")
	end := time.Now()
	for _, ms := range []float64{0.262, 1.05, 16.8, 67.1, 268} {
		_, s := tr.Start(context.Background(), "GET /bands", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithTimestamp(end.Add(-time.Duration(ms*float64(time.Millisecond)))))
		s.End(trace.WithTimestamp(end))
	}
	_, s := tr.Start(context.Background(), "GET /fail", trace.WithSpanKind(trace.SpanKindServer))
	s.SetStatus(codes.Error, "boom")
	s.End()
}

// TestSpanMetricsOverOTLP: with cumulative temporality (the Producer) and
// with delta (the SDK's histogram), duration arrives with the same name,
// unit, boundaries, attributes and counts.
func TestSpanMetricsOverOTLP(t *testing.T) {
	for _, c := range []struct {
		pref string
		want metricspb.AggregationTemporality
	}{
		{"", metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE},
		{"delta", metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA},
	} {
		t.Run("temporality="+c.pref, func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_TRACES_EXPORTER", "none",
				"OTEL_LOGS_EXPORTER", "none", "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", c.pref)
			shutdown, _ := start(t)
			endSpans()
			shut(t, shutdown)

			m := metricByName(r, spanmetrics.DurationName)
			if m == nil {
				t.Fatalf("no duration metric among %d metrics", len(r.Metrics()))
			}
			if m.GetUnit() != "ms" {
				t.Errorf("unit = %q, want ms", m.GetUnit())
			}
			h := m.GetHistogram()
			if h == nil {
				t.Fatalf("duration is not a histogram: %v", m)
			}
			if h.GetAggregationTemporality() != c.want {
				t.Errorf("temporality = %v, want %v", h.GetAggregationTemporality(), c.want)
			}
			var bands, fail *metricspb.HistogramDataPoint
			for _, dp := range h.GetDataPoints() {
				name, _ := otlptest.Attr(dp.GetAttributes(), string(spanmetrics.SpanNameKey))
				kind, _ := otlptest.Attr(dp.GetAttributes(), string(spanmetrics.SpanKindKey))
				status, _ := otlptest.Attr(dp.GetAttributes(), string(spanmetrics.StatusCodeKey))
				switch {
				case name == "GET /bands" && kind == "SPAN_KIND_SERVER" && status == "STATUS_CODE_UNSET":
					bands = dp
				case name == "GET /fail" && kind == "SPAN_KIND_SERVER" && status == "STATUS_CODE_ERROR":
					fail = dp
				}
			}
			if bands == nil || fail == nil {
				t.Fatalf("points for GET /bands and GET /fail missing: %v", h.GetDataPoints())
			}
			want := spanmetrics.DurationBoundaries()
			if got := bands.GetExplicitBounds(); len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
				t.Errorf("bounds = %v, want %v", got, want)
			}
			if bands.GetCount() != 5 || fail.GetCount() != 1 {
				t.Errorf("counts = %d, %d, want 5, 1", bands.GetCount(), fail.GetCount())
			}
			var nonEmpty int
			for _, n := range bands.GetBucketCounts() {
				if n > 1 {
					t.Errorf("two bands share a bucket: %v", bands.GetBucketCounts())
				}
				if n == 1 {
					nonEmpty++
				}
			}
			if nonEmpty != 5 {
				t.Errorf("bands fill %d buckets, want 5: %v", nonEmpty, bands.GetBucketCounts())
			}
			if got := bands.GetMin(); got < 0.2619 || got > 0.2621 {
				t.Errorf("min = %v ms, want 0.262", got)
			}
			if got := bands.GetMax(); got < 267.99 || got > 268.01 {
				t.Errorf("max = %v ms, want 268", got)
			}
		})
	}
}

// TestSpanMetricsWithUserReader: a reader of WithMetricReader gets
// duration too (through the SDK's histogram).
func TestSpanMetricsWithUserReader(t *testing.T) {
	cleanEnv(t, "OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	reader := sdkmetric.NewManualReader()
	start(t, WithMetricReader(reader))
	endSpans()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var count uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == spanmetrics.DurationName {
				for _, dp := range h.DataPoints {
					count += dp.Count
				}
			}
		}
	}
	if count != 6 {
		t.Errorf("duration count = %d, want 6", count)
	}
}

// TestSpanMetricsPrometheus: the Prometheus exporter serves duration
// (from the Producer) with the spec's buckets.
func TestSpanMetricsPrometheus(t *testing.T) {
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	lis.Close()
	cleanEnv(t, "OTEL_METRICS_EXPORTER", "prometheus", "OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT", port, "OTEL_TRACES_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	start(t)
	endSpans()
	resp, err := http.Get("http://127.0.0.1:" + port + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`duration_bucket{`, `le="0.262144"`, `span_name="GET /bands"`,
		`status_code="STATUS_CODE_ERROR"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	if n := countLines(string(body), "duration_count{", `span_name="GET /bands"`, "} 5"); n != 1 {
		t.Errorf("duration count of GET /bands: %d lines with 5, want 1:\n%s", n, body)
	}
}

// TestDurationExemplarsOverOTLP: through the real Start and an OTLP
// receiver, the exported duration histogram carries exemplars whose trace
// and span ids are those of exported spans (the default filter,
// trace_based, and always_on), one in each bucket a span fell in, with the
// Producer (cumulative) and with the SDK's histogram (delta); with
// OTEL_METRICS_EXEMPLAR_FILTER=always_off it carries none.
func TestDurationExemplarsOverOTLP(t *testing.T) {
	for _, pref := range []string{"", "delta"} {
		for _, filter := range []string{"", "always_on", "always_off"} {
			t.Run("temporality="+pref+"/filter="+filter, func(t *testing.T) {
				r := otlptest.NewHTTPReceiver(t)
				cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_LOGS_EXPORTER", "none",
					"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", pref, "OTEL_METRICS_EXEMPLAR_FILTER", filter)
				shutdown, _ := start(t)
				endSpans()
				shut(t, shutdown)

				exported := map[string]bool{} // trace id + span id
				for _, s := range r.Spans() {
					exported[string(s.GetTraceId())+string(s.GetSpanId())] = true
				}
				if len(exported) != 6 {
					t.Fatalf("%d spans exported, want 6", len(exported))
				}
				m := metricByName(r, spanmetrics.DurationName)
				if m == nil {
					t.Fatal("no duration metric")
				}
				var n int
				for _, dp := range m.GetHistogram().GetDataPoints() {
					name, _ := otlptest.Attr(dp.GetAttributes(), string(spanmetrics.SpanNameKey))
					for _, e := range dp.GetExemplars() {
						n++
						if !exported[string(e.GetTraceId())+string(e.GetSpanId())] {
							t.Errorf("%s: exemplar %x/%x is not an exported span", name, e.GetTraceId(), e.GetSpanId())
						}
					}
				}
				want := 6 // the five bands in five buckets, and the failed span
				if filter == "always_off" {
					want = 0
				}
				if n != want {
					t.Errorf("%d exemplars, want %d", n, want)
				}
			})
		}
	}
}
