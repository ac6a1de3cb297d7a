package otelboot

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel"
	otellog "go.opentelemetry.io/otel/log"
	nooplog "go.opentelemetry.io/otel/log/noop"
	"go.opentelemetry.io/otel/metric"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	nooptrace "go.opentelemetry.io/otel/trace/noop"

	"github.com/otelkit/otelkit/internal/spanmetrics"
	"github.com/otelkit/otelkit/logcorr"
	"github.com/otelkit/otelkit/otelboot/liveview"
)

// ShutdownFunc flushes and stops everything Start set up. It is safe to call
// more than once; later calls return nil at once.
type ShutdownFunc func(context.Context) error

// starter holds the state of one Start call.
type starter struct {
	cfg          *config
	diag         *diag
	env          *env
	schemaWarned bool

	res       *resource.Resource
	tp        trace.TracerProvider
	mp        metric.MeterProvider
	lp        otellog.LoggerProvider
	prop      propagation.TextMapPropagator
	flushers  []flusher                     // what shutdown flushes and stops, in parallel
	pending   []func(context.Context) error // built, not yet owned by a provider
	otlpLogs  bool                          // whether records reach a log exporter
	serviceNm string
	viewAddr  string
	disabled  bool              // OTEL_SDK_DISABLED=true
	sampler   sdktrace.Sampler  // the sampler passed to the tracer provider
	plans     [3][]exporterPlan // traces, metrics, logs
	promURL   string            // the prometheus exporter's /metrics URL
	ownView   *liveview.View
	format    *logcorr.Format // for the default slog handler
	correlate bool
	slogOff   bool // slog switched off by the instrumentation lists
	level     slog.Level

	// The values given to the SDK, validated and bounded (for the tests).
	spanLimits sdktrace.SpanLimits
	logLimits  [2]int           // count, value length
	batch      [3]batchSettings // spans, logs, metric reader

	stopping  atomic.Bool // set when shutdown begins (see failFast)
	inflights []*inflight // the gRPC exporters' exports, ended by shutdown when no connection
}

// flusher is a provider (or server) that shutdown stops.
type flusher struct {
	what     string
	flush    func(context.Context) error
	shutdown func(context.Context) error
}

// Start configures the global tracer, meter and logger providers, the
// propagator, the error handler and the SDK's internal logger from the
// environment and opts, and, unless WithDefaultLogger(false), slog's default
// logger. It never waits on the network.
//
// A bad value is either an error naming the variable and its value (Start
// then sets no provider and returns a ShutdownFunc that does nothing, so
// that a deferred call is always safe) or a warning logged
// once, the default being used: the package documentation lists which.
// The returned ShutdownFunc flushes and stops everything within its
// context's deadline.
func Start(ctx context.Context, opts ...Option) (ShutdownFunc, error) {
	cfg := newConfig(opts)
	boot := newEnv(nil)
	level := logLevel(boot)
	d := newDiag(cfg, level)
	boot.log = d.logger
	s := &starter{cfg: cfg, diag: d, env: boot}
	if boot.pendingLevel != "" {
		boot.warn("OTEL_LOG_LEVEL", boot.pendingLevel, "not one of debug, info, warn, error, none", "info")
	}

	// All or nothing: build validates everything and builds every
	// component without touching a global; on an error it stops what it
	// built. Only then are the globals set, in one go.
	if err := s.build(ctx); err != nil {
		return func(context.Context) error { return nil }, err
	}

	if cfg.onBuilt != nil {
		cfg.onBuilt(s)
	}
	// Everything is built: publish it.
	otel.SetLogger(logr.New(&logSink{d: d}))
	otel.SetErrorHandler(d.errs)
	otel.SetTracerProvider(s.tp)
	otel.SetMeterProvider(s.mp)
	otel.SetLoggerProvider(s.lp)
	otel.SetTextMapPropagator(s.prop)
	restore := func() {}
	if cfg.setDefaultSlog {
		restore = setDefaultSlog(s.slogHandler())
	}
	if s.viewAddr != "" {
		d.logger.Info("otelboot: live view", "url", s.viewAddr)
	}
	if cfg.onSummary != nil || d.logger.Enabled(ctx, slog.LevelDebug) {
		sum := s.summary()
		d.logger.Debug("otelboot: started", "summary", sum.String())
		if cfg.onSummary != nil {
			cfg.onSummary(sum)
		}
	}

	var done atomic.Bool
	return func(ctx context.Context) error {
		if !done.CompareAndSwap(false, true) {
			return nil // later (or concurrent) calls: at once
		}
		restore()
		return s.shutdown(ctx)
	}, nil
}

