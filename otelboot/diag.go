package otelboot

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/otelkit/otelkit/internal/redact"
)

// levelNone is above every level slog uses: OTEL_LOG_LEVEL=none.
const levelNone = slog.Level(64)

// diag is otelboot's own diagnostics: its warnings, the SDK's internal log
// (through a logr sink) and the OpenTelemetry error handler.
type diag struct {
	logger *slog.Logger
	errs   *errorHandler
}

func newDiag(c *config, level slog.Level) *diag {
	var h slog.Handler
	if c.logger != nil {
		h = &levelHandler{inner: c.logger.Handler(), min: level}
	} else {
		h = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	}
	d := &diag{logger: slog.New(h)}
	d.errs = &errorHandler{d: d, every: c.errorInterval, now: time.Now, kinds: map[string]*errorKind{}, hook: c.onError}
	return d
}

// levelHandler filters the records of a caller-supplied handler by
// OTEL_LOG_LEVEL.
type levelHandler struct {
	inner slog.Handler
	min   slog.Level
}

func (h *levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.inner.Enabled(ctx, l)
}

func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.Handle(ctx, r)
}

func (h *levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &levelHandler{inner: h.inner.WithAttrs(as), min: h.min}
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	return &levelHandler{inner: h.inner.WithGroup(name), min: h.min}
}

// sdkLevel maps the verbosity of the OpenTelemetry internal logger
// (go.opentelemetry.io/otel/internal/global: Warn is V(1), Info V(4),
// Debug V(8)) to slog levels. The SDK's "info" messages are startup dumps,
// so they are written at debug level.
func (d *diag) sdkLevel(v int, isErr bool) slog.Level {
	var l slog.Level
	switch {
	case isErr:
		l = slog.LevelError
	case v <= 1:
		l = slog.LevelWarn
	default:
		l = slog.LevelDebug
	}
	return l
}

// logSink is the logr.LogSink given to otel.SetLogger.
type logSink struct {
	d     *diag
	name  string
	attrs []any
}

var _ logr.LogSink = (*logSink)(nil)

func (s *logSink) Init(logr.RuntimeInfo) {}

func (s *logSink) Enabled(level int) bool {
	return s.d.logger.Enabled(context.Background(), s.d.sdkLevel(level, false))
}

func (s *logSink) Info(level int, msg string, kv ...any) {
	s.log(s.d.sdkLevel(level, false), msg, kv)
}

func (s *logSink) Error(err error, msg string, kv ...any) {
	s.log(s.d.sdkLevel(0, true), msg, append(kv, "error", err))
}

func (s *logSink) log(l slog.Level, msg string, kv []any) {
	ctx := context.Background()
	if !s.d.logger.Enabled(ctx, l) {
		return
	}
	suppressed := 0
	if l >= slog.LevelWarn {
		// The SDK warns once per span about dropped attributes, and logs
		// export failures per export: rate-limit like the error handler.
		var ok bool
		if ok, suppressed = s.d.errs.allow("log: " + msg); !ok {
			return
		}
	}
	args := make([]any, 0, len(s.attrs)+len(kv)+4)
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	if s.name != "" {
		args = append(args, "logger", s.name)
	}
	args = append(args, s.attrs...)
	args = append(args, kv...)
	s.d.logger.Log(ctx, l, "opentelemetry: "+msg, args...)
}

func (s *logSink) WithValues(kv ...any) logr.LogSink {
	return &logSink{d: s.d, name: s.name, attrs: append(append([]any(nil), s.attrs...), kv...)}
}

func (s *logSink) WithName(name string) logr.LogSink {
	n := name
	if s.name != "" {
		n = s.name + "/" + name
	}
	return &logSink{d: s.d, name: n, attrs: s.attrs}
}

// maxErrorKinds bounds the memory of the error handler; errors of further
// kinds share one slot.
const maxErrorKinds = 32

// errorHandler is the OpenTelemetry error handler Start installs. It reports
// each kind of error (the text before its first colon, such as "traces
// export") at most once per interval and counts the rest, so a collector
// that is down yields one line per interval instead of one per export.
type errorHandler struct {
	d     *diag
	every time.Duration
	now   func() time.Time
	hook  func(error)

	mu    sync.Mutex
	kinds map[string]*errorKind
}

type errorKind struct {
	last       time.Time
	suppressed int
}

// Handle implements otel.ErrorHandler.
func (h *errorHandler) Handle(err error) {
	if err == nil {
		return
	}
	if h.hook != nil {
		h.hook(err)
	}
	kind := errorKindOf(err)
	ok, suppressed := h.allow(kind)
	if !ok {
		return
	}
	args := []any{"error", redact.Text(err.Error())}
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	h.d.logger.Error("opentelemetry: "+kind, args...)
}

// allow reports whether a message of kind may be written now and how many
// of that kind were suppressed since the last one written.
func (h *errorHandler) allow(kind string) (ok bool, suppressed int) {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	k, found := h.kinds[kind]
	if !found {
		if len(h.kinds) >= maxErrorKinds {
			kind = "other"
			k = h.kinds[kind]
		}
		if k == nil {
			k = &errorKind{}
			h.kinds[kind] = k
		}
	}
	if !k.last.IsZero() && h.every > 0 && now.Sub(k.last) < h.every {
		k.suppressed++
		return false, 0
	}
	suppressed = k.suppressed
	k.last, k.suppressed = now, 0
	return true, suppressed
}

func errorKindOf(err error) string {
	s := redact.Text(err.Error())
	// ": " rather than ':' so that a URL inside the message
	// (Post "http://host:4318/v1/traces": dial tcp ...) stays whole.
	if i := strings.Index(s, ": "); i > 0 && i <= 64 {
		return s[:i]
	}
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
