package otelboot

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// bound is the documented valid range of one numeric variable (the README's
// configuration table lists them). The rule for every number:
//
//   - not an integer (or, for the sampler ratio, not a finite number), or
//     below min (outside the variable's domain, such as a negative queue
//     size): one warning naming the variable and the value, and def is
//     used;
//   - within the domain but outside [lo, hi]: one warning, and the nearest
//     of lo and hi is used. hi keeps every value from allocating more than
//     the documented bound, overflowing a time.Duration or taking the
//     process down; lo keeps a tiny interval from spinning.
type bound struct {
	min, lo, hi, def int64
	unit             string // "ms" or ""
}

// Upper bounds. maxQueue bounds the span processor's queue, a channel of
// 16-byte interfaces (1 MiB at the bound); maxLogQueue the log processor's,
// a ring of records allocated one by one at start (about 11 MB and a fifth
// of a second on a loaded machine at the bound; 65,536 took over a second).
const (
	maxQueue    = 1 << 16
	maxLogQueue = 1 << 14
	maxDelayMS  = 3_600_000  // one hour
	maxTimeout  = 600_000    // ten minutes
	maxInterval = 86_400_000 // one day
	maxCount    = 1 << 16    // attribute, event and link counts
	maxLength   = math.MaxInt32
)

// bounds holds the range of every numeric variable that otelboot reads.
var bounds = map[string]bound{
	"OTEL_BSP_SCHEDULE_DELAY":        {1, 1, maxDelayMS, 5000, "ms"},
	"OTEL_BSP_EXPORT_TIMEOUT":        {0, 0, maxTimeout, 30000, "ms"},
	"OTEL_BSP_MAX_QUEUE_SIZE":        {1, 1, maxQueue, 2048, ""},
	"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": {1, 1, maxQueue, 512, ""},

	"OTEL_BLRP_SCHEDULE_DELAY":        {1, 1, maxDelayMS, 1000, "ms"},
	"OTEL_BLRP_EXPORT_TIMEOUT":        {1, 1, maxTimeout, 30000, "ms"},
	"OTEL_BLRP_MAX_QUEUE_SIZE":        {1, 1, maxLogQueue, 2048, ""},
	"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": {1, 1, maxLogQueue, 512, ""},

	// A metric interval below 100 ms would post to the collector
	// hundreds of times a second.
	"OTEL_METRIC_EXPORT_INTERVAL": {1, 100, maxInterval, 60000, "ms"},
	"OTEL_METRIC_EXPORT_TIMEOUT":  {1, 1, maxTimeout, 30000, "ms"},

	"OTEL_EXPORTER_OTLP_TIMEOUT":         {1, 1, maxTimeout, 10000, "ms"},
	"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT":  {1, 1, maxTimeout, 10000, "ms"},
	"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": {1, 1, maxTimeout, 10000, "ms"},
	"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT":    {1, 1, maxTimeout, 10000, "ms"},

	// Limits: -1 (internally) is "no limit", the default of the length
	// limits.
	"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT":           {0, 0, maxLength, -1, ""},
	"OTEL_ATTRIBUTE_COUNT_LIMIT":                  {0, 0, maxCount, 128, ""},
	"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT":      {0, 0, maxLength, -1, ""},
	"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT":             {0, 0, maxCount, 128, ""},
	"OTEL_SPAN_EVENT_COUNT_LIMIT":                 {0, 0, maxCount, 128, ""},
	"OTEL_SPAN_LINK_COUNT_LIMIT":                  {0, 0, maxCount, 128, ""},
	"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT":            {0, 0, maxCount, 128, ""},
	"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT":             {0, 0, maxCount, 128, ""},
	"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT":        {0, 0, maxCount, 128, ""},
	"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT": {0, 0, maxLength, -1, ""},
}

// bounded reads key within its bound. set is false when key is unset; n is
// then the default. A value outside the bound has been warned about and n
// is the value to use instead.
func (e *env) bounded(key string) (n int, set bool) {
	b, ok := bounds[key]
	if !ok {
		panic("otelboot: no bound for " + key)
	}
	v, set := get(key)
	if !set {
		return int(b.def), false
	}
	n64, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil && isRange(err):
		// An integer too large (or small) for int64: outside the range.
		if len(v) > 0 && v[0] == '-' {
			e.warnUsing(key, v, "below the minimum "+b.show(b.min), b.show(b.def))
			return int(b.def), true
		}
		e.warnUsing(key, v, "above the maximum "+b.show(b.hi), b.show(b.hi))
		return int(b.hi), true
	case err != nil:
		e.warnUsing(key, v, "not an integer", b.show(b.def))
		return int(b.def), true
	case n64 < b.min:
		e.warnUsing(key, v, "below the minimum "+b.show(b.min), b.show(b.def))
		return int(b.def), true
	case n64 < b.lo:
		e.warnUsing(key, v, "below the minimum "+b.show(b.lo), b.show(b.lo))
		return int(b.lo), true
	case n64 > b.hi:
		e.warnUsing(key, v, "above the maximum "+b.show(b.hi), b.show(b.hi))
		return int(b.hi), true
	}
	return int(n64), true
}

func isRange(err error) bool { return errors.Is(err, strconv.ErrRange) }

// show writes n with the bound's unit; -1 is "no limit".
func (b bound) show(n int64) string {
	if n < 0 {
		return "no limit"
	}
	return strconv.FormatInt(n, 10) + b.unit
}

// check reports what is wrong with n under b ("" when it is within the
// range): for a number read from OTEL_CONFIG_FILE.
func (b bound) check(n float64) string {
	switch {
	case math.IsNaN(n) || math.IsInf(n, 0):
		return "not an integer"
	case n < float64(b.min):
		return fmt.Sprintf("below the minimum %s", b.show(b.min))
	case n < float64(b.lo):
		return fmt.Sprintf("below the minimum %s", b.show(b.lo))
	case n > float64(b.hi):
		return fmt.Sprintf("above the maximum %s", b.show(b.hi))
	case n != math.Trunc(n):
		return "not an integer"
	}
	return ""
}

// warnUsing logs, once per variable, that key=value is invalid and used is
// the value in effect.
func (e *env) warnUsing(key, value, problem, used string) {
	if e.seen[key] {
		return
	}
	e.seen[key] = true
	if len(value) > 64 {
		value = value[:64] + "..."
	}
	e.log.Warn("otelboot: invalid value, using "+used,
		"variable", key, "value", value, "problem", problem, "using", used)
	if e.used != nil {
		e.used[key] = used
	}
}

// ratio reads OTEL_TRACES_SAMPLER_ARG: a finite number within [0, 1];
// anything else (NaN and infinities included) is one warning and 1.0.
func (e *env) ratio() float64 {
	const key = "OTEL_TRACES_SAMPLER_ARG"
	v, ok := get(key)
	if !ok {
		return 1
	}
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil && !isRange(err):
		e.warnUsing(key, v, "not a number", "1.0")
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		e.warnUsing(key, v, "not a finite number", "1.0")
	case f < 0 || f > 1:
		e.warnUsing(key, v, "not within [0, 1]", "1.0")
	default:
		return f
	}
	return 1
}
