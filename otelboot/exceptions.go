package otelboot

import "github.com/otelkit/otelkit/internal/exception"

// checkExceptionSignal warns once about an OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN
// that is neither logs nor logs/dup: the wrappers then record exceptions as
// span events only, the default.
func (s *starter) checkExceptionSignal() {
	if v, ok := exception.Check(); !ok {
		s.env.warn(exception.EnvSignalOptIn, v, `not "logs" or "logs/dup"`, exception.Default)
	}
}
