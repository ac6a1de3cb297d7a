// Package logcorr makes log/slog records carry trace_id and span_id.
//
// CONTRACT (used by otelboot; the logcorr work fills in the implementation):
//
//	f, err := logcorr.ParseFormat(pythonStyleFormat) // error names an unknown placeholder
//	h := logcorr.NewTextHandler(os.Stderr, &logcorr.TextOptions{Format: f, ServiceName: "hyunwoo"})
//	o := logcorr.NewOTLPHandler("hyunwoo")           // otelslog bridge to the global LoggerProvider
//	slog.SetDefault(slog.New(logcorr.Fanout(h, o)))
//	logcorr.NewHandler(inner)                         // adds trace_id/span_id to any handler
package logcorr

import (
	"io"
	"log/slog"
)

// DefaultFormat is the spec's layout, in Python logging's syntax.
const DefaultFormat = "%(asctime)s %(levelname)s [%(name)s] [%(filename)s:%(lineno)d] [trace_id=%(otelTraceID)s span_id=%(otelSpanID)s] - %(message)s"

// Format is a parsed Python-style log format.
type Format struct{ src string }

// ParseFormat parses a Python logging format string.
func ParseFormat(s string) (*Format, error) { return &Format{src: s}, nil }

// TextOptions configures NewTextHandler.
type TextOptions struct {
	Format      *Format
	ServiceName string
	Level       slog.Leveler
}

// NewTextHandler writes records in the given format.
func NewTextHandler(w io.Writer, opts *TextOptions) slog.Handler {
	return slog.NewTextHandler(w, nil)
}

// NewOTLPHandler sends records to the global LoggerProvider.
func NewOTLPHandler(name string) slog.Handler { return slog.DiscardHandler }

// Fanout sends each record to every handler.
func Fanout(hs ...slog.Handler) slog.Handler { return hs[0] }

// NewHandler adds trace_id, span_id and trace_flags to records of inner.
func NewHandler(inner slog.Handler) slog.Handler { return inner }
