package otelboot

import (
	"errors"
	"io"
	"log/slog"
	"testing"
)

func TestErrorKindKeepsURLs(t *testing.T) {
	tests := []struct{ err, want string }{
		{`traces export: Post "http://localhost:4318/v1/traces": dial tcp: connection refused`, "traces export"},
		{`Post "https://localhost:4318/v1/traces": dial tcp 127.0.0.1:4318: connect: connection refused`, `Post "https://localhost:4318/v1/traces"`},
		{"no colon here", "no colon here"},
	}
	for _, tt := range tests {
		if got := errorKindOf(errors.New(tt.err)); got != tt.want {
			t.Errorf("errorKindOf(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestDefaultEndpointIsPlainHTTP(t *testing.T) {
	cleanEnv(t)
	e := newEnv(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, sig := range []string{"TRACES", "METRICS", "LOGS"} {
		plans := e.planExporters(sig, "otlp", "console", "none")
		if len(plans) != 1 || plans[0].name != "otlp" || !plans[0].insecure {
			t.Errorf("%s: plans = %+v, want one insecure otlp plan (the spec's default is http://localhost:4318)", sig, plans)
		}
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318")
	if p := e.planExporters("TRACES", "otlp", "console", "none"); p[0].insecure {
		t.Errorf("https endpoint planned insecure: %+v", p)
	}
}
