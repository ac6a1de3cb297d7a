package app

import (
	"fmt"
	"net/url"
	"strings"
)

// TelemetryDescription says in one line where the OTEL_* variables send
// traces, metrics and logs, so that a user without a collector knows where
// the data goes. Endpoint credentials are redacted.
func TelemetryDescription(getenv func(string) string) string {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return "disabled (OTEL_SDK_DISABLED=true)"
	}
	var parts []string
	for _, sig := range []string{"traces", "metrics", "logs"} {
		exp := getenv("OTEL_" + strings.ToUpper(sig) + "_EXPORTER")
		if exp == "" {
			exp = "otlp"
		}
		if exp != "otlp" {
			parts = append(parts, sig+"="+exp)
			continue
		}
		proto := firstNonEmpty(getenv("OTEL_EXPORTER_OTLP_"+strings.ToUpper(sig)+"_PROTOCOL"),
			getenv("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf")
		endpoint := getenv("OTEL_EXPORTER_OTLP_" + strings.ToUpper(sig) + "_ENDPOINT")
		if endpoint == "" {
			endpoint = getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
		}
		if endpoint == "" {
			endpoint = "http://localhost:4318 (default)"
			if proto == "grpc" {
				endpoint = "http://localhost:4317 (default)"
			}
		} else if u, err := url.Parse(endpoint); err == nil {
			endpoint = u.Redacted()
		} else {
			endpoint = "(unparsable endpoint)"
		}
		parts = append(parts, fmt.Sprintf("%s=otlp %s %s", sig, proto, endpoint))
	}
	return strings.Join(parts, ", ") + " (a collector that is not running only costs dropped batches)"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
