package otelboot

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	otellog "go.opentelemetry.io/otel/log"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
)

// startSummary starts with the environment kv and returns the one Summary
// WithSummary passed, with the diagnostics.
func startSummary(t *testing.T, kv ...string) (Summary, string) {
	t.Helper()
	cleanEnv(t, kv...)
	var got []Summary
	_, buf := start(t, WithServiceName("hyunwoo"), WithSummary(func(s Summary) { got = append(got, s) }))
	if len(got) != 1 {
		t.Fatalf("summary callback called %d times, want 1", len(got))
	}
	return got[0], buf.String()
}

func otlp(proto, endpoint string) []ExporterSummary {
	return []ExporterSummary{{Name: "otlp", Protocol: proto, Endpoint: endpoint}}
}

func checkExporters(t *testing.T, what string, got, want []ExporterSummary) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

const parentBasedAlwaysOn = "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"

func TestSummaryDefaults(t *testing.T) {
	s, _ := startSummary(t)
	if s.Disabled || s.ConfigFile != "" || s.ServiceName != "hyunwoo" || !s.SpanMetrics || s.LiveView != "" {
		t.Errorf("summary = %+v", s)
	}
	checkExporters(t, "traces", s.Traces, otlp("http/protobuf", "http://localhost:4318/v1/traces"))
	checkExporters(t, "metrics", s.Metrics, otlp("http/protobuf", "http://localhost:4318/v1/metrics"))
	checkExporters(t, "logs", s.Logs, otlp("http/protobuf", "http://localhost:4318/v1/logs"))
	if s.Sampler != parentBasedAlwaysOn {
		t.Errorf("sampler = %q", s.Sampler)
	}
	if !slices.Equal(s.Propagators, []string{"baggage", "traceparent", "tracestate"}) {
		t.Errorf("propagators = %q", s.Propagators)
	}
	want := "service=hyunwoo traces=otlp http/protobuf http://localhost:4318/v1/traces" +
		" metrics=otlp http/protobuf http://localhost:4318/v1/metrics" +
		" logs=otlp http/protobuf http://localhost:4318/v1/logs" +
		" sampler=" + parentBasedAlwaysOn + " propagators=baggage,traceparent,tracestate spanmetrics=on"
	if got := s.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}

// TestSummaryEndpointIsWhereExportsGo: the summary's URLs are the ones the
// exporters post to: /v1/<signal> appended to the general endpoint's path,
// a per-signal endpoint as it is.
func TestSummaryEndpointIsWhereExportsGo(t *testing.T) {
	r := otlptest.NewHTTPReceiver(t,
		otlptest.WithRoute("/base/v1/traces", otlptest.Traces),
		otlptest.WithRoute("/base/v1/metrics", otlptest.Metrics),
		otlptest.WithRoute("/custom/logs", otlptest.Logs))
	s, _ := startSummary(t,
		"OTEL_EXPORTER_OTLP_ENDPOINT", r.URL+"/base/",
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", r.URL+"/custom/logs",
		"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "", // unset: the general one
	)
	checkExporters(t, "traces", s.Traces, otlp("http/protobuf", r.URL+"/base/v1/traces"))
	checkExporters(t, "metrics", s.Metrics, otlp("http/protobuf", r.URL+"/base/v1/metrics"))
	checkExporters(t, "logs", s.Logs, otlp("http/protobuf", r.URL+"/custom/logs"))

	_, span := otel.Tracer("t").Start(context.Background(), "op")
	span.End()
	var rec otellog.Record
	rec.SetSeverity(otellog.SeverityInfo)
	otel.GetLoggerProvider().Logger("t").Emit(context.Background(), rec)
	flush(t)
	got := map[string]bool{}
	for _, req := range r.Requests() {
		got[r.URL+req.Path] = true
	}
	for _, exps := range [][]ExporterSummary{s.Traces, s.Metrics, s.Logs} {
		if !got[exps[0].Endpoint] {
			t.Errorf("nothing posted to %s; posted to %v", exps[0].Endpoint, got)
		}
	}
}

