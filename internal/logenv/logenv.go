// Package logenv reads the log variables otelboot honours for slog's
// default handler: the text format, whether correlation is on and the
// console level. The Go names come first; the Python names are read too,
// so that the original service's environment file works unchanged.
package logenv

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/otelkit/otelkit/logcorr"
)

// The variables, Go name then Python name.
const (
	LogFormat            = "OTELKIT_LOG_FORMAT"
	PythonLogFormat      = "OTEL_PYTHON_LOG_FORMAT"
	LogCorrelation       = "OTELKIT_LOG_CORRELATION"
	PythonLogCorrelation = "OTEL_PYTHON_LOG_CORRELATION"
	LogLevel             = "OTELKIT_LOG_LEVEL"
	PythonLogLevel       = "OTEL_PYTHON_LOG_LEVEL"
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

// Format parses OTELKIT_LOG_FORMAT, or else OTEL_PYTHON_LOG_FORMAT; with
// neither set it returns the parsed logcorr.DefaultFormat. The error names
// the variable and wraps the *logcorr.FormatError.
func Format() (*logcorr.Format, error) {
	name, v, ok := lookup(LogFormat, PythonLogFormat)
	if !ok {
		return logcorr.ParseFormat(logcorr.DefaultFormat)
	}
	f, err := logcorr.ParseFormat(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// Correlation reports whether OTELKIT_LOG_CORRELATION, or else
// OTEL_PYTHON_LOG_CORRELATION, is "true" (in any case), as Python's logging
// instrumentation decides; unset means false. Values other than true and
// false are an error naming the variable.
func Correlation() (bool, error) {
	name, v, ok := lookup(LogCorrelation, PythonLogCorrelation)
	if !ok {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("logenv: %s=%q: want true or false", name, v)
}

// Level returns the level named by OTELKIT_LOG_LEVEL, or else
// OTEL_PYTHON_LOG_LEVEL: Python's names (debug, info, warning, error,
// critical, any case) or slog's (DEBUG, WARN, ERROR+2, ...). Unset means
// slog.LevelInfo; anything else is an error naming the variable.
func Level() (slog.Level, error) {
	name, v, ok := lookup(LogLevel, PythonLogLevel)
	if !ok {
		return slog.LevelInfo, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "warning":
		return slog.LevelWarn, nil
	case "critical", "fatal":
		return logcorr.LevelCritical, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(v))); err != nil {
		return slog.LevelInfo, fmt.Errorf("logenv: %s: %w", name, err)
	}
	return l, nil
}
