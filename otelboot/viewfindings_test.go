package otelboot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// TestViewLogFindingsFromEnv: OTELKIT_VIEW_LOG_FINDINGS=true makes the
// view Start serves log a new finding at WARN through the logger provider
// Start builds, which the view itself keeps: the record shows in its
// /api/logs.
func TestViewLogFindingsFromEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the view's findings tick")
	}
	cleanEnv(t, "OTELKIT_VIEW_ADDR", "127.0.0.1:0", "OTELKIT_VIEW_LOG_FINDINGS", "true",
		"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	shutdown, diag := start(t)
	defer shut(t, shutdown)
	d := diag.String()
	url := d[strings.Index(d, "url=")+4:]
	url = strings.TrimSpace(url[:strings.IndexAny(url, " \n")])

	tr := otel.Tracer("t")
	for i := 0; i < 4; i++ {
		ctx, root := tr.Start(context.Background(), "GET /external/data", trace.WithSpanKind(trace.SpanKindServer))
		_, c := tr.Start(ctx, "HTTP GET", trace.WithSpanKind(trace.SpanKindClient))
		c.SetAttributes(attribute.String("error.type", "500"))
		c.SetStatus(codes.Error, "500")
		c.End()
		root.SetStatus(codes.Error, "upstream failed")
		root.End()
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var logs struct {
			Logs []struct {
				SeverityText string `json:"severity_text"`
				Body         string `json:"body"`
			} `json:"logs"`
		}
		resp, err := client.Get(url + "api/logs")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&logs)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range logs.Logs {
			if strings.Contains(l.Body, "live view finding: HTTP GET fails with 500") && l.SeverityText == "WARN" {
				n++
			}
		}
		if n == 1 {
			return
		}
		if n > 1 || time.Now().After(deadline) {
			t.Fatalf("%d WARN records of the failing call, want 1: %+v", n, logs.Logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
