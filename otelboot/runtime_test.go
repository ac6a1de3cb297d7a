package otelboot

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelkit/otelkit/internal/otlptest"
)

// runtimeUnits is what the contrib runtime instrumentation emits, with the
// semantic conventions' units.
var runtimeUnits = map[string]string{
	"go.memory.used":        "By",
	"go.memory.allocated":   "By",
	"go.memory.allocations": "{allocation}",
	"go.memory.gc.goal":     "By",
	"go.goroutine.count":    "{goroutine}",
	"go.processor.limit":    "{thread}",
	"go.config.gogc":        "%",
	"go.schedule.duration":  "s",
}

// TestRuntimeMetrics: the Go runtime metrics reach the OTLP receiver with
// their names and units by default, and none of them when the option or
// the instrumentation lists switch them off; the option wins.
func TestRuntimeMetrics(t *testing.T) {
	for _, c := range []struct {
		name string
		env  []string
		opts []Option
		want bool
	}{
		{name: "default", want: true},
		{name: "option on", opts: []Option{WithRuntimeMetrics(true)}, want: true},
		{name: "option off", opts: []Option{WithRuntimeMetrics(false)}},
		{name: "disabled runtime", env: []string{"OTEL_GO_DISABLED_INSTRUMENTATIONS", "redis, RUNTIME"}},
		{name: "disabled runtimemetrics", env: []string{"OTEL_GO_DISABLED_INSTRUMENTATIONS", "runtimemetrics"}},
		{name: "enabled list without it", env: []string{"OTEL_GO_ENABLED_INSTRUMENTATIONS", "nethttp"}},
		{name: "enabled list with it", env: []string{"OTEL_GO_ENABLED_INSTRUMENTATIONS", "nethttp,runtime"}, want: true},
		{name: "option wins over the list", env: []string{"OTEL_GO_DISABLED_INSTRUMENTATIONS", "runtime"},
			opts: []Option{WithRuntimeMetrics(true)}, want: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			cleanEnv(t, append([]string{"OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_TRACES_EXPORTER", "none",
				"OTEL_LOGS_EXPORTER", "none"}, c.env...)...)
			shutdown, _ := start(t, append([]Option{WithSpanMetrics(false)}, c.opts...)...)
			shut(t, shutdown)
			got := map[string]string{}
			for _, m := range r.Metrics() {
				if strings.HasPrefix(m.GetName(), "go.") {
					got[m.GetName()] = m.GetUnit()
				}
			}
			if !c.want {
				if len(got) > 0 {
					t.Fatalf("runtime metrics exported while off: %v", got)
				}
				return
			}
			for name, unit := range runtimeUnits {
				u, ok := got[name]
				if !ok {
					t.Errorf("%s not exported (got %v)", name, got)
				} else if u != unit {
					t.Errorf("%s unit = %q, want %q", name, u, unit)
				}
			}
			if m := metricByName(r, "go.goroutine.count"); m != nil {
				if dps := m.GetSum().GetDataPoints(); len(dps) == 0 || dps[0].GetAsInt() < 1 {
					t.Errorf("go.goroutine.count has no positive point: %v", m)
				}
			}
		})
	}
}

// TestRuntimeMetricsStopAtShutdown: after shutdown nothing is exported any
// more (the callbacks stop with the meter provider).
func TestRuntimeMetricsStopAtShutdown(t *testing.T) {
	r := otlptest.NewHTTPReceiver(t)
	cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_TRACES_EXPORTER", "none",
		"OTEL_LOGS_EXPORTER", "none", "OTEL_METRIC_EXPORT_INTERVAL", "20")
	shutdown, _ := start(t, WithSpanMetrics(false))
	r.WaitFor(t, 5*time.Second, func() bool { return metricByName(r, "go.goroutine.count") != nil })
	shut(t, shutdown)
	n := len(r.Requests())
	time.Sleep(150 * time.Millisecond)
	if got := len(r.Requests()); got != n {
		t.Errorf("%d exports after shutdown", got-n)
	}
}