// build validates the environment and builds every component, touching no
// global; on an error it stops what it built. The order keeps the work to
// undo small: validation, then what can fail (listeners, exporters), then
// the providers, which start goroutines and cannot fail.
func (s *starter) build(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.undo(ctx)
		}
	}()
	if file, ok := get("OTEL_CONFIG_FILE"); ok {
		return s.buildFromFile(ctx, file)
	}
	if s.env.boolean("OTEL_SDK_DISABLED") {
		s.tp, s.mp, s.lp = nooptrace.NewTracerProvider(), noopmetric.NewMeterProvider(), nooplog.NewLoggerProvider()
		s.disabled = true
		s.prop = s.propagator()
		s.serviceNm = s.serviceNameOnly()
		return s.buildSlog()
	}

	// Validate everything first, so that nothing starts when Start fails.
	traces := s.env.planExporters("TRACES", "otlp", "console")
	metrics := s.env.planExporters("METRICS", "otlp", "console", "prometheus")
	logs := s.env.planExporters("LOGS", "otlp", "console")
	s.env.checkPrometheus(metrics)
	for _, plans := range [][]exporterPlan{traces, metrics, logs} {
		for i := range plans {
			plans[i].stopping = &s.stopping
			plans[i].inflight = new(inflight)
			s.inflights = append(s.inflights, plans[i].inflight)
		}
	}
	s.otlpLogs = len(logs) > 0
	s.plans = [3][]exporterPlan{traces, metrics, logs}
	tpOpts := s.tracerOptions()
	readerOpts := s.readerOptions()
	lpOpts := s.loggerOptions()
	bspOpts := s.bspOptions()
	blrpOpts := s.blrpOptions()
	s.prop = s.propagator()
	s.env.enum("OTEL_METRICS_EXEMPLAR_FILTER", "trace_based", "always_on", "always_off", "trace_based")
	s.env.enum("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "cumulative", "cumulative", "delta", "lowmemory")
	s.env.enum("OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "explicit_bucket_histogram",
		"explicit_bucket_histogram", "base2_exponential_bucket_histogram")
	format, correlate := s.logFormat()
	s.checkInstrumentations()
	runtimeOn := s.runtimeOn()
	if err := s.env.err(); err != nil {
		return err
	}

	s.res = s.newResource(ctx)
	s.serviceNm = serviceName(s.res)

	// What can fail: the live view's listener, the exporters (which do not
	// dial), the Prometheus listener. Each is stopped if a later one fails.
	view, err := s.liveView()
	if err != nil {
		return err
	}
	metricExps := make([]sdkmetric.Exporter, len(metrics)) // nil for prometheus
	for i, p := range metrics {
		if p.name == "prometheus" {
			continue
		}
		exp, err := newMetricExporter(ctx, p)
		if err != nil {
			return fmt.Errorf("otelboot: %s metric exporter: %w", p.name, err)
		}
		s.pending = append(s.pending, exp.Shutdown)
		metricExps[i] = exp
	}
	var spanExps []sdktrace.SpanExporter
	for _, p := range traces {
		exp, err := newSpanExporter(ctx, p)
		if err != nil {
			return fmt.Errorf("otelboot: %s span exporter: %w", p.name, err)
		}
		s.pending = append(s.pending, exp.Shutdown)
		spanExps = append(spanExps, exp)
	}
	var logExps []sdklog.Exporter
	for _, p := range logs {
		exp, err := newLogExporter(ctx, p)
		if err != nil {
			return fmt.Errorf("otelboot: %s log exporter: %w", p.name, err)
		}
		s.pending = append(s.pending, exp.Shutdown)
		logExps = append(logExps, exp)
	}
	var durations *spanmetrics.Producer
	if s.cfg.spanMetrics {
		durations = durationProducer(metricExps, s.cfg.metricReaders)
	}
	readers := make([]sdkmetric.Reader, len(metrics)) // nil but for prometheus
	for i, p := range metrics {
		if p.name != "prometheus" {
			continue
		}
		pr, err := newPromReader(durations)
		if err != nil {
			return err
		}
		s.pending = append(s.pending, pr.Shutdown)
		s.promURL = "http://" + pr.addr + "/metrics"
		s.diag.logger.Debug("otelboot: prometheus exporter", "url", s.promURL)
		readers[i] = pr
	}

	// The providers: from here on nothing fails but span metrics (which
	// only fails on an SDK bug), and each provider owns what it was given.
	mpOpts := []sdkmetric.Option{sdkmetric.WithResource(s.res)}
	for i := range metrics {
		r := readers[i]
		if r == nil {
			opts := readerOpts
			if durations != nil {
				opts = append(slices.Clip(opts), sdkmetric.WithProducer(durations))
			}
			if runtimeOn {
				opts = append(slices.Clip(opts), sdkmetric.WithProducer(runtime.NewProducer()))
			}
			r = sdkmetric.NewPeriodicReader(metricExps[i], opts...)
		}
		mpOpts = append(mpOpts, sdkmetric.WithReader(r))
	}
	for _, r := range s.cfg.metricReaders {
		mpOpts = append(mpOpts, sdkmetric.WithReader(r))
	}
	tpOpts = append(tpOpts, sdktrace.WithResource(s.res))
	lpOpts = append(lpOpts, sdklog.WithResource(s.res))
	mp := sdkmetric.NewMeterProvider(mpOpts...)
	s.mp = mp
	// The provider owns the metric readers and exporters now; the span
	// and log exporters are not owned yet.
	s.pending = nil
	for _, exp := range spanExps {
		s.pending = append(s.pending, exp.Shutdown)
	}
	for _, exp := range logExps {
		s.pending = append(s.pending, exp.Shutdown)
	}
	s.flushers = append(s.flushers, flusher{"metrics", mp.ForceFlush, mp.Shutdown})
	if runtimeOn {
		if err := startRuntime(mp); err != nil {
			return err
		}
	}
	if s.cfg.spanMetrics {
		var smOpts []spanmetrics.Option
		if durations != nil {
			smOpts = append(smOpts, spanmetrics.WithProducer(durations))
		}
		p, err := spanmetrics.New(mp, smOpts...)
		if err != nil {
			return fmt.Errorf("otelboot: span metrics: %w", err)
		}
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
	}
	for _, exp := range spanExps {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(exp, bspOpts...)))
	}
	if view != nil {
		tpOpts = append(tpOpts, viewSpanProcessor(view)...)
	}
	for _, p := range s.cfg.spanProcessors {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
	}
	for _, exp := range logExps {
		lpOpts = append(lpOpts, sdklog.WithProcessor(sdklog.NewBatchProcessor(exp, blrpOpts...)))
	}
	if view != nil {
		lpOpts = append(lpOpts, viewLogProcessor(view)...)
	}
	for _, p := range s.cfg.logProcessors {
		lpOpts = append(lpOpts, sdklog.WithProcessor(p))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	lp := sdklog.NewLoggerProvider(lpOpts...)
	s.tp, s.lp, s.pending = tp, lp, nil
	s.flushers = append(s.flushers, flusher{"traces", tp.ForceFlush, tp.Shutdown}, flusher{"logs", lp.ForceFlush, lp.Shutdown})
	return s.buildSlogWith(format, correlate)
}

