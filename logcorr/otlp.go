package logcorr

import (
	"log/slog"

	"go.opentelemetry.io/contrib/bridges/otelslog"
)

// NewOTLPHandler returns a handler that sends each record to the global
// LoggerProvider (set by otelboot, or with otel.SetLoggerProvider) through
// the otelslog bridge, so that it leaves the process as an OpenTelemetry log
// record: the message as body, the level as severity (slog.LevelInfo → INFO,
// [LevelCritical] → FATAL), the attributes as attributes, and the trace and
// span ids and flags of the span in the record's context. name is the
// instrumentation scope (the logger name); the service name comes from the
// provider's resource.
//
// As Python's OpenTelemetry logging handler does, the records carry the
// caller's code.file.path, code.function.name and code.line.number; pass
// otelslog.WithSource(false) to leave them out. opts are applied after that
// default, so otelslog.WithLoggerProvider and the others work as documented
// there. The provider is read once, here.
func NewOTLPHandler(name string, opts ...otelslog.Option) slog.Handler {
	all := make([]otelslog.Option, 0, len(opts)+1)
	all = append(all, otelslog.WithSource(true))
	all = append(all, opts...)
	return otelslog.NewHandler(name, all...)
}
