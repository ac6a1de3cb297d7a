package otelboot

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
)

// TestLogExportErrorNamesSignal: a failed OTLP log export is reported as
// "logs export: ...", not as a bare `Post "URL"`.
func TestLogExportErrorNamesSignal(t *testing.T) {
	recv := otlptest.NewHTTPReceiver(t, otlptest.WithStatus(400))
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	t.Setenv("OTEL_LOGS_EXPORTER", "otlp")
	var diag testutil.SyncBuffer
	shutdown, err := Start(context.Background(), WithServiceName("logexport"),
		WithLogger(slog.New(slog.NewTextHandler(&diag, nil))))
	if err != nil {
		t.Fatal(err)
	}
	slog.Info("a record that cannot be exported")
	err = shutdown(context.Background())
	text := diag.String()
	if err != nil {
		text += "\n" + err.Error()
	}
	if !strings.Contains(text, "logs export: ") {
		t.Errorf("the failed log export does not say logs:\n%s", text)
	}
}
