package otelboot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutlog"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/internal/spanmetrics"
	"github.com/otelkit/otelkit/internal/utf8guard"
)

// exporterPlan is one validated entry of OTEL_<SIGNAL>_EXPORTER.
type exporterPlan struct {
	name         string // otlp, console, prometheus
	proto        string // for otlp: http/protobuf or grpc
	timeout      time.Duration
	forceTimeout bool
	// insecure is set when the endpoint's scheme is http: the Go exporters
	// let OTEL_EXPORTER_OTLP_INSECURE (false unless "true") override the
	// scheme, which the specification says it must not.
	insecure bool
	// endpoint is, for otlp, the URL the exporter sends to (see
	// ExporterSummary.Endpoint).
	endpoint string
	// stopping is set when shutdown begins (see failFast).
	stopping *atomic.Bool
	// inflight tracks a gRPC exporter's exports for shutdown (see inflight).
	inflight *inflight
}

// planExporters validates OTEL_<SIGNAL>_EXPORTER and, for otlp, the OTLP
// variables of that signal.
func (e *env) planExporters(signal string, known ...string) []exporterPlan {
	var out []exporterPlan
	for _, name := range e.exporters("OTEL_"+signal+"_EXPORTER", known...) {
		p := exporterPlan{name: name}
		if name == "otlp" {
			p.proto = e.protocol(signal)
			ms, force := e.checkOTLP(signal, p.proto)
			p.timeout, p.forceTimeout = time.Duration(ms)*time.Millisecond, force
			_, ep, _ := firstSet("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
			// The specification's default endpoint is http://localhost:4318
			// (4317 for grpc); the Go exporters would use TLS without it.
			p.insecure = ep == "" || strings.HasPrefix(strings.ToLower(ep), "http://")
			p.endpoint = otlpEndpoint(signal, p.proto, p.insecure)
		}
		out = append(out, p)
	}
	return out
}

// The OTLP exporters read OTEL_EXPORTER_OTLP_* themselves (endpoint and its
// path rules, headers, timeout, compression, TLS); New never dials.

// The Go OTLP/HTTP exporters apply OTEL_EXPORTER_OTLP_TIMEOUT to each
// attempt and keep retrying for up to a minute; the specification makes it
// the maximum time for one batch export. These wrappers bound the whole
// export (retries included), which also keeps a down collector from holding
// a batch for a minute.

type timeoutSpanExporter struct {
	sdktrace.SpanExporter
	d time.Duration
}

func (e timeoutSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	ctx, cancel := context.WithTimeout(ctx, e.d)
	defer cancel()
	return e.SpanExporter.ExportSpans(ctx, spans)
}

type timeoutMetricExporter struct {
	sdkmetric.Exporter
	d time.Duration
}

func (e timeoutMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	ctx, cancel := context.WithTimeout(ctx, e.d)
	defer cancel()
	return e.Exporter.Export(ctx, rm)
}

type timeoutLogExporter struct {
	sdklog.Exporter
	d time.Duration
}

// Export also names the signal in its error, as the trace and metric
// exporters do ("traces export: ...", "failed to upload metrics: ..."):
// the OTLP log exporters' errors start with the bare `Post "URL"`.
func (e timeoutLogExporter) Export(ctx context.Context, rs []sdklog.Record) error {
	if e.d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.d)
		defer cancel()
	}
	if err := e.Exporter.Export(ctx, rs); err != nil {
		return fmt.Errorf("logs export: %w", err)
	}
	return nil
}

func newSpanExporter(ctx context.Context, p exporterPlan) (sdktrace.SpanExporter, error) {
	exp, err := newSpanExporter1(ctx, p)
	exp = utf8guard.Spans(exp) // valid UTF-8 on the wire, whoever wrote the strings
	if err != nil || p.name != "otlp" || p.timeout <= 0 {
		return exp, err
	}
	return timeoutSpanExporter{exp, p.timeout}, nil
}

func newMetricExporter(ctx context.Context, p exporterPlan) (sdkmetric.Exporter, error) {
	exp, err := newMetricExporter1(ctx, p)
	exp = utf8guard.Metrics(exp) // valid UTF-8 on the wire, whoever wrote the strings
	if err != nil || p.name != "otlp" || p.timeout <= 0 {
		return exp, err
	}
	return timeoutMetricExporter{exp, p.timeout}, nil
}

func newLogExporter(ctx context.Context, p exporterPlan) (sdklog.Exporter, error) {
	exp, err := newLogExporter1(ctx, p)
	if err != nil {
		return exp, err
	}
	exp = utf8guard.Logs(exp) // valid UTF-8 on the wire, whoever wrote the strings
	if p.name != "otlp" {
		return exp, nil
	}
	return timeoutLogExporter{exp, p.timeout}, nil
}

