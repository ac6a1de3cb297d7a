package otelboot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"

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
	s.checkInstrumentations()
	s.checkExceptionSignal()
	if err := s.env.err(); err != nil {
		return err
	}
	if err := checkConfigFile(file); err != nil {
		return fmt.Errorf("otelboot: OTEL_CONFIG_FILE=%q: %w", file, err)
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
	if s.runtimeOn() {
		if err := startRuntime(s.mp); err != nil {
			return err
		}
	}
	_, s.otlpLogs = s.lp.(*sdklog.LoggerProvider)
	s.serviceNm = s.serviceNameOnly()
	return s.buildSlogWith(format, correlate)
}

// fileFormats matches the file_format versions the loader (otelconf's 1.0
// schema) reads.
var fileFormats = regexp.MustCompile(`^1\.0(-rc\.[0-9]+)?$`)

// checkConfigFile reads the configuration file as otelconf will (a regular
// file of at most maxFileSize bytes, ${VAR} substituted) and checks what
// otelconf would accept although it cannot work: an unknown file_format
// version and numbers outside the bounds of the equivalent variables.
// otelconf reads the file again itself, so a value outside its bound cannot
// be replaced by the bound: it is an error naming the key and the value.
func checkConfigFile(file string) error {
	b, err := readBounded(file)
	if err != nil {
		return err
	}
	cfg, err := otelconf.ParseYAML(b)
	if err != nil {
		return err
	}
	if !fileFormats.MatchString(cfg.FileFormat) {
		return fmt.Errorf("unknown file_format version %q (this loader reads 1.0)", cfg.FileFormat)
	}
	// Walk the parsed configuration generically, by key.
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	var tree any
	if err := yaml.Unmarshal(out, &tree); err != nil {
		return err
	}
	var problems []string
	checkFileNode(nil, tree, &problems)
	checkFileProviders(cfg, &problems)
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// fileBound returns the bound of the numeric key at path (the keys from
// the root), or false for a key without one.
func fileBound(path []string) (bound, bool) {
	under := func(sub string) bool {
		return slices.ContainsFunc(path[:len(path)-1], func(k string) bool { return strings.Contains(k, sub) })
	}
	key := path[len(path)-1]
	var name string
	switch key {
	case "schedule_delay", "export_timeout", "max_queue_size", "max_export_batch_size":
		name = "OTEL_BSP_" + strings.ToUpper(key)
		if under("logger_provider") {
			name = "OTEL_BLRP_" + strings.ToUpper(key)
		}
	case "interval":
		name = "OTEL_METRIC_EXPORT_INTERVAL"
	case "timeout":
		switch {
		case under("otlp"):
			name = "OTEL_EXPORTER_OTLP_TIMEOUT"
		case under("periodic"):
			name = "OTEL_METRIC_EXPORT_TIMEOUT"
		}
	case "attribute_count_limit":
		name = "OTEL_ATTRIBUTE_COUNT_LIMIT"
	case "attribute_value_length_limit":
		name = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"
	case "event_count_limit", "link_count_limit", "event_attribute_count_limit", "link_attribute_count_limit":
		name = "OTEL_SPAN_" + strings.ToUpper(key)
		if strings.HasSuffix(key, "attribute_count_limit") {
			name = "OTEL_" + strings.ToUpper(key)
		}
	case "ratio":
		return bound{min: 0, lo: 0, hi: 1, def: 1}, true
	case "port":
		return bound{min: 0, lo: 0, hi: 65535}, true
	}
	b, ok := bounds[name]
	return b, ok
}

// checkFileNode records in problems every number outside its bound and
// every endpoint with a bad port under v.
func checkFileNode(path []string, v any, problems *[]string) {
	where := func() string {
		var b strings.Builder
		for _, k := range path {
			if strings.HasPrefix(k, "[") {
				b.WriteString(k)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		}
		return b.String()
	}
	switch v := v.(type) {
	case map[string]any:
		if len(path) > 0 && path[len(path)-1] == "tls" {
			checkFileTLS(where(), v, func(format string, args ...any) {
				*problems = append(*problems, fmt.Sprintf(format, args...))
			})
		}
		keys := slices.Sorted(maps.Keys(v))
		for _, k := range keys {
			checkFileNode(append(slices.Clip(path), k), v[k], problems)
		}
	case []any:
		for i, e := range v {
			checkFileNode(append(slices.Clip(path), fmt.Sprintf("[%d]", i)), e, problems)
		}
	case int, float64:
		if len(path) == 0 {
			return
		}
		n, _ := v.(float64)
		if i, ok := v.(int); ok {
			n = float64(i)
		}
		b, ok := fileBound(path)
		if !ok {
			return
		}
		problem := b.check(n)
		if path[len(path)-1] == "ratio" && problem == "not an integer" && !math.IsNaN(n) && !math.IsInf(n, 0) {
			problem = "" // a ratio is a fraction: b.check has checked its range
		}
		if problem != "" {
			*problems = append(*problems, fmt.Sprintf("%s: %v %s", where(), v, problem))
		}
	case string:
		if len(path) > 0 && path[len(path)-1] == "endpoint" {
			if u, err := url.Parse(v); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				if p := badPort(u.Port()); p != "" {
					*problems = append(*problems, fmt.Sprintf("%s: %s", where(), p))
				}
			}
		}
	}
}
