package redisx

import "github.com/otelkit/otelkit/internal/exception"

// redisException records the exceptions of redisx's spans, as span events
// or log records per OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN.
var redisException = exception.Recorder{Kind: exception.DBClient, Scope: ScopeName}

// errorTypeName names the type of err as span.RecordError of the SDK does.
func errorTypeName(err error) string { return exception.TypeName(err) }
