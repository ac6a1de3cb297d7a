package httpx

import "github.com/otelkit/otelkit/internal/instrumentation"

// serverOff reports whether the environment switches the server side off
// (OTEL_GO_DISABLED_INSTRUMENTATIONS=nethttp and the like; see
// internal/instrumentation): NewHandler and NewServeMux then pass requests
// straight to the handler.
func serverOff() bool { return !instrumentation.Enabled(instrumentation.HTTPServer) }

// clientOff is serverOff for the client side (NewTransport, Client).
func clientOff() bool { return !instrumentation.Enabled(instrumentation.HTTPClient) }
