package otelboot

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/otelboot/liveview"
)

// TestDefaultLogger: slog's default writes the correlated format on stderr
// and sends the record as OTLP, both carrying the span's ids.
func TestDefaultLogger(t *testing.T) {
	r := otlptest.NewHTTPReceiver(t)
	cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_SERVICE_NAME", "hyunwoo",
		"OTEL_PYTHON_LOG_CORRELATION", "true",
		"OTEL_PYTHON_LOG_FORMAT", "%(levelname)s [trace_id=%(otelTraceID)s span_id=%(otelSpanID)s service=%(otelServiceName)s] - %(message)s")
	stderr := captureStderr(t)
	shutdown, _ := start(t, WithDefaultLogger(true))
	ctx, span := otel.Tracer("t").Start(context.Background(), "op")
	slog.InfoContext(ctx, "hello from slog")
	span.End()
	shut(t, shutdown)
	out := stderr()
	sc := span.SpanContext()
	want := "INFO [trace_id=" + sc.TraceID().String() + " span_id=" + sc.SpanID().String() + " service=hyunwoo] - hello from slog"
	if !strings.Contains(out, want) {
		t.Errorf("stderr lacks %q:\n%s", want, out)
	}
	var found bool
	for _, lr := range r.LogRecords() {
		if lr.GetBody().GetStringValue() == "hello from slog" {
			found = true
			if tid := sc.TraceID(); string(lr.GetTraceId()) != string(tid[:]) {
				t.Errorf("OTLP record trace id = %x, want %s", lr.GetTraceId(), sc.TraceID())
			}
		}
	}
	if !found {
		t.Errorf("record not received over OTLP: %v", r.LogRecords())
	}
}

// TestDefaultLoggerLogsNone: OTEL_LOGS_EXPORTER=none means no OTLP handler;
// correlation off means slog's plain text handler.
func TestDefaultLoggerLogsNone(t *testing.T) {
	r := otlptest.NewHTTPReceiver(t)
	cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_LOGS_EXPORTER", "none")
	stderr := captureStderr(t)
	shutdown, _ := start(t, WithDefaultLogger(true))
	slog.Info("plain", "k", "v")
	shut(t, shutdown)
	if out := stderr(); !strings.Contains(out, "level=INFO msg=plain k=v") {
		t.Errorf("stderr lacks slog's text format:\n%s", out)
	}
	if n := len(r.LogRecords()); n != 0 {
		t.Errorf("%d records sent with OTEL_LOGS_EXPORTER=none", n)
	}
}

// TestLiveViewFromEnv: OTELKIT_VIEW_ADDR starts a view, logs its address
// once (never the token) and shutdown stops it.
func TestLiveViewFromEnv(t *testing.T) {
	cleanEnv(t, "OTELKIT_VIEW_ADDR", "127.0.0.1:0", "OTELKIT_VIEW_TOKEN", "s3cret-token",
		"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	shutdown, diag := start(t)
	d := diag.String()
	if n := countLines(d, "live view", "url=http://127.0.0.1:"); n != 1 {
		t.Fatalf("%d lines announcing the live view, want 1:\n%s", n, d)
	}
	if strings.Contains(d, "s3cret-token") {
		t.Errorf("token logged:\n%s", d)
	}
	url := d[strings.Index(d, "url=")+4:]
	url = strings.TrimSpace(url[:strings.IndexAny(url, " \n")])
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("live view not serving: %v", err)
	}
	resp.Body.Close()
	shut(t, shutdown)
	if resp, err := client.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("live view still serving after shutdown")
	}
}

// TestWithLiveView: the view's processors are registered and Start does
// not serve it.
func TestWithLiveView(t *testing.T) {
	cleanEnv(t, "OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none",
		"OTELKIT_VIEW_ADDR", "127.0.0.1:0")
	v := liveview.New(liveview.Config{})
	_, diag := start(t, WithLiveView(v))
	_, span := otel.Tracer("t").Start(context.Background(), "viewed-op")
	span.End()
	deadline := time.Now().Add(3 * time.Second)
	for {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/traces", nil)
		req.Host = "127.0.0.1" // without a token the view answers loopback names only
		v.Handler().ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "viewed-op") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("span not in the view: %d %s", rec.Code, rec.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(diag.String(), "live view") {
		t.Errorf("Start served a view despite WithLiveView:\n%s", diag)
	}
}

// TestLogCorrelationOption: WithLogCorrelation(true) turns the correlated
// layout on when neither variable is set; a variable set to false wins.
func TestLogCorrelationOption(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want bool
	}{
		{nil, true},
		{[]string{"OTEL_PYTHON_LOG_CORRELATION", "false"}, false},
	} {
		cleanEnv(t, append([]string{"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none"}, tc.env...)...)
		stderr := captureStderr(t)
		shutdown, _ := start(t, WithDefaultLogger(true), WithLogCorrelation(true))
		ctx, span := otel.Tracer("t").Start(context.Background(), "op")
		slog.InfoContext(ctx, "correlated?")
		span.End()
		shut(t, shutdown)
		out := stderr()
		got := strings.Contains(out, "trace_id="+span.SpanContext().TraceID().String())
		if got != tc.want {
			t.Errorf("env %v: correlated = %v, want %v; stderr:\n%s", tc.env, got, tc.want, out)
		}
	}
}