// undo stops what a failed build started: the components not yet owned by
// a provider, then the providers and servers, within a second (nothing was
// recorded, so there is nothing to deliver).
func (s *starter) undo(ctx context.Context) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	for _, f := range s.pending {
		_ = f(sctx)
	}
	s.pending = nil
	for i := range s.flushers {
		s.flushers[i].flush = nil // nothing to deliver
	}
	_ = s.shutdown(sctx)
}

// durationProducer returns the Producer that records the span metrics'
// duration histogram outside the SDK (a fraction of the cost of the SDK's
// histogram on every span end), or nil when one of the readers would not
// get the same data from it: a reader of WithMetricReader (built already,
// so the Producer cannot be attached to it) or an exporter that wants
// histograms with delta temporality or another aggregation (a Producer's
// data bypasses the reader's selectors). Then the SDK's histogram is used
// for every reader. exps holds nil for the Prometheus exporter, which is
// cumulative with explicit buckets.
func durationProducer(exps []sdkmetric.Exporter, readers []sdkmetric.Reader) *spanmetrics.Producer {
	if len(readers) > 0 {
		return nil
	}
	for _, exp := range exps {
		if exp != nil && !spanmetrics.ExporterCompatible(exp) {
			return nil
		}
	}
	return spanmetrics.NewProducer()
}

