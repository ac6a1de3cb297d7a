package otelboot

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelkit/otelkit/internal/instrumentation"
)

// WithRuntimeMetrics turns the Go runtime metrics on or off (on by default):
// the contrib runtime instrumentation's go.memory.used, go.memory.limit,
// go.memory.allocated, go.memory.allocations, go.memory.gc.goal,
// go.goroutine.count, go.processor.limit and go.config.gogc, and the
// go.schedule.duration histogram. The histogram comes from the
// instrumentation's metric producer (runtime.NewProducer), and a producer
// can only be given to a reader when the reader is built, so otelboot
// attaches it to every reader it builds: the periodic readers of
// OTEL_METRICS_EXPORTER (otlp, console) and the Prometheus exporter. A
// reader from WithMetricReader is built already: give it the producer
// yourself (sdkmetric.WithProducer(runtime.NewProducer()) when building
// it) to get the histogram there too. With OTEL_CONFIG_FILE the loader
// builds the readers and has no such producer, so the histogram is absent.
// Without this option the instrumentation lists decide: runtime (or
// runtimemetrics) in OTEL_GO_DISABLED_INSTRUMENTATIONS, or an
// OTEL_GO_ENABLED_INSTRUMENTATIONS without it, turns them off. The option,
// when given, wins over the variables.
func WithRuntimeMetrics(on bool) Option {
	return optionFunc(func(c *config) { c.runtimeMetrics = &on })
}

// runtimeOn reports whether the runtime metrics are on (see
// WithRuntimeMetrics).
func (s *starter) runtimeOn() bool {
	if s.cfg.runtimeMetrics != nil {
		return *s.cfg.runtimeMetrics
	}
	return instrumentation.Enabled(instrumentation.Runtime)
}

// startRuntime registers the runtime metrics' callbacks on mp (they stop
// with mp's shutdown). It fails only on an SDK bug.
func startRuntime(mp metric.MeterProvider) error {
	if err := runtime.Start(runtime.WithMeterProvider(mp)); err != nil {
		return fmt.Errorf("otelboot: runtime metrics: %w", err)
	}
	return nil
}

// checkInstrumentations warns once per variable about names in the
// instrumentation lists that no instrumentation has (they are ignored).
func (s *starter) checkInstrumentations() {
	for _, p := range instrumentation.Check() {
		known := instrumentation.KnownGo()
		if p.Variable == instrumentation.EnvPythonDisabled {
			known = instrumentation.KnownPython()
		}
		s.env.warn(p.Variable, p.Value,
			"unknown instrumentation "+strings.Join(p.Unknown, ", ")+" (known: "+known+")",
			"the known names only")
	}
}
