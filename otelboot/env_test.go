package otelboot

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
)

// run is what one case of TestVariables can look at.
type run struct {
	r      *otlptest.Receiver
	diag   *testutil.SyncBuffer
	stdout string
}

// emit produces one span (with attributes and events), one counter point,
// one histogram point and one log record through the global providers.
func emit(t *testing.T) {
	t.Helper()
	ctx, span := otel.Tracer("otelboot-test").Start(context.Background(), "op")
	span.SetAttributes(attribute.String("a1", "value-one"), attribute.String("a2", "value-two"), attribute.String("a3", "value-three"))
	span.AddEvent("e1")
	span.AddEvent("e2")
	m := otel.Meter("otelboot-test")
	c, _ := m.Int64Counter("test.counter")
	c.Add(ctx, 3)
	h, _ := m.Float64Histogram("test.histogram")
	h.Record(ctx, 1.5)
	var rec otellog.Record
	rec.SetBody(attribute.StringValue("hello"))
	rec.SetSeverity(otellog.SeverityInfo)
	rec.AddAttributes(attribute.String("k1", "v1"), attribute.String("k2", "v2"))
	otel.GetLoggerProvider().Logger("otelboot-test").Emit(ctx, rec)
	span.End()
}

func paths(reqs []otlptest.Request, s otlptest.Signal) []string {
	var out []string
	for _, q := range reqs {
		if q.Signal == s && !slices.Contains(out, q.Path) {
			out = append(out, q.Path)
		}
	}
	return out
}

func reqOf(t *testing.T, r *otlptest.Receiver, s otlptest.Signal) otlptest.Request {
	t.Helper()
	for _, q := range r.Requests() {
		if q.Signal == s {
			return q
		}
	}
	t.Fatalf("no %s request; got %+v", s, r.Requests())
	return otlptest.Request{}
}

func metricByName(r *otlptest.Receiver, name string) *metricspb.Metric {
	for _, m := range r.Metrics() {
		if m.GetName() == name {
			return m
		}
	}
	return nil
}