func newSpanExporter1(ctx context.Context, p exporterPlan) (sdktrace.SpanExporter, error) {
	switch {
	case p.name == "console":
		return stdouttrace.New(stdouttrace.WithWriter(os.Stdout))
	case p.proto == "grpc":
		exp, err := otlptracegrpc.New(ctx, append(otlpOptions(p, otlptracegrpc.WithTimeout, otlptracegrpc.WithInsecure), otlptracegrpc.WithDialOption(grpcFailFast(p)))...)
		if err != nil {
			return nil, err
		}
		return inflightSpans{exp, p.inflight}, nil
	default:
		return otlptracehttp.New(ctx, otlpOptions(p, otlptracehttp.WithTimeout, otlptracehttp.WithInsecure)...)
	}
}

func newMetricExporter1(ctx context.Context, p exporterPlan) (sdkmetric.Exporter, error) {
	switch {
	case p.name == "console":
		return stdoutmetric.New(stdoutmetric.WithWriter(os.Stdout))
	case p.proto == "grpc":
		exp, err := otlpmetricgrpc.New(ctx, append(otlpOptions(p, otlpmetricgrpc.WithTimeout, otlpmetricgrpc.WithInsecure), otlpmetricgrpc.WithDialOption(grpcFailFast(p)))...)
		if err != nil {
			return nil, err
		}
		return inflightMetrics{exp, p.inflight}, nil
	default:
		return otlpmetrichttp.New(ctx, otlpOptions(p, otlpmetrichttp.WithTimeout, otlpmetrichttp.WithInsecure)...)
	}
}

func newLogExporter1(ctx context.Context, p exporterPlan) (sdklog.Exporter, error) {
	switch {
	case p.name == "console":
		return stdoutlog.New(stdoutlog.WithWriter(os.Stdout))
	case p.proto == "grpc":
		exp, err := otlploggrpc.New(ctx, append(otlpOptions(p, otlploggrpc.WithTimeout, otlploggrpc.WithInsecure), otlploggrpc.WithDialOption(grpcFailFast(p)))...)
		if err != nil {
			return nil, err
		}
		return inflightLogs{exp, p.inflight}, nil
	default:
		return otlploghttp.New(ctx, otlpOptions(p, otlploghttp.WithTimeout, otlploghttp.WithInsecure)...)
	}
}

// promReader is the Prometheus exporter with its own registry, served on
// OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT (default
// localhost:9464) at /metrics. durations, when not nil, is attached to it,
// and with runtimeOn the runtime instrumentation's producer
// (go.schedule.duration), as on the periodic readers otelboot builds.
//
// Series are named as the demo's Collector (prometheus exporter with
// add_metric_suffixes: false and resource_to_telemetry_conversion) names
// them, so one dashboard reads both: no unit or _total suffixes
// (duration_bucket, not duration_milliseconds_bucket), dots escaped to
// underscores, and the identifying resource attributes (promResourceLabels)
// on every series besides target_info.
type promReader struct {
	sdkmetric.Reader
	server *http.Server
	addr   string
}

func newPromReader(durations *spanmetrics.Producer, runtimeOn bool) (*promReader, error) {
	host, ok := get("OTEL_EXPORTER_PROMETHEUS_HOST")
	if !ok {
		host = "localhost"
	}
	port, ok := get("OTEL_EXPORTER_PROMETHEUS_PORT")
	if !ok {
		port = "9464"
	}
	reg := prometheus.NewRegistry()
	opts := []promexporter.Option{
		promexporter.WithRegisterer(reg),
		promexporter.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithoutSuffixes),
		promexporter.WithResourceAsConstantLabels(promResourceLabels),
	}
	if durations != nil {
		opts = append(opts, promexporter.WithProducer(durations))
	}
	if runtimeOn {
		opts = append(opts, promexporter.WithProducer(runtime.NewProducer()))
	}
	exp, err := promexporter.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("otelboot: prometheus exporter: %w", err)
	}
	addr := net.JoinHostPort(host, port)
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, errors.Join(
			fmt.Errorf("otelboot: OTEL_EXPORTER_PROMETHEUS_HOST/PORT %q: %w", addr, err),
			exp.Shutdown(context.Background()))
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	return &promReader{Reader: exp, server: srv, addr: lis.Addr().String()}, nil
}

// promResourceLabels selects the resource attributes copied onto every
// Prometheus series: the ones that tell one service instance from another.
func promResourceLabels(kv attribute.KeyValue) bool {
	switch kv.Key {
	case "service.name", "service.namespace", "service.instance.id",
		"deployment.environment", "deployment.environment.name":
		return true
	}
	return false
}

// Shutdown stops the reader and the HTTP server.
func (r *promReader) Shutdown(ctx context.Context) error {
	return errors.Join(r.Reader.Shutdown(ctx), r.server.Shutdown(ctx))
}

// otlpOptions returns the options every OTLP exporter gets from its plan:
// the whole-export timeout when the variable set one, and plain HTTP (or
// gRPC without TLS) for an http:// or default endpoint.
func otlpOptions[O any](p exporterPlan, withTimeout func(time.Duration) O, withInsecure func() O) []O {
	var opts []O
	if p.forceTimeout {
		opts = append(opts, withTimeout(p.timeout))
	}
	if p.insecure {
		opts = append(opts, withInsecure())
	}
	return opts
}
