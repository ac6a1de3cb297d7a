package httpx

import (
	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/internal/semconv"
)

// optIn returns the HTTP mode an OTEL_SEMCONV_STABILITY_OPT_IN value selects.
func optIn(v string) otelkit.SemconvMode {
	o, _ := semconv.Parse(v)
	return o.HTTP
}
