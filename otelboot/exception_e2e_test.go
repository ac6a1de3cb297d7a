package otelboot_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
	"github.com/otelkit/otelkit/otelboot"
)

// TestExceptionsAsLogsEndToEnd: with OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN
// set, a handler's panic (the handler built before Start) reaches a real
// OTLP receiver as a log record whose trace and span ids are the exported
// server span's, and the span has no exception event in logs mode, one in
// logs/dup.
func TestExceptionsAsLogsEndToEnd(t *testing.T) {
	tp, mp, lp, prop := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetLoggerProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() {
		otel.SetTracerProvider(tp)
		otel.SetMeterProvider(mp)
		otel.SetLoggerProvider(lp)
		otel.SetTextMapPropagator(prop)
	})
	for _, mode := range []string{"logs", "logs/dup"} {
		t.Run(mode, func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			for k, v := range map[string]string{
				"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "otlp",
				"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": r.URL,
				"OTEL_TRACES_SAMPLER": "always_on", "OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN": mode,
				"OTEL_CONFIG_FILE": "", "OTEL_SDK_DISABLED": "",
			} {
				t.Setenv(k, v)
			}
			mux := httpx.NewServeMux(httpx.WithPanicResponse(true))
			mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("card declined") })
			diag := &testutil.SyncBuffer{}
			shutdown, err := otelboot.Start(context.Background(), otelboot.WithServiceName("exc"),
				otelboot.WithLogger(slog.New(slog.NewTextHandler(diag, nil))), otelboot.WithDefaultLogger(false))
			if err != nil {
				t.Fatal(err)
			}
			mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
			if err := shutdown(context.Background()); err != nil {
				t.Fatalf("shutdown: %v\n%s", err, diag)
			}
			spans := r.Spans()
			if len(spans) != 1 || spans[0].Name != "GET /boom" {
				t.Fatalf("spans %v", spans)
			}
			events := 0
			for _, e := range spans[0].Events {
				if e.Name == "exception" {
					events++
				}
			}
			if want := map[string]int{"logs": 0, "logs/dup": 1}[mode]; events != want {
				t.Errorf("%d exception events, want %d", events, want)
			}
			recs := r.LogRecords()
			if len(recs) != 1 {
				t.Fatalf("%d log records, want 1: %v", len(recs), recs)
			}
			rec := recs[0]
			if !bytes.Equal(rec.TraceId, spans[0].TraceId) || !bytes.Equal(rec.SpanId, spans[0].SpanId) {
				t.Errorf("log trace/span %x/%x, span's %x/%x", rec.TraceId, rec.SpanId, spans[0].TraceId, spans[0].SpanId)
			}
			if rec.EventName != "http.server.request.exception" || rec.SeverityNumber != 17 || rec.SeverityText != "ERROR" {
				t.Errorf("event %q severity %v %q", rec.EventName, rec.SeverityNumber, rec.SeverityText)
			}
			typ, _ := otlptest.Attr(rec.Attributes, "exception.type")
			msg, _ := otlptest.Attr(rec.Attributes, "exception.message")
			stack, _ := otlptest.Attr(rec.Attributes, "exception.stacktrace")
			if typ != "string" || msg != "card declined" || stack == "" {
				t.Errorf("attributes type %q message %q stacktrace %d bytes", typ, msg, len(stack))
			}
		})
	}
}
