package httpx

import (
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/otelkit/otelkit/internal/exception"
)

// The recorders of the exceptions httpx records (a handler's panic, a
// request that failed), as span events or log records per
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, under the scope of otelhttp, whose
// tracer makes httpx's spans.
var (
	serverException = exception.Recorder{Kind: exception.HTTPServer, Scope: otelhttp.ScopeName, Version: otelhttp.Version}
	clientException = exception.Recorder{Kind: exception.HTTPClient, Scope: otelhttp.ScopeName, Version: otelhttp.Version}
)
