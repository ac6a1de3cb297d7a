package logcorr

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Environment variables read by [FormatFromEnv], [CorrelationFromEnv] and
// [LevelFromEnv]. The Go names come first; the Python names are read too, so
// that the original service's environment file works unchanged.
const (
	EnvLogFormat            = "OTELKIT_LOG_FORMAT"
	EnvPythonLogFormat      = "OTEL_PYTHON_LOG_FORMAT"
	EnvLogCorrelation       = "OTELKIT_LOG_CORRELATION"
	EnvPythonLogCorrelation = "OTEL_PYTHON_LOG_CORRELATION"
	EnvLogLevel             = "OTELKIT_LOG_LEVEL"
	EnvPythonLogLevel       = "OTEL_PYTHON_LOG_LEVEL"
)

// lookup returns the first non-empty of the variables.
func lookup(names ...string) (name, value string, ok bool) {
	for _, n := range names {
		if v, set := os.LookupEnv(n); set && strings.TrimSpace(v) != "" {
			return n, v, true
		}
	}
	return "", "", false
}

// FormatFromEnv parses OTELKIT_LOG_FORMAT, or else OTEL_PYTHON_LOG_FORMAT;
// with neither set it returns the parsed [DefaultFormat]. The error names the
// variable and wraps the *[FormatError].
func FormatFromEnv() (*Format, error) {
	name, v, ok := lookup(EnvLogFormat, EnvPythonLogFormat)
	if !ok {
		return defaultFormat(), nil
	}
	f, err := ParseFormat(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// CorrelationFromEnv reports whether OTELKIT_LOG_CORRELATION, or else
// OTEL_PYTHON_LOG_CORRELATION, is "true" (in any case), as Python's logging
// instrumentation decides; unset means false. Values other than true and
// false are an error naming the variable.
func CorrelationFromEnv() (bool, error) {
	name, v, ok := lookup(EnvLogCorrelation, EnvPythonLogCorrelation)
	if !ok {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("logcorr: %s=%q: want true or false", name, v)
}

// LevelFromEnv returns the level named by OTELKIT_LOG_LEVEL, or else
// OTEL_PYTHON_LOG_LEVEL: Python's names (debug, info, warning, error,
// critical, any case) or slog's (DEBUG, WARN, ERROR+2, ...). Unset means
// slog.LevelInfo; anything else is an error naming the variable.
func LevelFromEnv() (slog.Level, error) {
	name, v, ok := lookup(EnvLogLevel, EnvPythonLogLevel)
	if !ok {
		return slog.LevelInfo, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "warning":
		return slog.LevelWarn, nil
	case "critical", "fatal":
		return LevelCritical, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(v))); err != nil {
		return slog.LevelInfo, fmt.Errorf("logcorr: %s: %w", name, err)
	}
	return l, nil
}
