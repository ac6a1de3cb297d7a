package otelboot

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
)

// TestBadValuesAreErrors: values whose fallback would send telemetry
// elsewhere, or without its credentials, make Start fail naming the
// variable and the (redacted) value, and leave the globals alone.
func TestBadValuesAreErrors(t *testing.T) {
	tests := []struct {
		env  []string
		want []string // substrings of the error
	}{
		{[]string{"OTEL_TRACES_EXPORTER", "zipkin"}, []string{`OTEL_TRACES_EXPORTER="zipkin"`, "unknown exporter zipkin"}},
		{[]string{"OTEL_METRICS_EXPORTER", "otlp,none"}, []string{`OTEL_METRICS_EXPORTER="otlp,none"`, `"none" cannot be combined`}},
		{[]string{"OTEL_LOGS_EXPORTER", "prometheus"}, []string{`OTEL_LOGS_EXPORTER="prometheus"`}},
		{[]string{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}, []string{`OTEL_EXPORTER_OTLP_PROTOCOL="http/json"`, "http/json is not implemented"}},
		{[]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift"}, []string{`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="thrift"`, "unknown protocol"}},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318"}, []string{`OTEL_EXPORTER_OTLP_ENDPOINT="localhost:4318"`, "not a URL"}},
		{[]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://user:pw@[::1"}, []string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=", "not a URL"}},
		{[]string{"OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20s3cret,bare-s3cret"},
			[]string{`OTEL_EXPORTER_OTLP_HEADERS="Authorization=REDACTED,REDACTED"`, "entry 2 has no '='"}},
		{[]string{"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "bad name=s3cret"}, []string{`OTEL_EXPORTER_OTLP_LOGS_HEADERS="bad name=REDACTED"`, "invalid header name"}},
		{[]string{"OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"}, []string{`OTEL_EXPORTER_OTLP_CERTIFICATE="/nonexistent/ca.pem"`}},
		{[]string{"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "/tmp/c.pem"}, []string{"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY is not set"}},
		{[]string{"OTEL_CONFIG_FILE", "/nonexistent/otel.yaml"}, []string{`OTEL_CONFIG_FILE="/nonexistent/otel.yaml"`}},
		{[]string{"OTEL_EXPORTER_PROMETHEUS_PORT", "notaport", "OTEL_METRICS_EXPORTER", "prometheus"}, []string{`OTEL_EXPORTER_PROMETHEUS_PORT="notaport"`, "0-65535"}},
		{[]string{"OTELKIT_LOG_FORMAT", "%(nosuchfield)s"}, []string{`OTELKIT_LOG_FORMAT="%(nosuchfield)s"`}},
	}
	for _, tc := range tests {
		t.Run(tc.env[0]+"="+tc.env[1], func(t *testing.T) {
			cleanEnv(t, tc.env...)
			before := otel.GetTracerProvider()
			var buf testutil.SyncBuffer
			shutdown, err := Start(context.Background(), WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
			if err == nil {
				_ = shutdown(context.Background())
				t.Fatalf("Start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(buf.String(), "s3cret") || strings.Contains(err.Error(), ":pw@") {
				t.Errorf("secret leaked: %v\n%s", err, buf.String())
			}
			if otel.GetTracerProvider() != before {
				t.Errorf("Start set the tracer provider despite the error")
			}
		})
	}
}

// TestBadValuesAreWarnings: tuning values that are wrong are logged once,
// naming variable and value, and the default is used.
func TestBadValuesAreWarnings(t *testing.T) {
	tests := []struct {
		env   []string
		check func(t *testing.T, rec *tracetest.SpanRecorder)
	}{
		{[]string{"OTEL_SDK_DISABLED", "yes"}, func(t *testing.T, rec *tracetest.SpanRecorder) {
			if len(rec.Ended()) != 1 {
				t.Errorf("SDK not enabled (the default)")
			}
		}},
		{[]string{"OTEL_LOG_LEVEL", "verbose"}, nil},
		{[]string{"OTEL_RESOURCE_ATTRIBUTES", "team=a,broken"}, func(t *testing.T, rec *tracetest.SpanRecorder) {
			// The SDK's providers merge resource.Environment(), which keeps
			// the well-formed entries.
			if v, _ := rec.Ended()[0].Resource().Set().Value("team"); v.AsString() != "a" {
				t.Errorf("team = %q, want the well-formed entry kept", v.AsString())
			}
		}},
		{[]string{"OTEL_PROPAGATORS", "tracecontext,bogus"}, func(t *testing.T, _ *tracetest.SpanRecorder) {
			if !slices.Contains(otel.GetTextMapPropagator().Fields(), "traceparent") {
				t.Errorf("known propagator dropped")
			}
		}},
		{[]string{"OTEL_TRACES_SAMPLER", "sometimes"}, sampled(true)},
		{[]string{"OTEL_TRACES_SAMPLER", "traceidratio", "OTEL_TRACES_SAMPLER_ARG", "2"}, sampled(true)},
		{[]string{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG", "half"}, sampled(true)},
		{[]string{"OTEL_BSP_MAX_QUEUE_SIZE", "-1"}, nil},
		{[]string{"OTEL_BSP_SCHEDULE_DELAY", "0"}, nil},
		{[]string{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "many"}, nil},
		{[]string{"OTEL_BLRP_EXPORT_TIMEOUT", "soon"}, nil},
		{[]string{"OTEL_METRIC_EXPORT_INTERVAL", "-5"}, nil},
		{[]string{"OTEL_METRICS_EXEMPLAR_FILTER", "sometimes"}, nil},
		{[]string{"OTEL_EXPORTER_OTLP_TIMEOUT", "-1"}, nil},
		{[]string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s"}, nil},
		{[]string{"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"}, nil},
		{[]string{"OTEL_EXPORTER_OTLP_INSECURE", "yes"}, nil},
		{[]string{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes"}, nil},
		{[]string{"OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "linear"}, nil},
		{[]string{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "-3"}, func(t *testing.T, rec *tracetest.SpanRecorder) {
			if n := len(rec.Ended()[0].Attributes()); n != 3 {
				t.Errorf("attributes = %d, want the 3 set (default limit 128)", n)
			}
		}},
		{[]string{"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "many"}, nil},
		{[]string{"OTELKIT_LOG_CORRELATION", "yes"}, nil},
		{[]string{"OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "log"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.env[len(tc.env)-2]+"="+tc.env[len(tc.env)-1], func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			cleanEnv(t, append([]string{"OTEL_EXPORTER_OTLP_ENDPOINT", r.URL}, tc.env...)...)
			rec := tracetest.NewSpanRecorder()
			shutdown, diag := start(t, WithSpanProcessor(rec), WithDefaultLogger(true))
			_, span := otel.Tracer("t").Start(context.Background(), "s")
			span.SetAttributes(attribute.Int("a", 1), attribute.Int("b", 2), attribute.Int("c", 3))
			span.End()
			shut(t, shutdown)
			key, val := tc.env[len(tc.env)-2], tc.env[len(tc.env)-1]
			d := diag.String()
			if n := countLines(d, "level=WARN", "variable="+key, val); n != 1 {
				t.Errorf("%d warnings naming %s and %q, want 1:\n%s", n, key, val, d)
			}
			if n := countLines(d, "level=WARN") + countLines(d, "level=ERROR"); n != 1 {
				t.Errorf("%d warnings and errors, want 1:\n%s", n, d)
			}
			if tc.check != nil {
				tc.check(t, rec)
			}
		})
	}
}

func sampled(want bool) func(*testing.T, *tracetest.SpanRecorder) {
	return func(t *testing.T, rec *tracetest.SpanRecorder) {
		t.Helper()
		if got := len(rec.Ended()) == 1 && rec.Ended()[0].SpanContext().IsSampled(); got != want {
			t.Errorf("sampled = %v, want %v (the default sampler)", got, want)
		}
	}
}

// TestSchemaURLConflict: a detector built on other semantic conventions
// does not fail Start; every attribute is kept and one warning is logged.
func TestSchemaURLConflict(t *testing.T) {
	cleanEnv(t, "OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none",
		"OTEL_SERVICE_NAME", "hyunwoo")
	rec := tracetest.NewSpanRecorder()
	old1 := detectorFunc(func() *resourceT {
		return newResourceWithSchema("https://opentelemetry.io/schemas/1.4.0", attribute.String("cloud.provider", "gcp"))
	})
	old2 := detectorFunc(func() *resourceT {
		return newResourceWithSchema("https://opentelemetry.io/schemas/1.7.0", attribute.String("cloud.region", "eu"))
	})
	shutdown, diag := start(t, WithSpanProcessor(rec), WithResourceDetectors(old1, old2))
	_, span := otel.Tracer("t").Start(context.Background(), "s")
	span.End()
	shut(t, shutdown)
	set := rec.Ended()[0].Resource().Set()
	for k, v := range map[attribute.Key]string{"cloud.provider": "gcp", "cloud.region": "eu", "service.name": "hyunwoo", "telemetry.sdk.language": "go"} {
		if got, _ := set.Value(k); got.AsString() != v {
			t.Errorf("%s = %q, want %q", k, got.AsString(), v)
		}
	}
	if n := countLines(diag.String(), "level=WARN", "schema"); n != 1 {
		t.Errorf("%d schema warnings, want 1:\n%s", n, diag)
	}
}

// TestConfigFileErrorsNameTheFile covers an invalid file (not just a missing
// one).
func TestConfigFileErrorsNameTheFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(f, []byte("file_format: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cleanEnv(t, "OTEL_CONFIG_FILE", f)
	_, err := Start(context.Background(), WithLogger(slog.New(slog.DiscardHandler)))
	if err == nil || !strings.Contains(err.Error(), "OTEL_CONFIG_FILE") || !strings.Contains(err.Error(), f) {
		t.Fatalf("err = %v", err)
	}
}

var _ sdktrace.SpanProcessor = (*tracetest.SpanRecorder)(nil)
