package otelboot

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"go.opentelemetry.io/otel"
	nooplog "go.opentelemetry.io/otel/log/noop"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	nooptrace "go.opentelemetry.io/otel/trace/noop"
)

// Sentinels: distinct pointers, so that a comparison is one of identity.
type (
	sentinelTP   struct{ nooptrace.TracerProvider }
	sentinelMP   struct{ noopmetric.MeterProvider }
	sentinelLP   struct{ nooplog.LoggerProvider }
	sentinelProp struct{ propagation.TraceContext }
	sentinelEH   struct{}
)

func (*sentinelEH) Handle(error) {}

// sentinelSink is a logr sink that counts what reaches it.
type sentinelSink struct {
	mu   sync.Mutex
	msgs []string
}

func (s *sentinelSink) Init(logr.RuntimeInfo)          {}
func (s *sentinelSink) Enabled(int) bool               { return true }
func (s *sentinelSink) WithValues(...any) logr.LogSink { return s }
func (s *sentinelSink) WithName(string) logr.LogSink   { return s }
func (s *sentinelSink) Info(_ int, msg string, _ ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, msg)
}

func (s *sentinelSink) Error(_ error, msg string, _ ...any) { s.Info(0, msg) }

func (s *sentinelSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// globals is every global Start could touch.
type globals struct {
	tp   *sentinelTP
	mp   *sentinelMP
	lp   *sentinelLP
	prop *sentinelProp
	eh   *sentinelEH
	sink *sentinelSink
	def  *slog.Logger
	logW any
	logF int
}

// setSentinels installs a sentinel in every global and returns them.
func setSentinels(t *testing.T) *globals {
	t.Helper()
	g := &globals{tp: &sentinelTP{}, mp: &sentinelMP{}, lp: &sentinelLP{}, prop: &sentinelProp{}, eh: &sentinelEH{},
		sink: &sentinelSink{}, def: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	otel.SetTracerProvider(g.tp)
	otel.SetMeterProvider(g.mp)
	otel.SetLoggerProvider(g.lp)
	otel.SetTextMapPropagator(g.prop)
	otel.SetErrorHandler(g.eh)
	otel.SetLogger(logr.New(g.sink))
	slog.SetDefault(g.def)
	g.logW, g.logF = log.Writer(), log.Flags()
	return g
}

// check fails the test on every global that is not its sentinel.
func (g *globals) check(t *testing.T) {
	t.Helper()
	if otel.GetTracerProvider() != g.tp {
		t.Errorf("tracer provider replaced")
	}
	if otel.GetMeterProvider() != g.mp {
		t.Errorf("meter provider replaced")
	}
	if otel.GetLoggerProvider() != g.lp {
		t.Errorf("logger provider replaced")
	}
	if otel.GetTextMapPropagator() != g.prop {
		t.Errorf("propagator replaced")
	}
	if otel.GetErrorHandler() != g.eh {
		t.Errorf("error handler replaced")
	}
	if slog.Default() != g.def {
		t.Errorf("slog default replaced")
	}
	if log.Writer() != g.logW || log.Flags() != g.logF {
		t.Errorf("log package output or flags changed")
	}
	// The otel logger has no getter: make the SDK log something and see
	// that the sentinel receives it.
	before := g.sink.count()
	_ = sdklog.NewLoggerProvider().Logger("") // warns "Invalid Logger name."
	if g.sink.count() == before {
		t.Errorf("otel logger replaced: the SDK's warning did not reach the sentinel")
	}
}

// waitGoroutines waits until the goroutine count is back to base, and
// fails with the stacks if it is not within the deadline.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines, %d before Start:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
			return
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond) // polling interval, not a bound
	}
}

// busy returns an address something listens on, and a free one.
func busy(t *testing.T) (inUse, free string) {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free = f.Addr().String()
	f.Close()
	return l.Addr().String(), free
}

