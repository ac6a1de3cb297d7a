package otelboot

import (
	"log/slog"
	"os"

	"github.com/otelkit/otelkit/logcorr"
)

// firstSet returns the first of keys that is set, with its value.
func firstSet(keys ...string) (key, value string, ok bool) {
	for _, k := range keys {
		if v, ok := get(k); ok {
			return k, v, true
		}
	}
	return "", "", false
}

// logFormat reads the text format (OTELKIT_LOG_FORMAT, or Python's
// OTEL_PYTHON_LOG_FORMAT) and whether correlation is on
// (OTELKIT_LOG_CORRELATION or OTEL_PYTHON_LOG_CORRELATION). An invalid
// format is an error naming the variable.
func (s *starter) logFormat() (*logcorr.Format, bool) {
	if !s.cfg.setDefaultSlog {
		return nil, false
	}
	correlate := false
	if key, _, ok := firstSet("OTELKIT_LOG_CORRELATION", "OTEL_PYTHON_LOG_CORRELATION"); ok {
		correlate = s.env.boolean(key)
	}
	key, v, ok := firstSet("OTELKIT_LOG_FORMAT", "OTEL_PYTHON_LOG_FORMAT")
	if !ok {
		v = logcorr.DefaultFormat
	}
	f, err := logcorr.ParseFormat(v)
	if err != nil {
		if ok {
			s.env.fail(key, v, err.Error())
		} else {
			s.env.errs = append(s.env.errs, err)
		}
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
		text = logcorr.NewTextHandler(os.Stderr, &logcorr.TextOptions{Format: s.format, ServiceName: s.serviceNm})
	} else {
		text = slog.NewTextHandler(os.Stderr, nil)
	}
	hs := []slog.Handler{text}
	if s.otlpLogs || len(s.cfg.logProcessors) > 0 || (s.ownView != nil || s.cfg.view != nil) && s.lp != nil {
		hs = append(hs, logcorr.NewOTLPHandler(s.serviceNm))
	}
	return logcorr.Fanout(hs...)
}