// TestVariables sets variables, starts, emits through the global providers,
// shuts down and asserts on what a real OTLP receiver decoded (or on the
// providers). {URL} in a value is replaced by the receiver's base URL.
func TestVariables(t *testing.T) {
	configFile := filepath.Join(t.TempDir(), "otel.yaml")
	tests := []struct {
		name   string
		env    []string
		grpc   bool
		routes []otlptest.Option
		opts   []Option
		check  func(t *testing.T, x *run)
	}{
		{
			name: "defaults: OTLP/HTTP with /v1/<signal> appended to the general endpoint",
			env:  []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}/base"},
			check: func(t *testing.T, x *run) {
				for s, want := range map[otlptest.Signal]string{otlptest.Traces: "/base/v1/traces", otlptest.Metrics: "/base/v1/metrics", otlptest.Logs: "/base/v1/logs"} {
					if got := paths(x.r.Requests(), s); !slices.Equal(got, []string{want}) {
						t.Errorf("%s paths = %v, want [%s]", s, got, want)
					}
				}
				if q := reqOf(t, x.r, otlptest.Traces); q.Header.Get("Content-Type") != "application/x-protobuf" || q.Gzip {
					t.Errorf("traces request: content type %q gzip %v", q.Header.Get("Content-Type"), q.Gzip)
				}
				if len(x.r.Spans()) != 1 || x.r.Spans()[0].GetName() != "op" {
					t.Errorf("spans = %v", x.r.Spans())
				}
				if metricByName(x.r, "test.counter") == nil {
					t.Errorf("test.counter not received")
				}
				if len(x.r.LogRecords()) != 1 || x.r.LogRecords()[0].GetBody().GetStringValue() != "hello" {
					t.Errorf("log records = %v", x.r.LogRecords())
				}
			},
		},
		{
			name:   "per-signal endpoints are used as-is",
			env:    []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "{URL}/custom/t", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "{URL}/custom/l"},
			routes: []otlptest.Option{otlptest.WithRoute("/custom/t", otlptest.Traces), otlptest.WithRoute("/custom/l", otlptest.Logs)},
			check: func(t *testing.T, x *run) {
				reqs := x.r.Requests()
				if got := paths(reqs, otlptest.Traces); !slices.Equal(got, []string{"/custom/t"}) {
					t.Errorf("traces paths = %v", got)
				}
				if got := paths(reqs, otlptest.Logs); !slices.Equal(got, []string{"/custom/l"}) {
					t.Errorf("logs paths = %v", got)
				}
				if got := paths(reqs, otlptest.Metrics); !slices.Equal(got, []string{"/v1/metrics"}) {
					t.Errorf("metrics paths = %v", got)
				}
			},
		},
		{
			name: "headers are percent-decoded; per-signal headers replace the general ones",
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_EXPORTER_OTLP_HEADERS", "api-key=secret%20value,x-a=1",
				"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-a=2"},
			check: func(t *testing.T, x *run) {
				m := reqOf(t, x.r, otlptest.Metrics)
				if m.Header.Get("Api-Key") != "secret value" || m.Header.Get("X-A") != "1" {
					t.Errorf("metrics headers = %v", m.Header)
				}
				tr := reqOf(t, x.r, otlptest.Traces)
				if tr.Header.Get("X-A") != "2" || tr.Header.Get("Api-Key") != "" {
					t.Errorf("traces headers = %v", tr.Header)
				}
			},
		},
		{
			name: "gzip compression, per signal",
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip",
				"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "none"},
			check: func(t *testing.T, x *run) {
				if !reqOf(t, x.r, otlptest.Traces).Gzip || !reqOf(t, x.r, otlptest.Logs).Gzip {
					t.Errorf("traces/logs not gzip-compressed")
				}
				if reqOf(t, x.r, otlptest.Metrics).Gzip {
					t.Errorf("metrics compressed despite OTEL_EXPORTER_OTLP_METRICS_COMPRESSION=none")
				}
				if len(x.r.Spans()) != 1 {
					t.Errorf("gzip body not decoded: %d spans", len(x.r.Spans()))
				}
			},
		},
		{
			name: "resource: service name, OTEL_RESOURCE_ATTRIBUTES, detectors, downward API, no command line",
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_SERVICE_NAME", "hyunwoo",
				"OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored-by-service-name,service.version=1.0.0,deployment.environment=staging,team=a%2Cb",
				"K8S_POD_NAME", "pod-1", "POD_NAMESPACE", "shop", "NODE_NAME", "node-a"},
			opts: []Option{WithServiceName("from-option"), WithServiceVersion("0.0.1")},
			check: func(t *testing.T, x *run) {
				want := map[string]string{"service.name": "hyunwoo", "service.version": "1.0.0", "deployment.environment": "staging",
					"team": "a,b", "k8s.pod.name": "pod-1", "k8s.namespace.name": "shop", "k8s.node.name": "node-a",
					"telemetry.sdk.language": "go", "telemetry.sdk.name": "opentelemetry", "process.pid": fmt.Sprint(os.Getpid())}
				for k, v := range want {
					if got, _ := x.r.ResourceAttr(k); got != v {
						t.Errorf("resource %s = %q, want %q", k, got, v)
					}
				}
				for _, k := range []string{"host.name", "os.type", "process.runtime.name", "telemetry.sdk.version"} {
					if _, ok := x.r.ResourceAttr(k); !ok {
						t.Errorf("resource has no %s", k)
					}
				}
				if v, ok := x.r.ResourceAttr("process.command_args"); ok {
					t.Errorf("process.command_args exported (may hold secrets): %s", v)
				}
			},
		},
		{
			name: "service name and version from options when the environment is silent",
			env:  []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}"},
			opts: []Option{WithServiceName("from-option"), WithServiceVersion("0.0.1"), WithResourceAttributes(attribute.String("deployment.environment", "dev"))},
			check: func(t *testing.T, x *run) {
				for k, v := range map[string]string{"service.name": "from-option", "service.version": "0.0.1", "deployment.environment": "dev"} {
					if got, _ := x.r.ResourceAttr(k); got != v {
						t.Errorf("resource %s = %q, want %q", k, got, v)
					}
				}
			},
		},
		{
			name: "span limits",
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "2",
				"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "4", "OTEL_SPAN_EVENT_COUNT_LIMIT", "1", "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "1"},
			check: func(t *testing.T, x *run) {
				sp := x.r.Spans()[0]
				if len(sp.GetAttributes()) != 2 || sp.GetDroppedAttributesCount() != 1 {
					t.Errorf("attributes = %v, dropped %d", sp.GetAttributes(), sp.GetDroppedAttributesCount())
				}
				for _, a := range sp.GetAttributes() {
					if v := a.GetValue().GetStringValue(); len(v) != 4 {
						t.Errorf("attribute %s = %q, want 4 characters", a.GetKey(), v)
					}
				}
				if len(sp.GetEvents()) != 1 || sp.GetDroppedEventsCount() != 1 {
					t.Errorf("events = %d, dropped %d", len(sp.GetEvents()), sp.GetDroppedEventsCount())
				}
				if lr := x.r.LogRecords()[0]; len(lr.GetAttributes()) != 1 {
					t.Errorf("log record attributes = %v", lr.GetAttributes())
				}
			},
		},
		{
			name: "console,otlp list sends to both; none silences a signal",
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_TRACES_EXPORTER", "console, otlp",
				"OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none"},
			check: func(t *testing.T, x *run) {
				if len(x.r.Spans()) != 1 {
					t.Errorf("otlp spans = %d", len(x.r.Spans()))
				}
				if !strings.Contains(x.stdout, `"Name":"op"`) {
					t.Errorf("console exporter output lacks the span: %q", x.stdout)
				}
				if n := len(paths(x.r.Requests(), otlptest.Metrics)) + len(paths(x.r.Requests(), otlptest.Logs)); n != 0 {
					t.Errorf("metrics/logs sent despite none: %v", x.r.Requests())
				}
			},
		},
		{
			name: "grpc protocol with headers as metadata",
			grpc: true,
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
				"OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=t1", "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
			check: func(t *testing.T, x *run) {
				if len(x.r.Spans()) != 1 || metricByName(x.r, "test.counter") == nil || len(x.r.LogRecords()) != 1 {
					t.Errorf("grpc: spans %d, metrics %d, logs %d", len(x.r.Spans()), len(x.r.Metrics()), len(x.r.LogRecords()))
				}
				if got := reqOf(t, x.r, otlptest.Traces).Header.Get("x-tenant"); got != "t1" {
					t.Errorf("x-tenant metadata = %q", got)
				}
			},
		},
		{
			name: "per-signal protocol overrides the general one",
			grpc: true,
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
				"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none"},
			check: func(t *testing.T, x *run) {
				if len(x.r.Spans()) != 1 {
					t.Errorf("spans over grpc = %d", len(x.r.Spans()))
				}
			},
		},
		{
			name: "temporality and histogram aggregation preferences",
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta",
				"OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "base2_exponential_bucket_histogram"},
			check: func(t *testing.T, x *run) {
				c := metricByName(x.r, "test.counter")
				if c.GetSum().GetAggregationTemporality() != metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA {
					t.Errorf("counter temporality = %v", c.GetSum().GetAggregationTemporality())
				}
				if h := metricByName(x.r, "test.histogram"); h.GetExponentialHistogram() == nil {
					t.Errorf("histogram is not exponential: %v", h)
				}
			},
		},
		{
			name: "exemplar filter always_on",
			env:  []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_METRICS_EXEMPLAR_FILTER", "always_on", "OTEL_TRACES_SAMPLER", "always_off"},
			check: func(t *testing.T, x *run) {
				dps := metricByName(x.r, "test.counter").GetSum().GetDataPoints()
				if len(dps) != 1 || len(dps[0].GetExemplars()) == 0 {
					t.Errorf("no exemplar with always_on (outside a sampled span): %v", dps)
				}
			},
		},
		{
			name: "OTEL_BSP_SCHEDULE_DELAY, OTEL_BLRP_SCHEDULE_DELAY, OTEL_METRIC_EXPORT_INTERVAL export before shutdown",
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "{URL}", "OTEL_BSP_SCHEDULE_DELAY", "20", "OTEL_BLRP_SCHEDULE_DELAY", "20",
				"OTEL_METRIC_EXPORT_INTERVAL", "50"},
			check: nil, // asserted before shutdown, below
		},
		{
			name: "OTEL_CONFIG_FILE takes precedence and substitutes ${VAR}",
			env: []string{"OTEL_CONFIG_FILE", configFile, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_TRACES_EXPORTER", "console",
				"OTELBOOT_TEST_URL", "{URL}"},
			check: func(t *testing.T, x *run) {
				if got := paths(x.r.Requests(), otlptest.Traces); !slices.Equal(got, []string{"/from-file/v1/traces"}) {
					t.Errorf("traces paths = %v", got)
				}
				if got, _ := x.r.ResourceAttr("service.name"); got != "file-service" {
					t.Errorf("service.name = %q", got)
				}
				if strings.Contains(x.stdout, `"Name":"op"`) {
					t.Errorf("OTEL_TRACES_EXPORTER=console applied despite the file")
				}
			},
		},
	}
	if err := os.WriteFile(configFile, []byte(`file_format: "1.0-rc.2"
resource:
  attributes:
    - name: service.name
      value: ${OTELBOOT_TEST_SERVICE:-file-service}
tracer_provider:
  processors:
    - batch:
        exporter:
          otlp_http:
            endpoint: ${OTELBOOT_TEST_URL}/from-file/v1/traces
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r *otlptest.Receiver
			if tc.grpc {
				r = otlptest.NewGRPCReceiver(t)
			} else {
				r = otlptest.NewHTTPReceiver(t, tc.routes...)
			}
			env := slices.Clone(tc.env)
			for i := 1; i < len(env); i += 2 {
				env[i] = strings.ReplaceAll(env[i], "{URL}", r.URL)
			}
			cleanEnv(t, env...)
			out := captureStdout(t)
			shutdown, diag := start(t, tc.opts...)
			emit(t)
			if tc.check == nil {
				r.WaitFor(t, 5*time.Second, func() bool {
					return len(r.Spans()) > 0 && len(r.LogRecords()) > 0 && metricByName(r, "test.counter") != nil
				})
				shut(t, shutdown)
				return
			}
			shut(t, shutdown)
			x := &run{r: r, diag: diag, stdout: out()}
			tc.check(t, x)
			d := diag.String()
			if n := countLines(d, "level=WARN", "limit reached"); n > 0 {
				// The SDK's own notice of dropped attributes (span limits case).
				d = ""
			}
			if strings.Contains(d, "level=WARN") || strings.Contains(d, "level=ERROR") {
				t.Errorf("unexpected diagnostics:\n%s", diag)
			}
		})
	}
}

// captureStdout redirects os.Stdout (where console exporters write) until
// the returned function is called, which returns what was written.
func captureStdout(t *testing.T) func() string { return capture(t, &os.Stdout) }

// captureStderr redirects os.Stderr (where the default text handler writes)
// until the returned function is called, which returns what was written.
func captureStderr(t *testing.T) func() string { return capture(t, &os.Stderr) }

// capture redirects *f to a pipe until the returned function is called (or
// the test ends), which restores it and returns what was written.
func capture(t *testing.T, f **os.File) func() string {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := *f
	*f = pw
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(pr)
		done <- string(b)
	}()
	var got *string
	stop := func() string {
		if got == nil {
			*f = old
			pw.Close()
			s := <-done
			got = &s
		}
		return *got
	}
	t.Cleanup(func() { stop() })
	return stop
}

// TestSamplers asserts the six samplers' decisions for a root span and for
// a child of a sampled remote parent.
func TestSamplers(t *testing.T) {
	parent := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true,
	}))
	tests := []struct {
		sampler, arg     string
		root, withParent bool
	}{
		{"", "", true, true}, // parentbased_always_on
		{"always_on", "", true, true},
		{"always_off", "", false, false},
		{"traceidratio", "0", false, false},
		{"traceidratio", "1", true, true},
		{"parentbased_always_on", "", true, true},
		{"parentbased_always_off", "", false, true},
		{"parentbased_traceidratio", "0", false, true},
		{"PARENTBASED_TRACEIDRATIO", "1.0", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.sampler+"/"+tc.arg, func(t *testing.T) {
			cleanEnv(t, "OTEL_TRACES_SAMPLER", tc.sampler, "OTEL_TRACES_SAMPLER_ARG", tc.arg,
				"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			_, diag := start(t)
			tr := otel.Tracer("t")
			_, root := tr.Start(context.Background(), "root")
			_, child := tr.Start(parent, "child")
			if got := root.SpanContext().IsSampled(); got != tc.root {
				t.Errorf("root sampled = %v, want %v", got, tc.root)
			}
			if got := child.SpanContext().IsSampled(); got != tc.withParent {
				t.Errorf("child of sampled parent sampled = %v, want %v", got, tc.withParent)
			}
			if s := diag.String(); s != "" {
				t.Errorf("diagnostics: %s", s)
			}
		})
	}
}

// TestPropagators asserts OTEL_PROPAGATORS through the fields the global
// propagator injects.
func TestPropagators(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"", []string{"traceparent", "tracestate", "baggage"}},
		{"b3", []string{"b3"}},
		{"b3multi", []string{"x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-flags"}},
		{"jaeger", []string{"uber-trace-id"}},
		{"xray", []string{"X-Amzn-Trace-Id"}},
		{"ottrace", []string{"ot-tracer-traceid", "ot-tracer-spanid", "ot-tracer-sampled"}},
		{"tracecontext, baggage", []string{"traceparent", "tracestate", "baggage"}},
		{"none", nil},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			cleanEnv(t, "OTEL_PROPAGATORS", tc.value, "OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			start(t)
			got := otel.GetTextMapPropagator().Fields()
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("fields %v lack %q", got, w)
				}
			}
			if tc.want == nil && len(got) != 0 {
				t.Errorf("fields = %v, want none", got)
			}
			var _ propagation.TextMapPropagator = otel.GetTextMapPropagator()
		})
	}
}

// TestPrometheus scrapes the prometheus exporter on
// OTEL_EXPORTER_PROMETHEUS_HOST/PORT.
func TestPrometheus(t *testing.T) {
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	lis.Close()
	cleanEnv(t, "OTEL_METRICS_EXPORTER", "prometheus", "OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT", port, "OTEL_TRACES_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none",
		"OTEL_SERVICE_NAME", "promsvc",
		"OTEL_RESOURCE_ATTRIBUTES", "service.namespace=ns,service.instance.id=i1,deployment.environment.name=prod,deployment.environment=old,team.name=blue")
	shutdown, _ := start(t)
	c, _ := otel.Meter("t").Int64Counter("scraped", metric.WithUnit("By"))
	c.Add(context.Background(), 7)
	resp, err := http.Get("http://127.0.0.1:" + port + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Named as the demo's Collector names it (add_metric_suffixes: false,
	// resource_to_telemetry_conversion): no unit or _total suffix, and the
	// identifying resource attributes, and only those, as labels.
	var line string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "scraped{") {
			line = l
		}
		for _, bad := range []string{"scraped_total", "scraped_bytes"} {
			if strings.HasPrefix(l, bad) {
				t.Errorf("/metrics has suffixed series %s", l)
			}
		}
	}
	if line == "" {
		t.Fatalf("/metrics lacks scraped{...}:\n%s", body)
	}
	for _, want := range []string{`service_name="promsvc"`, `service_namespace="ns"`, `service_instance_id="i1"`,
		`deployment_environment_name="prod"`, `deployment_environment="old"`, "} 7"} {
		if !strings.Contains(line, want) {
			t.Errorf("series %s lacks %s", line, want)
		}
	}
	if strings.Contains(line, "team_name") {
		t.Errorf("series %s carries a non-identifying resource attribute", line)
	}
	if !strings.Contains(string(body), `team_name="blue"`) {
		t.Errorf("target_info lost the other resource attributes:\n%s", body)
	}
	shut(t, shutdown)
	if _, err := http.Get("http://127.0.0.1:" + port + "/metrics"); err == nil {
		t.Errorf("prometheus server still serving after shutdown")
	}
}

// TestSDKDisabled: no-op providers, nothing sent, the propagator still set.
func TestSDKDisabled(t *testing.T) {
	r := otlptest.NewHTTPReceiver(t)
	cleanEnv(t, "OTEL_SDK_DISABLED", "TRUE", "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL)
	shutdown, _ := start(t)
	emit(t)
	_, span := otel.Tracer("t").Start(context.Background(), "x")
	if span.IsRecording() {
		t.Errorf("span recording with OTEL_SDK_DISABLED=true")
	}
	shut(t, shutdown)
	if n := len(r.Requests()); n != 0 {
		t.Errorf("%d requests sent with the SDK disabled", n)
	}
	if len(otel.GetTextMapPropagator().Fields()) == 0 {
		t.Errorf("no propagator")
	}
}

// TestLogLevel: OTEL_LOG_LEVEL filters otelboot's diagnostics.
func TestLogLevel(t *testing.T) {
	for _, tc := range []struct {
		level     string
		wantWarn  bool
		wantDebug bool
	}{{"", true, false}, {"error", false, false}, {"debug", true, true}, {"none", false, false}} {
		t.Run(tc.level, func(t *testing.T) {
			cleanEnv(t, "OTEL_LOG_LEVEL", tc.level, "OTEL_BSP_MAX_QUEUE_SIZE", "x",
				"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			_, diag := start(t)
			s := diag.String()
			if got := strings.Contains(s, "level=WARN"); got != tc.wantWarn {
				t.Errorf("warning written = %v, want %v:\n%s", got, tc.wantWarn, s)
			}
			if got := strings.Contains(s, "level=DEBUG"); got != tc.wantDebug {
				t.Errorf("debug written = %v, want %v:\n%s", got, tc.wantDebug, s)
			}
		})
	}
}