// TestFailedStartChangesNothing: for each way Start can fail, every global
// is what it was before the call, the goroutine count comes back to where
// it was, and no listener is left open. Each case also sets bad values of
// the families that are only warnings (sampler, propagator, resource,
// batch numbers), and exporters of every signal over both protocols, so
// that as much as possible is built before the failure.
func TestFailedStartChangesNothing(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inUse, free := busy(t)
	host, port, _ := net.SplitHostPort(inUse)
	warnings := []string{"OTEL_TRACES_SAMPLER", "sometimes", "OTEL_PROPAGATORS", "tracecontext,bogus",
		"OTEL_RESOURCE_ATTRIBUTES", "team=a,broken", "OTEL_BSP_MAX_QUEUE_SIZE", "999999999999999",
		"OTEL_BLRP_SCHEDULE_DELAY", "9223372036854775807", "OTEL_METRIC_EXPORT_INTERVAL", "1"}
	grpc := []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://" + free}
	view := []string{"OTELKIT_VIEW_ADDR", free} // started before the failure, must be closed after it
	tests := []struct {
		name string
		env  [][]string
		want string // in the error
	}{
		{"exporter", [][]string{{"OTEL_TRACES_EXPORTER", "zipkin"}}, "OTEL_TRACES_EXPORTER"},
		{"protocol", [][]string{{"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "thrift"}}, "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL"},
		{"endpoint", [][]string{{"OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318"}}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"endpoint port", [][]string{{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://localhost:99999"}}, "99999"},
		{"headers", [][]string{{"OTEL_EXPORTER_OTLP_HEADERS", "k=a%0D%0Ab"}}, "OTEL_EXPORTER_OTLP_HEADERS"},
		{"certificate", [][]string{{"OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"}}, "OTEL_EXPORTER_OTLP_CERTIFICATE"},
		{"log format", [][]string{{"OTELKIT_LOG_FORMAT", "%(nosuchfield)s"}}, "OTELKIT_LOG_FORMAT"},
		{"log format, SDK disabled", [][]string{{"OTEL_SDK_DISABLED", "true", "OTELKIT_LOG_FORMAT", "%(nosuchfield)s"}}, "OTELKIT_LOG_FORMAT"},
		{"config file missing", [][]string{{"OTEL_CONFIG_FILE", "/nonexistent/otel.yaml"}}, "OTEL_CONFIG_FILE"},
		{"config file /dev/zero", [][]string{{"OTEL_CONFIG_FILE", "/dev/zero"}}, "not a regular file"},
		{"config file syntax", [][]string{{"OTEL_CONFIG_FILE", file("syntax.yaml", "file_format: [\n")}}, "OTEL_CONFIG_FILE"},
		{"config file version", [][]string{{"OTEL_CONFIG_FILE", file("version.yaml", `file_format: "99.0"`+"\n")}}, `"99.0"`},
		{"config file queue", [][]string{{"OTEL_CONFIG_FILE", file("queue.yaml", `file_format: "1.0"
tracer_provider:
  processors:
    - batch:
        max_queue_size: 2147483647
        exporter:
          console: {}
`)}}, "max_queue_size: 2147483647"},
		{"config file exporter", [][]string{{"OTEL_CONFIG_FILE", file("exporter.yaml", `file_format: "1.0"
tracer_provider:
  processors:
    - batch:
        exporter:
          otlp_http:
            endpoint: "http://localhost:4318/v1/traces"
            compression: zstd
`)}}, "zstd"},
		{"config file tracer after meter", [][]string{{"OTEL_CONFIG_FILE", file("meter.yaml", `file_format: "1.0"
meter_provider:
  readers:
    - periodic:
        exporter:
          console: {}
tracer_provider:
  processors:
    - batch:
        exporter:
          console: {}
    - batch:
        exporter:
          otlp_http:
            endpoint: "http://localhost:4318/v1/traces"
            compression: zstd
`)}}, "zstd"},
		{"config file logger after meter", [][]string{{"OTEL_CONFIG_FILE", file("logger.yaml", `file_format: "1.0"
meter_provider:
  readers:
    - periodic:
        exporter:
          console: {}
logger_provider:
  processors:
    - batch:
        exporter: {}
`)}}, "logger_provider.processors[0].batch.exporter"},
		{"config file sampler after meter", [][]string{{"OTEL_CONFIG_FILE", file("sampler.yaml", `file_format: "1.0"
meter_provider:
  readers:
    - periodic:
        exporter:
          console: {}
tracer_provider:
  sampler:
    parent_based:
      root: {}
`)}}, "parent_based.root"},
		{"config file tls /dev/zero", [][]string{{"OTEL_CONFIG_FILE", file("tls.yaml", `file_format: "1.0"
meter_provider:
  readers:
    - periodic:
        exporter:
          otlp_http:
            endpoint: "https://localhost:4318/v1/metrics"
            tls:
              ca_file: /dev/zero
`)}}, "ca_file: not a regular file"},
		{"live view address in use", [][]string{{"OTELKIT_VIEW_ADDR", inUse}}, "OTELKIT_VIEW_ADDR"},
		{"live view address in use, config file", [][]string{{"OTELKIT_VIEW_ADDR", inUse,
			"OTEL_CONFIG_FILE", file("ok.yaml", `file_format: "1.0"`+"\n")}}, "OTELKIT_VIEW_ADDR"},
		{"prometheus address in use", [][]string{{"OTEL_METRICS_EXPORTER", "otlp,prometheus",
			"OTEL_EXPORTER_PROMETHEUS_HOST", host, "OTEL_EXPORTER_PROMETHEUS_PORT", port}, view}, "OTEL_EXPORTER_PROMETHEUS_HOST/PORT"},
		{"prometheus port", [][]string{{"OTEL_METRICS_EXPORTER", "prometheus", "OTEL_EXPORTER_PROMETHEUS_PORT", "65536"}}, "OTEL_EXPORTER_PROMETHEUS_PORT"},
	}
	for _, tc := range tests {
		for _, proto := range [][]string{nil, grpc} {
			name := tc.name
			if proto != nil {
				name += ", grpc"
			}
			t.Run(name, func(t *testing.T) {
				env := append(append([]string{}, warnings...), proto...)
				for _, kv := range tc.env {
					env = append(env, kv...)
				}
				cleanEnv(t, env...)
				g := setSentinels(t)
				base := runtime.NumGoroutine()
				var diag bytes.Buffer
				shutdown, err := Start(context.Background(), WithLogger(slog.New(slog.NewTextHandler(&diag, nil))),
					WithDefaultLogger(true))
				if err == nil {
					_ = shutdown(context.Background())
					t.Fatalf("Start succeeded")
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q lacks %q", err, tc.want)
				}
				if shutdown == nil || shutdown(context.Background()) != nil {
					t.Errorf("the ShutdownFunc of a failed Start must be callable and return nil")
				}
				g.check(t)
				waitGoroutines(t, base)
				// Whatever was listening before the failure is closed.
				if l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", free); err != nil {
					t.Errorf("%s still in use after the failed Start: %v", free, err)
				} else {
					l.Close()
				}
			})
		}
	}
}

// TestStartSetsEveryGlobal is the other half: a Start that succeeds
// replaces each of them (so that the test above would see a change).
func TestStartSetsEveryGlobal(t *testing.T) {
	cleanEnv(t, "OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	g := setSentinels(t)
	var diag bytes.Buffer
	shutdown, err := Start(context.Background(), WithLogger(slog.New(slog.NewTextHandler(&diag, nil))), WithDefaultLogger(true))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	if otel.GetTracerProvider() == g.tp || otel.GetMeterProvider() == g.mp || otel.GetLoggerProvider() == g.lp ||
		otel.GetTextMapPropagator() == g.prop || otel.GetErrorHandler() == g.eh || slog.Default() == g.def {
		t.Errorf("a global was not replaced")
	}
	before := g.sink.count()
	_ = sdklog.NewLoggerProvider().Logger("")
	if g.sink.count() != before {
		t.Errorf("otel logger not replaced")
	}
}