// liveView returns the view whose processors to register: the one of
// WithLiveView, or one Start serves on OTELKIT_VIEW_ADDR.
func (s *starter) liveView() (*liveview.View, error) {
	if s.cfg.view != nil {
		return s.cfg.view, nil
	}
	addr, ok := get("OTELKIT_VIEW_ADDR")
	if !ok {
		return nil, nil
	}
	token, _ := get("OTELKIT_VIEW_TOKEN")
	v := liveview.New(liveview.Config{Token: token, LogFindings: s.env.boolean("OTELKIT_VIEW_LOG_FINDINGS")})
	got, err := v.Start(addr)
	if err != nil {
		return nil, fmt.Errorf("otelboot: OTELKIT_VIEW_ADDR=%q: %w", addr, err)
	}
	if !strings.Contains(got, "://") {
		// An address rather than the URL.
		if got == "" {
			got = addr
		}
		got = "http://" + got + "/"
	}
	s.ownView, s.viewAddr = v, got
	s.flushers = append(s.flushers, flusher{"live view", nil, v.Shutdown})
	return v, nil
}

// viewSpanProcessor returns the option registering v's span processor, if
// it has one.
func viewSpanProcessor(v *liveview.View) []sdktrace.TracerProviderOption {
	return withSpanProcessor(v.SpanProcessor())
}

func withSpanProcessor(p sdktrace.SpanProcessor) []sdktrace.TracerProviderOption {
	if p == nil {
		return nil
	}
	return []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(p)}
}

// viewLogProcessor returns the option registering v's log processor, if it
// has one.
func viewLogProcessor(v *liveview.View) []sdklog.LoggerProviderOption {
	return withLogProcessor(v.LogProcessor())
}

func withLogProcessor(p sdklog.Processor) []sdklog.LoggerProviderOption {
	if p == nil {
		return nil
	}
	return []sdklog.LoggerProviderOption{sdklog.WithProcessor(p)}
}

// shutdown flushes and stops every component in parallel, so that one
// unreachable exporter does not eat the others' share of the deadline, and
// joins what could not be flushed or stopped.
func (s *starter) shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	for _, f := range s.inflights {
		f.stop()
	}
	errs := make([]error, len(s.flushers))
	var wg sync.WaitGroup
	for i, f := range s.flushers {
		wg.Go(func() {
			var ferr, serr error
			if f.flush != nil {
				if ferr = f.flush(ctx); ferr != nil {
					ferr = fmt.Errorf("otelboot: flushing %s: %w", f.what, ferr)
				}
			}
			if serr = f.shutdown(ctx); serr != nil {
				serr = fmt.Errorf("otelboot: stopping %s: %w", f.what, serr)
			}
			errs[i] = errors.Join(ferr, serr)
		})
	}
	wg.Wait()
	s.flushers = nil
	return errors.Join(errs...)
}

// logLevel reads OTEL_LOG_LEVEL before the diagnostics logger exists; an
// unknown value is warned about once the logger is ready.
func logLevel(e *env) slog.Level {
	v, ok := get("OTEL_LOG_LEVEL")
	if !ok {
		return slog.LevelInfo
	}
	switch strings.ToLower(v) {
	case "debug", "trace", "all":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	case "none", "off":
		return levelNone
	}
	e.pendingLevel = v
	return slog.LevelInfo
}

// propagator reads OTEL_PROPAGATORS through autoprop; unknown names are
// warned about and left out.
func (s *starter) propagator() propagation.TextMapPropagator {
	v, ok := get("OTEL_PROPAGATORS")
	if !ok {
		return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	p, err := autoprop.TextMapPropagator(list(v)...)
	if err != nil {
		s.env.warn("OTEL_PROPAGATORS", v, err.Error()+"; the known ones are used", "tracecontext,baggage")
		if p == nil {
			return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
		}
	}
	return p
}

func serviceName(r *resource.Resource) string {
	if v, ok := r.Set().Value(semconv.ServiceNameKey); ok {
		return v.AsString()
	}
	return ""
}

// serviceNameOnly resolves service.name without detecting a resource (for
// OTEL_SDK_DISABLED).
func (s *starter) serviceNameOnly() string {
	if v, ok := get("OTEL_SERVICE_NAME"); ok {
		return v
	}
	return s.cfg.serviceName
}

// setDefaultSlog makes h slog's default and returns a function that puts
// back the previous default logger and the log package's output and flags
// (slog.SetDefault redirects the log package).
func setDefaultSlog(h slog.Handler) (restore func()) {
	prev := slog.Default()
	w, flags := log.Writer(), log.Flags()
	slog.SetDefault(slog.New(h))
	return func() {
		slog.SetDefault(prev)
		log.SetOutput(w)
		log.SetFlags(flags)
	}
}
