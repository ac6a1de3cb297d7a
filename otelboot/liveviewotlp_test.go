package otelboot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otelkit/otelkit/otelboot/liveview"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// sendSpan exports one span of service svc to an OTLP/HTTP endpoint
// ("http://host:port"), as another process would.
func sendSpan(t *testing.T, endpoint, svc, name string) {
	t.Helper()
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(endpoint+"/v1/traces"), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", svc))))
	_, sp := tp.Tracer("other").Start(context.Background(), name)
	sp.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatalf("export to the live view's receiver: %v", err)
	}
}

func fieldOf(log, key string) string {
	i := strings.Index(log, key+"=")
	if i < 0 {
		return ""
	}
	v := log[i+len(key)+1:]
	return strings.TrimSpace(v[:strings.IndexAny(v, " \n")])
}

// TestLiveViewOTLPFromEnv: OTELKIT_VIEW_OTLP_ADDR starts the live view's
// receiver, announced once; another process's spans appear in the view
// under their service; shutdown stops the receiver with the view.
func TestLiveViewOTLPFromEnv(t *testing.T) {
	cleanEnv(t, "OTELKIT_VIEW_ADDR", "127.0.0.1:0", "OTELKIT_VIEW_OTLP_ADDR", "127.0.0.1:0",
		"OTEL_SERVICE_NAME", "self",
		"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	shutdown, diag := start(t)
	d := diag.String()
	if n := countLines(d, "live view OTLP receiver", "endpoint=http://127.0.0.1:"); n != 1 {
		t.Fatalf("%d lines announcing the receiver, want 1:\n%s", n, d)
	}
	endpoint, page := fieldOf(d, "endpoint"), fieldOf(d, "url")
	sendSpan(t, endpoint, "elsewhere", "remote-op")

	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(page + "api/traces?service=elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var tr struct {
		Traces []struct{ Name, Service string }
	}
	if err := json.Unmarshal(body, &tr); err != nil || len(tr.Traces) != 1 || tr.Traces[0].Name != "remote-op" {
		t.Fatalf("traces of service elsewhere: %s (%v)", body, err)
	}
	shut(t, shutdown)
	if resp, err := http.Post(endpoint+"/v1/traces", "application/x-protobuf", nil); err == nil {
		resp.Body.Close()
		t.Errorf("receiver still serving after shutdown")
	}
}

// TestLiveViewOTLPBadValue: an address that cannot be used, or no view to
// feed, is one warning naming the variable; Start goes on.
func TestLiveViewOTLPBadValue(t *testing.T) {
	for _, c := range []struct{ name, view, addr, problem string }{
		{"not an address", "127.0.0.1:0", "nonsense", "missing port"},
		{"port out of range", "127.0.0.1:0", "127.0.0.1:99999", "invalid port"},
		{"non-loopback without token", "127.0.0.1:0", "0.0.0.0:0", "token"},
		{"no live view", "", "127.0.0.1:0", "no live view"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cleanEnv(t, "OTELKIT_VIEW_ADDR", c.view, "OTELKIT_VIEW_OTLP_ADDR", c.addr,
				"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			shutdown, diag := start(t)
			d := diag.String()
			if n := countLines(d, "level=WARN", "OTELKIT_VIEW_OTLP_ADDR", c.problem); n != 1 {
				t.Errorf("%d warnings, want 1:\n%s", n, d)
			}
			if strings.Contains(d, "live view OTLP receiver") {
				t.Errorf("receiver announced:\n%s", d)
			}
			shut(t, shutdown)
		})
	}
}

// TestWithLiveViewOTLP: the option starts a receiver for the caller's view;
// shutdown stops the receiver and leaves the caller's page alone.
func TestWithLiveViewOTLP(t *testing.T) {
	cleanEnv(t, "OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none",
		"OTELKIT_VIEW_OTLP_ADDR", "nonsense") // the option takes its place
	v := liveview.New(liveview.Config{})
	page, err := v.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Shutdown(context.Background()) }()
	shutdown, diag := start(t, WithLiveView(v), WithLiveViewOTLP("127.0.0.1:0"))
	d := diag.String()
	endpoint := fieldOf(d, "endpoint")
	if endpoint == "" || strings.Contains(d, "level=WARN") {
		t.Fatalf("no receiver, or a warning:\n%s", d)
	}
	sendSpan(t, endpoint, "elsewhere", "remote-op")
	shut(t, shutdown)
	if resp, err := http.Post(endpoint+"/v1/traces", "application/x-protobuf", nil); err == nil {
		resp.Body.Close()
		t.Errorf("receiver still serving after shutdown")
	}
	resp, err := http.Get(page + "api/services")
	if err != nil {
		t.Fatalf("caller's page stopped by shutdown: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"name":"elsewhere"`) {
		t.Errorf("services: %s", body)
	}
}