func TestSummaryGRPCPerSignal(t *testing.T) {
	s, _ := startSummary(t,
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://collector.example:4317/ignored",
		"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "grpc",
	)
	checkExporters(t, "traces", s.Traces, otlp("grpc", "https://collector.example:4317"))
	checkExporters(t, "metrics", s.Metrics, otlp("http/protobuf", "http://localhost:4318/v1/metrics"))
	checkExporters(t, "logs", s.Logs, otlp("grpc", "http://localhost:4317"))
	if !strings.Contains(s.String(), " traces=otlp grpc https://collector.example:4317 ") {
		t.Errorf("String() = %s", s)
	}
}

// An https endpoint with OTEL_EXPORTER_OTLP_INSECURE=true: the trace and
// metric exporters send plain HTTP, the log exporter keeps TLS.
func TestSummaryInsecureOverridesHTTPS(t *testing.T) {
	s, _ := startSummary(t,
		"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4318",
		"OTEL_EXPORTER_OTLP_INSECURE", "true",
	)
	checkExporters(t, "traces", s.Traces, otlp("http/protobuf", "http://collector.example:4318/v1/traces"))
	checkExporters(t, "logs", s.Logs, otlp("http/protobuf", "https://collector.example:4318/v1/logs"))
}

func TestSummaryConsoleAndNone(t *testing.T) {
	s, _ := startSummary(t,
		"OTEL_TRACES_EXPORTER", "console, otlp",
		"OTEL_METRICS_EXPORTER", "none",
		"OTEL_LOGS_EXPORTER", "console",
	)
	checkExporters(t, "traces", s.Traces, []ExporterSummary{{Name: "console"},
		{Name: "otlp", Protocol: "http/protobuf", Endpoint: "http://localhost:4318/v1/traces"}})
	checkExporters(t, "metrics", s.Metrics, []ExporterSummary{{Name: "none"}})
	checkExporters(t, "logs", s.Logs, []ExporterSummary{{Name: "console"}})
	if !strings.Contains(s.String(), " traces=console + otlp http/protobuf http://localhost:4318/v1/traces metrics=none logs=console sampler=") {
		t.Errorf("String() = %s", s)
	}
	// An entry after a URL is not glued to it.
	s, _ = startSummary(t, "OTEL_TRACES_EXPORTER", "otlp,console", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	if !strings.Contains(s.String(), " traces=otlp http/protobuf http://localhost:4318/v1/traces + console metrics=none") {
		t.Errorf("String() = %s", s)
	}
}

func TestSummaryPrometheus(t *testing.T) {
	s, _ := startSummary(t,
		"OTEL_METRICS_EXPORTER", "prometheus",
		"OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT", "0",
	)
	if len(s.Metrics) != 1 || s.Metrics[0].Name != "prometheus" ||
		!strings.HasPrefix(s.Metrics[0].Endpoint, "http://127.0.0.1:") || strings.HasSuffix(s.Metrics[0].Endpoint, ":0/metrics") ||
		!strings.HasSuffix(s.Metrics[0].Endpoint, "/metrics") {
		t.Errorf("metrics = %+v", s.Metrics)
	}
}

func TestSummaryDisabled(t *testing.T) {
	s, _ := startSummary(t, "OTEL_SDK_DISABLED", "true", "OTEL_SERVICE_NAME", "from-env")
	if !s.Disabled || s.Traces != nil || s.Sampler != "" || s.SpanMetrics || s.ServiceName != "from-env" {
		t.Errorf("summary = %+v", s)
	}
	if got, want := s.String(), "disabled service=from-env propagators=baggage,traceparent,tracestate"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestSummaryRedactsCredentials(t *testing.T) {
	s, _ := startSummary(t,
		"OTEL_EXPORTER_OTLP_ENDPOINT", "https://user:s3cret@collector.example:4318/otlp",
		"OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20h3ader",
	)
	checkExporters(t, "traces", s.Traces, otlp("http/protobuf", "https://collector.example:4318/otlp/v1/traces"))
	for _, secret := range []string{"s3cret", "h3ader", "user"} {
		if strings.Contains(s.String(), secret) {
			t.Errorf("String() shows %q: %s", secret, s)
		}
	}
}

func TestSummarySampler(t *testing.T) {
	tests := []struct {
		env  []string
		want string
		warn string // the variable otelboot warned about
	}{
		{[]string{"OTEL_TRACES_SAMPLER", "traceidratio", "OTEL_TRACES_SAMPLER_ARG", "0.25"}, "TraceIDRatioBased{0.25}", ""},
		{[]string{"OTEL_TRACES_SAMPLER", "always_off"}, "AlwaysOffSampler", ""},
		// Bad values: the summary shows the default actually used.
		{[]string{"OTEL_TRACES_SAMPLER", "traceidratio", "OTEL_TRACES_SAMPLER_ARG", "lots"}, "TraceIDRatioBased{1}", "OTEL_TRACES_SAMPLER_ARG"},
		{[]string{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG", "2"},
			"ParentBased{root:TraceIDRatioBased{1},", "OTEL_TRACES_SAMPLER_ARG"},
		{[]string{"OTEL_TRACES_SAMPLER", "sometimes"}, parentBasedAlwaysOn, "OTEL_TRACES_SAMPLER"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.env, "="), func(t *testing.T) {
			s, diag := startSummary(t, tc.env...)
			if !strings.HasPrefix(s.Sampler, tc.want) {
				t.Errorf("sampler = %q, want %q", s.Sampler, tc.want)
			}
			if !strings.Contains(s.String(), " sampler="+tc.want) {
				t.Errorf("String() = %s", s)
			}
			if tc.warn != "" && countLines(diag, "invalid value", "variable="+tc.warn) != 1 {
				t.Errorf("no warning about %s:\n%s", tc.warn, diag)
			}
		})
	}
}

// TestSummarySamplerIsUsed: the sampler described is the one spans go
// through (always_off records nothing).
func TestSummarySamplerIsUsed(t *testing.T) {
	s, _ := startSummary(t, "OTEL_TRACES_SAMPLER", "always_off")
	_, span := otel.Tracer("t").Start(context.Background(), "op")
	defer span.End()
	if s.Sampler != "AlwaysOffSampler" || span.SpanContext().IsSampled() {
		t.Errorf("sampler %q, span sampled %v", s.Sampler, span.SpanContext().IsSampled())
	}
}

func TestSummaryLiveViewAndSpanMetrics(t *testing.T) {
	cleanEnv(t, "OTELKIT_VIEW_ADDR", "127.0.0.1:0")
	var got Summary
	start(t, WithSpanMetrics(false), WithSummary(func(s Summary) { got = s }))
	if !strings.HasPrefix(got.LiveView, "http://127.0.0.1:") || got.SpanMetrics {
		t.Errorf("summary = %+v", got)
	}
	if !strings.HasSuffix(got.String(), " spanmetrics=off view="+got.LiveView) {
		t.Errorf("String() = %s", got)
	}
}

func TestSummaryConfigFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "otel.yaml")
	if err := os.WriteFile(f, []byte(`file_format: "1.0-rc.2"
resource:
  attributes:
    - name: service.name
      value: file-service
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := startSummary(t, "OTEL_CONFIG_FILE", f, "OTEL_TRACES_EXPORTER", "console")
	if s.ConfigFile != f || s.ServiceName != "file-service" || s.Sampler != "config file" || s.Traces != nil {
		t.Errorf("summary = %+v", s)
	}
	if !strings.HasPrefix(s.String(), "service=file-service config="+f+" sampler=config file ") {
		t.Errorf("String() = %s", s)
	}
}

func TestSummaryNotCalledOnError(t *testing.T) {
	cleanEnv(t, "OTEL_TRACES_EXPORTER", "zipkin")
	called := false
	var buf testutil.SyncBuffer
	shutdown, err := Start(context.Background(), WithLogger(slog.New(slog.NewTextHandler(&buf, nil))),
		WithDefaultLogger(false), WithSummary(func(Summary) { called = true }))
	_ = shutdown(context.Background())
	if err == nil || called {
		t.Errorf("Start error %v, summary called %v", err, called)
	}
}

// flush flushes the global providers.
func flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, p := range []any{otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetLoggerProvider()} {
		if f, ok := p.(interface{ ForceFlush(context.Context) error }); ok {
			if err := f.ForceFlush(ctx); err != nil {
				t.Fatalf("flush: %v", err)
			}
		}
	}
}
