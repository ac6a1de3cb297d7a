package liveview

import "time"

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxTraces = 1000
	DefaultMaxBytes  = 32 << 20
	DefaultMaxLogs   = 2000
)

// Config sets the bounds of a View. Zero values take defaults.
type Config struct {
	// MaxTraces caps the number of traces kept (default DefaultMaxTraces).
	MaxTraces int
	// MaxBytes caps the approximate memory used by kept traces and logs
	// (default DefaultMaxBytes): three quarters go to traces, one quarter to
	// log records. Aggregates (rates, heatmap, per-name table) use a fixed
	// few hundred kilobytes on top, and up to pendingCap ended spans wait
	// to be aggregated.
	MaxBytes int
	// MaxLogs caps the number of log records kept (default DefaultMaxLogs).
	MaxLogs int
	// SlowThreshold marks a trace as slow, to keep it longer, when one of
	// its spans lasts at least this long. Zero means adaptive: a span is
	// slow when it falls above the 95th-percentile duration bucket of the
	// spans of the same name.
	SlowThreshold time.Duration
	// Token, when set, is required by the handler (Authorization: Bearer
	// or ?token=). It is required when serving on a non-loopback address.
	Token string
	// LogFindings, when true, makes a served view (Start) compute its
	// findings every few seconds and emit each new one once, as a WARN
	// record through the OpenTelemetry global logger provider, so that
	// they reach the log backends too. Off by default.
	LogFindings bool
}

func (c Config) withDefaults() Config {
	if c.MaxTraces <= 0 {
		c.MaxTraces = DefaultMaxTraces
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxLogs <= 0 {
		c.MaxLogs = DefaultMaxLogs
	}
	return c
}
