package otelboot

import (
	"errors"
	"log/slog"
	"os"
	"strconv"

	"github.com/otelkit/otelkit/internal/instrumentation"
	"github.com/otelkit/otelkit/internal/logenv"
	"github.com/otelkit/otelkit/logcorr"
)

// logFormat reads, through internal/logenv (the one place that knows
// these variables), the text format (OTELKIT_LOG_FORMAT, or Python's
// OTEL_PYTHON_LOG_FORMAT: an invalid one is an error naming the variable),
// whether correlation is on (OTELKIT_LOG_CORRELATION or
// OTEL_PYTHON_LOG_CORRELATION: a value other than true/false is one warning
// and off) and the console level (OTELKIT_LOG_LEVEL or OTEL_PYTHON_LOG_LEVEL:
// an invalid one is one warning and info).
func (s *starter) logFormat() (*logcorr.Format, bool) {
	if !s.cfg.setDefaultSlog {
		return nil, false
	}
	correlate := s.cfg.logCorrelation
	if key, v, set := firstSet(logenv.LogCorrelation, logenv.PythonLogCorrelation); set {
		c, err := logenv.Correlation()
		if err != nil {
			s.env.warn(key, v, "want true or false", strconv.FormatBool(correlate))
		} else {
			correlate = c
		}
	}
	level, err := logenv.Level()
	if err != nil {
		key, v, _ := firstSet(logenv.LogLevel, logenv.PythonLogLevel)
		s.env.warn(key, v, "not a log level (debug, info, warning, error, critical)", "info")
	}
	s.level = level
	f, err := logenv.Format()
	if err != nil {
		key, v, _ := firstSet(logenv.LogFormat, logenv.PythonLogFormat)
		problem := err.Error()
		var fe *logcorr.FormatError
		if errors.As(err, &fe) {
			problem = fe.Error()
		}
		s.env.fail(key, v, problem)
		return nil, false
	}
	return f, correlate
}

// buildSlog reads the log variables and prepares the default handler.
func (s *starter) buildSlog() error {
	f, correlate := s.logFormat()
	if err := s.env.err(); err != nil {
		return err
	}
	return s.buildSlogWith(f, correlate)
}

// buildSlogWith records what the default handler will be.
func (s *starter) buildSlogWith(f *logcorr.Format, correlate bool) error {
	// slog switched off by the instrumentation lists: slog's plain text
	// handler only, neither trace ids nor OTLP records.
	s.slogOff = !instrumentation.Enabled(instrumentation.Slog)
	if s.slogOff {
		correlate = false
	}
	s.format, s.correlate = f, correlate
	return nil
}

// slogHandler returns the handler Start makes slog's default: the text
// handler on standard error (the correlated format when correlation is on,
// slog's plain text otherwise) fanned out with the OTLP handler when log
// records go anywhere (a log exporter other than none, the live view, a
// WithLogProcessor). It is built after the global logger provider is set,
// which the OTLP handler takes at construction.
func (s *starter) slogHandler() slog.Handler {
	var text slog.Handler
	if s.correlate && s.format != nil {
		text = logcorr.NewTextHandler(os.Stderr, &logcorr.TextOptions{Format: s.format, ServiceName: s.serviceNm, Level: s.level})
	} else {
		text = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: s.level})
	}
	hs := []slog.Handler{text}
	if !s.slogOff && (s.otlpLogs || len(s.cfg.logProcessors) > 0 || (s.ownView != nil || s.cfg.view != nil) && s.lp != nil) {
		hs = append(hs, logcorr.NewOTLPHandler(s.serviceNm))
	}
	if len(hs) == 1 {
		return text
	}
	return slog.NewMultiHandler(hs...)
}
