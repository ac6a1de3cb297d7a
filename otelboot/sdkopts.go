package otelboot

import (
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
		ratio = s.env.ratio()
	}
	// The sampler is passed explicitly (the SDK would read the same
	// variables) so that the Summary can describe it.
	s.sampler = newSampler(name, ratio)

	// The limits are passed explicitly too, as validated and bounded: the
	// SDK would take any integer. The specific variable wins over the
	// general one when both are set.
	pick := func(keys ...string) int {
		val, found := 0, false
		for _, k := range keys {
			n, set := s.env.bounded(k)
			if set && !found {
				val, found = n, true
			}
		}
		if !found {
			val = int(bounds[keys[0]].def)
		}
		return val
	}
	limits := sdktrace.SpanLimits{
		AttributeValueLengthLimit:   pick("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
		AttributeCountLimit:         pick("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"),
		EventCountLimit:             pick("OTEL_SPAN_EVENT_COUNT_LIMIT"),
		LinkCountLimit:              pick("OTEL_SPAN_LINK_COUNT_LIMIT"),
		AttributePerEventCountLimit: pick("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"),
		AttributePerLinkCountLimit:  pick("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"),
	}
	s.spanLimits = limits
	return []sdktrace.TracerProviderOption{sdktrace.WithSampler(s.sampler), sdktrace.WithRawSpanLimits(limits)}
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

// ms is a number of milliseconds as a duration.
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// bspOptions validates and bounds OTEL_BSP_* and passes all four
// explicitly: the SDK would take any integer (a negative queue size
// panics, a huge one runs out of memory, a huge delay overflows to a
// negative one and spins).
func (s *starter) bspOptions() []sdktrace.BatchSpanProcessorOption {
	delay, _ := s.env.bounded("OTEL_BSP_SCHEDULE_DELAY")
	timeout, _ := s.env.bounded("OTEL_BSP_EXPORT_TIMEOUT")
	queue, _ := s.env.bounded("OTEL_BSP_MAX_QUEUE_SIZE")
	batch, _ := s.env.bounded("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")
	s.batch[0] = batchSettings{ms(delay), ms(timeout), queue, min(batch, queue)}
	return []sdktrace.BatchSpanProcessorOption{
		sdktrace.WithBatchTimeout(ms(delay)),
		sdktrace.WithExportTimeout(ms(timeout)),
		sdktrace.WithMaxQueueSize(queue),
		sdktrace.WithMaxExportBatchSize(min(batch, queue)),
	}
}

// batchSettings is what a batch processor was given (for the tests).
type batchSettings struct {
	delay, timeout time.Duration
	queue, batch   int
}

// blrpOptions validates and bounds OTEL_BLRP_* and passes all four
// explicitly, so that the SDK does not read them.
func (s *starter) blrpOptions() []sdklog.BatchProcessorOption {
	delay, _ := s.env.bounded("OTEL_BLRP_SCHEDULE_DELAY")
	timeout, _ := s.env.bounded("OTEL_BLRP_EXPORT_TIMEOUT")
	queue, _ := s.env.bounded("OTEL_BLRP_MAX_QUEUE_SIZE")
	batch, _ := s.env.bounded("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE")
	s.batch[1] = batchSettings{ms(delay), ms(timeout), queue, min(batch, queue)}
	return []sdklog.BatchProcessorOption{
		sdklog.WithExportInterval(ms(delay)),
		sdklog.WithExportTimeout(ms(timeout)),
		sdklog.WithMaxQueueSize(queue),
		sdklog.WithExportMaxBatchSize(min(batch, queue)),
	}
}

// readerOptions validates and bounds OTEL_METRIC_EXPORT_* and passes both
// explicitly.
func (s *starter) readerOptions() []sdkmetric.PeriodicReaderOption {
	interval, _ := s.env.bounded("OTEL_METRIC_EXPORT_INTERVAL")
	timeout, _ := s.env.bounded("OTEL_METRIC_EXPORT_TIMEOUT")
	s.batch[2] = batchSettings{delay: ms(interval), timeout: ms(timeout)}
	return []sdkmetric.PeriodicReaderOption{
		sdkmetric.WithInterval(ms(interval)),
		sdkmetric.WithTimeout(ms(timeout)),
	}
}

// loggerOptions validates and bounds the log record limits and passes them
// explicitly, applying OTEL_ATTRIBUTE_COUNT_LIMIT and
// OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT to log records as the specification
// says (the SDK reads only the OTEL_LOGRECORD_* ones).
func (s *starter) loggerOptions() []sdklog.LoggerProviderOption {
	pick := func(specific, general string) int {
		n, set := s.env.bounded(specific)
		g, gset := s.env.bounded(general)
		if !set && gset {
			return g
		}
		return n
	}
	count := pick("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT")
	length := pick("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")
	s.logLimits = [2]int{count, length}
	return []sdklog.LoggerProviderOption{sdklog.WithAttributeCountLimit(count), sdklog.WithAttributeValueLengthLimit(length)}
}
