package otelboot

import (
	"strconv"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The SDK reads the sampler, the span limits and OTEL_BSP_* itself; otelboot
// validates them first, warns naming the variable, and passes an explicit
// default where the SDK would otherwise use a bad value (a negative queue
// size panics, a zero delay spins).

var samplers = []string{
	"always_on", "always_off", "traceidratio",
	"parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio",
}

func (s *starter) tracerOptions() []sdktrace.TracerProviderOption {
	name := s.env.enum("OTEL_TRACES_SAMPLER", "parentbased_always_on", samplers...)
	ratio := 1.0
	if name == "traceidratio" || name == "parentbased_traceidratio" {
		if v, ok := get("OTEL_TRACES_SAMPLER_ARG"); ok {
			f, err := strconv.ParseFloat(v, 64)
			switch {
			case err != nil:
				s.env.warn("OTEL_TRACES_SAMPLER_ARG", v, "not a number", "1.0")
			case f < 0 || f > 1:
				s.env.warn("OTEL_TRACES_SAMPLER_ARG", v, "not within [0, 1]", "1.0")
			default:
				ratio = f
			}
		}
	}
	// The sampler is passed explicitly (the SDK would read the same
	// variables) so that the Summary can describe it.
	s.sampler = newSampler(name, ratio)
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(s.sampler)}

	type limit struct {
		keys []string
		def  int
		set  func(*sdktrace.SpanLimits, int)
	}
	limits := []limit{
		{[]string{"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"}, sdktrace.DefaultAttributeValueLengthLimit,
			func(l *sdktrace.SpanLimits, n int) { l.AttributeValueLengthLimit = n }},
		{[]string{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"}, sdktrace.DefaultAttributeCountLimit,
			func(l *sdktrace.SpanLimits, n int) { l.AttributeCountLimit = n }},
		{[]string{"OTEL_SPAN_EVENT_COUNT_LIMIT"}, sdktrace.DefaultEventCountLimit,
			func(l *sdktrace.SpanLimits, n int) { l.EventCountLimit = n }},
		{[]string{"OTEL_SPAN_LINK_COUNT_LIMIT"}, sdktrace.DefaultLinkCountLimit,
			func(l *sdktrace.SpanLimits, n int) { l.LinkCountLimit = n }},
		{[]string{"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"}, sdktrace.DefaultAttributePerEventCountLimit,
			func(l *sdktrace.SpanLimits, n int) { l.AttributePerEventCountLimit = n }},
		{[]string{"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"}, sdktrace.DefaultAttributePerLinkCountLimit,
			func(l *sdktrace.SpanLimits, n int) { l.AttributePerLinkCountLimit = n }},
	}
	fixed := sdktrace.NewSpanLimits() // the SDK's own reading of the variables
	invalid := false
	for _, l := range limits {
		val, found := l.def, false
		for _, k := range l.keys {
			if _, set := get(k); !set {
				continue
			}
			n, ok := s.env.integer(k, 0, strconv.Itoa(l.def))
			if !ok {
				invalid = true
				continue
			}
			if !found {
				val, found = n, true
			}
		}
		l.set(&fixed, val)
	}
	if invalid {
		opts = append(opts, sdktrace.WithRawSpanLimits(fixed))
	}
	return opts
}

// newSampler is the sampler an OTEL_TRACES_SAMPLER value names (one of
// samplers), with ratio for the ratio-based ones.
func newSampler(name string, ratio float64) sdktrace.Sampler {
	switch name {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	}
	return sdktrace.ParentBased(sdktrace.AlwaysSample())
}

// bspOptions validates OTEL_BSP_*. When one is invalid it passes all four
// explicitly (the valid ones as set, the others at their default), since
// the SDK derives the batch size from the queue size before applying
// options.
func (s *starter) bspOptions() []sdktrace.BatchSpanProcessorOption {
	vars := []struct {
		key    string
		lo, df int
	}{
		{"OTEL_BSP_SCHEDULE_DELAY", 1, sdktrace.DefaultScheduleDelay},
		{"OTEL_BSP_EXPORT_TIMEOUT", 0, sdktrace.DefaultExportTimeout},
		{"OTEL_BSP_MAX_QUEUE_SIZE", 1, sdktrace.DefaultMaxQueueSize},
		{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1, sdktrace.DefaultMaxExportBatchSize},
	}
	vals := make([]int, len(vars))
	invalid := false
	for i, v := range vars {
		vals[i] = v.df
		if _, set := get(v.key); !set {
			continue
		}
		if n, ok := s.env.integer(v.key, v.lo, strconv.Itoa(v.df)); ok {
			vals[i] = n
		} else {
			invalid = true
		}
	}
	if !invalid {
		return nil
	}
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	return []sdktrace.BatchSpanProcessorOption{
		sdktrace.WithBatchTimeout(ms(vals[0])),
		sdktrace.WithExportTimeout(ms(vals[1])),
		sdktrace.WithMaxQueueSize(vals[2]),
		sdktrace.WithMaxExportBatchSize(min(vals[3], vals[2])),
	}
}

// blrpOptions validates OTEL_BLRP_*; the SDK itself falls back to the
// default for a value that is not a positive integer.
func (s *starter) blrpOptions() []sdklog.BatchProcessorOption {
	s.badInt("OTEL_BLRP_SCHEDULE_DELAY", 1, 1000)
	s.badInt("OTEL_BLRP_EXPORT_TIMEOUT", 1, 30000)
	s.badInt("OTEL_BLRP_MAX_QUEUE_SIZE", 1, 2048)
	s.badInt("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", 1, 512)
	return nil
}

// readerOptions validates OTEL_METRIC_EXPORT_*; the SDK itself falls back
// to the default for a value that is not a positive integer.
func (s *starter) readerOptions() []sdkmetric.PeriodicReaderOption {
	s.badInt("OTEL_METRIC_EXPORT_INTERVAL", 1, 60000)
	s.badInt("OTEL_METRIC_EXPORT_TIMEOUT", 1, 30000)
	return nil
}

// loggerOptions validates the log record limits, and applies
// OTEL_ATTRIBUTE_COUNT_LIMIT and OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT to log
// records as the specification says (the SDK reads only the
// OTEL_LOGRECORD_* ones).
func (s *starter) loggerOptions() []sdklog.LoggerProviderOption {
	var opts []sdklog.LoggerProviderOption
	pick := func(specific, general string, def int, with func(int) sdklog.LoggerProviderOption) {
		_, sset := get(specific)
		_, ok := s.env.integer(specific, 0, strconv.Itoa(def))
		switch {
		case ok:
			return // the SDK reads it
		case sset:
			opts = append(opts, with(def))
			return
		}
		if n, ok := s.env.integer(general, 0, strconv.Itoa(def)); ok {
			opts = append(opts, with(n))
		}
	}
	pick("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT", 128, sdklog.WithAttributeCountLimit)
	pick("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", -1, sdklog.WithAttributeValueLengthLimit)
	return opts
}

// badInt reports whether key is set to something other than an integer of
// at least lo (and warns, naming def).
func (s *starter) badInt(key string, lo, def int) bool {
	if _, set := get(key); !set {
		return false
	}
	_, ok := s.env.integer(key, lo, strconv.Itoa(def))
	return !ok
}
