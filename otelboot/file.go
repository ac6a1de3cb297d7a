package otelboot

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/contrib/otelconf"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/internal/spanmetrics"
)

// buildFromFile configures the SDK from the declarative configuration file
// named by OTEL_CONFIG_FILE through contrib's otelconf, which substitutes
// ${VAR} and ${VAR:-default} in it. As the specification says, the other
// OTEL_* variables are then ignored; otelboot's options, the live view and
// the OTELKIT_* log variables still apply.
func (s *starter) buildFromFile(ctx context.Context, file string) error {
	format, correlate := s.logFormat()
	if err := s.env.err(); err != nil {
		return err
	}
	view, err := s.liveView()
	if err != nil {
		return err
	}
	var tpOpts []sdktrace.TracerProviderOption
	var mpOpts []sdkmetric.Option
	var lpOpts []sdklog.LoggerProviderOption
	if view != nil {
		tpOpts = append(tpOpts, viewSpanProcessor(view)...)
		lpOpts = append(lpOpts, viewLogProcessor(view)...)
	}
	for _, p := range s.cfg.spanProcessors {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
	}
	for _, r := range s.cfg.metricReaders {
		mpOpts = append(mpOpts, sdkmetric.WithReader(r))
	}
	for _, p := range s.cfg.logProcessors {
		lpOpts = append(lpOpts, sdklog.WithProcessor(p))
	}
	sdk, err := otelconf.NewSDK(
		otelconf.WithContext(ctx),
		otelconf.WithTracerProviderOptions(tpOpts...),
		otelconf.WithMeterProviderOptions(mpOpts...),
		otelconf.WithLoggerProviderOptions(lpOpts...),
	)
	if err != nil {
		return fmt.Errorf("otelboot: OTEL_CONFIG_FILE=%q: %w", file, err)
	}
	s.tp, s.mp, s.lp, s.prop = sdk.TracerProvider(), sdk.MeterProvider(), sdk.LoggerProvider(), sdk.Propagator()
	if s.prop == nil {
		s.prop = s.propagator()
	}
	s.flushers = append(s.flushers, flusher{"the providers of " + file, func(ctx context.Context) error {
		var errs []error
		for _, p := range []any{s.tp, s.mp, s.lp} {
			if f, ok := p.(interface{ ForceFlush(context.Context) error }); ok {
				errs = append(errs, f.ForceFlush(ctx))
			}
		}
		return errors.Join(errs...)
	}, sdk.Shutdown})
	if tp, ok := s.tp.(*sdktrace.TracerProvider); ok && s.cfg.spanMetrics {
		p, err := spanmetrics.New(s.mp)
		if err != nil {
			return fmt.Errorf("otelboot: span metrics: %w", err)
		}
		tp.RegisterSpanProcessor(p)
	}
	_, s.otlpLogs = s.lp.(*sdklog.LoggerProvider)
	s.serviceNm = s.serviceNameOnly()
	return s.buildSlogWith(format, correlate)
}
