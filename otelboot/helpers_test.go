package otelboot

import (
	"context"
	"log"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/otelkit/otelkit/internal/testutil"
)

// allVars is every variable otelboot (or the SDK under it) reads; each test
// starts from all of them unset.
var allVars = []string{
	"OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_LOG_LEVEL",
	"OTEL_PROPAGATORS", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
	"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER",
	"OTEL_EXPORTER_PROMETHEUS_HOST", "OTEL_EXPORTER_PROMETHEUS_PORT",
	"OTEL_METRIC_EXPORT_INTERVAL", "OTEL_METRIC_EXPORT_TIMEOUT", "OTEL_METRICS_EXEMPLAR_FILTER",
	"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
	"OTEL_BLRP_SCHEDULE_DELAY", "OTEL_BLRP_EXPORT_TIMEOUT", "OTEL_BLRP_MAX_QUEUE_SIZE", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE",
	"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT",
	"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT",
	"OTEL_SPAN_LINK_COUNT_LIMIT", "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
	"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT",
	"OTEL_CONFIG_FILE",
	"OTELKIT_LOG_FORMAT", "OTEL_PYTHON_LOG_FORMAT", "OTELKIT_LOG_CORRELATION", "OTEL_PYTHON_LOG_CORRELATION",
	"OTELKIT_VIEW_ADDR", "OTELKIT_VIEW_TOKEN", "OTELKIT_VIEW_LOG_FINDINGS",
	"OTEL_GO_ENABLED_INSTRUMENTATIONS", "OTEL_GO_DISABLED_INSTRUMENTATIONS", "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS",
	"K8S_POD_NAME", "POD_NAME", "K8S_POD_UID", "POD_UID", "K8S_NAMESPACE_NAME", "K8S_POD_NAMESPACE",
	"POD_NAMESPACE", "K8S_NODE_NAME", "NODE_NAME", "K8S_CONTAINER_NAME", "CONTAINER_NAME",
}

func init() {
	for _, sig := range []string{"", "TRACES_", "METRICS_", "LOGS_"} {
		for _, s := range []string{"ENDPOINT", "PROTOCOL", "HEADERS", "TIMEOUT", "COMPRESSION", "INSECURE",
			"CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE"} {
			allVars = append(allVars, "OTEL_EXPORTER_OTLP_"+sig+s)
		}
	}
	allVars = append(allVars, "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
		"OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION")
}

// cleanEnv unsets every variable (an empty value counts as unset), sets the
// given ones and restores the globals Start changes when the test ends.
func cleanEnv(t testing.TB, kv ...string) {
	t.Helper()
	for _, k := range allVars {
		t.Setenv(k, "")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		t.Setenv(kv[i], kv[i+1])
	}
	tp, mp, lp, prop := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetLoggerProvider(), otel.GetTextMapPropagator()
	def, w, flags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() {
		otel.SetTracerProvider(tp)
		otel.SetMeterProvider(mp)
		otel.SetLoggerProvider(lp)
		otel.SetTextMapPropagator(prop)
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
		slog.SetDefault(def)
		log.SetOutput(w)
		log.SetFlags(flags)
	})
}

// start calls Start with a logger capturing otelboot's diagnostics, no
// default slog change unless asked, and shuts down when the test ends.
func start(t testing.TB, opts ...Option) (ShutdownFunc, *testutil.SyncBuffer) {
	t.Helper()
	buf := &testutil.SyncBuffer{}
	all := append([]Option{WithLogger(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithDefaultLogger(false)}, opts...)
	shutdown, err := Start(context.Background(), all...)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(ctx)
	})
	return shutdown, buf
}

// shut shuts down within 10 s and fails the test on an error.
func shut(t testing.TB, shutdown ShutdownFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// countLines counts the lines of s that contain every one of subs.
func countLines(s string, subs ...string) int {
	n := 0
	for line := range strings.Lines(s) {
		ok := true
		for _, sub := range subs {
			ok = ok && strings.Contains(line, sub)
		}
		if ok {
			n++
		}
	}
	return n
}