// TestInstrumentationListWarning: an unknown name gives one warning naming
// the variable and the value, and Start goes on.
func TestInstrumentationListWarning(t *testing.T) {
	for _, c := range []struct{ key, value, unknown string }{
		{"OTEL_GO_DISABLED_INSTRUMENTATIONS", "redis,bogus", "bogus"},
		{"OTEL_GO_ENABLED_INSTRUMENTATIONS", "nethttp, Grpc ,", "Grpc"},
		{"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "flask,django", "django"},
	} {
		t.Run(c.key, func(t *testing.T) {
			cleanEnv(t, c.key, c.value, "OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			shutdown, buf := start(t)
			shut(t, shutdown)
			out := buf.String()
			if n := countLines(out, "invalid value", "variable="+c.key, c.unknown); n != 1 {
				t.Errorf("%d warnings naming %s and %s, want 1:\n%s", n, c.key, c.unknown, out)
			}
		})
	}
	t.Run("known names: no warning", func(t *testing.T) {
		cleanEnv(t, "OTEL_GO_DISABLED_INSTRUMENTATIONS", "nethttp,databasesql,redis,kafka,slog,runtime",
			"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "flask,requests,mysql,pymysql,mysqlclient,sqlalchemy,redis,kafka,confluent_kafka,kafka-python,logging",
			"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
		shutdown, buf := start(t)
		shut(t, shutdown)
		if strings.Contains(buf.String(), "INSTRUMENTATIONS") {
			t.Errorf("warning for known names:\n%s", buf.String())
		}
	})
}

// TestSlogSwitchedOff: slog (Go), logs/slog or Python's logging in the
// lists turns off the default logger's instrumentation: slog's plain text
// handler, with neither the correlated layout nor OTLP records, even with
// correlation on and an OTLP log exporter.
func TestSlogSwitchedOff(t *testing.T) {
	for _, c := range []struct {
		env   []string
		plain bool
	}{
		{env: nil},
		{env: []string{"OTEL_GO_DISABLED_INSTRUMENTATIONS", "slog"}, plain: true},
		{env: []string{"OTEL_GO_DISABLED_INSTRUMENTATIONS", "logs/slog"}, plain: true},
		{env: []string{"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "logging"}, plain: true},
		{env: []string{"OTEL_GO_ENABLED_INSTRUMENTATIONS", "nethttp"}, plain: true},
	} {
		t.Run(strings.Join(c.env, "="), func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			cleanEnv(t, append([]string{"OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_TRACES_EXPORTER", "none",
				"OTEL_METRICS_EXPORTER", "none", "OTELKIT_LOG_CORRELATION", "true"}, c.env...)...)
			var h slog.Handler
			shutdown, _ := start(t, WithDefaultLogger(true), optionFunc(func(cf *config) { cf.onBuilt = func(s *starter) { h = s.slogHandler() } }))
			shut(t, shutdown)
			_, plain := h.(*slog.TextHandler)
			if plain != c.plain {
				t.Errorf("handler %T: plain text = %v, want %v", h, plain, c.plain)
			}
		})
	}
}

// TestRuntimeMetricsConfigFile: with OTEL_CONFIG_FILE the runtime metrics
// are recorded on the file's meter provider too (the gauges and counters;
// go.schedule.duration needs a reader otelboot builds), and the option
// switches them off.
func TestRuntimeMetricsConfigFile(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[on], func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			file := filepath.Join(t.TempDir(), "otel.yaml")
			if err := os.WriteFile(file, []byte(`file_format: "1.0"
meter_provider:
  readers:
    - periodic:
        exporter:
          otlp_http:
            endpoint: `+r.URL+`/v1/metrics
`), 0o600); err != nil {
				t.Fatal(err)
			}
			cleanEnv(t, "OTEL_CONFIG_FILE", file)
			shutdown, _ := start(t, WithSpanMetrics(false), WithRuntimeMetrics(on))
			shut(t, shutdown)
			m := metricByName(r, "go.goroutine.count")
			if (m != nil) != on {
				t.Fatalf("go.goroutine.count exported = %v, want %v (%d metrics)", m != nil, on, len(r.Metrics()))
			}
			if on && m.GetUnit() != "{goroutine}" {
				t.Errorf("unit = %q", m.GetUnit())
			}
		})
	}
}
