package liveview

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// senderEnv makes the test binary, run again, act as the sending process.
const senderEnv = "OTELKIT_LIVEVIEW_TEST_SENDER"

// TestOTLPSenderProcess is the second process of TestOTLPFromAnotherProcess:
// plain SDK providers with the OTLP exporters, configured by the standard
// variables, send one trace (a server span with a failing client child)
// and one log record per request, then shut down.
func TestOTLPSenderProcess(t *testing.T) {
	if os.Getenv(senderEnv) == "" {
		t.Skip("run by TestOTLPFromAnotherProcess")
	}
	ctx := context.Background()
	var (
		sexp sdktrace.SpanExporter
		lexp sdklog.Exporter
		err  error
	)
	if os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL") == "grpc" {
		sexp, err = otlptracegrpc.New(ctx)
		if err == nil {
			lexp, err = otlploggrpc.New(ctx)
		}
	} else {
		sexp, err = otlptracehttp.New(ctx)
		if err == nil {
			lexp, err = otlploghttp.New(ctx)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", os.Getenv("OTEL_SERVICE_NAME")))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(sexp), sdktrace.WithResource(res))
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(lexp)), sdklog.WithResource(res))
	tr, lg := tp.Tracer("sender"), lp.Logger("sender")
	for i := range 3 {
		cctx, srv := tr.Start(ctx, "GET /checkout", trace.WithSpanKind(trace.SpanKindServer))
		_, cl := tr.Start(cctx, "HTTP GET", trace.WithSpanKind(trace.SpanKindClient))
		cl.SetAttributes(attribute.Int("request", i))
		cl.SetStatus(codes.Error, "upstream 503")
		cl.End()
		var rec otellog.Record
		rec.SetBody(attribute.StringValue("checkout failed"))
		rec.SetSeverity(otellog.SeverityWarn)
		lg.Emit(cctx, rec)
		srv.End()
	}
	if err := errors.Join(tp.Shutdown(ctx), lp.Shutdown(ctx)); err != nil {
		t.Fatal(err)
	}
}

// TestOTLPFromAnotherProcess: a second process exporting with the plain
// SDK over OTLP/HTTP, another over OTLP/gRPC, and this process's own spans
// land in one view; the service filter of /api/traces, /api/spans,
// /api/logs and /api/rates tells them apart.
func TestOTLPFromAnotherProcess(t *testing.T) {
	if os.Getenv(senderEnv) != "" {
		t.Skip("sender process")
	}
	v := New(Config{})
	url, err := v.StartOTLP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Shutdown(context.Background()) })
	serve(t, v, 5, 100, time.Now()) // this process: service "hyunwoo"

	for _, c := range []struct{ proto, service string }{
		{"http/protobuf", "py-shop"},
		{"grpc", "go-shop"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOTLPSenderProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), senderEnv+"=1",
			"OTEL_EXPORTER_OTLP_ENDPOINT="+url, "OTEL_EXPORTER_OTLP_PROTOCOL="+c.proto,
			"OTEL_EXPORTER_OTLP_INSECURE=true", "OTEL_SERVICE_NAME="+c.service)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sender over %s: %v\n%s", c.proto, err, out)
		}
	}

	h := v.Handler()
	var svcs servicesResponse
	getJSON(t, h, "/api/services", &svcs)
	got := map[string]uint64{}
	for _, s := range svcs.Services {
		got[s.Name] = s.Spans
	}
	want := map[string]uint64{"hyunwoo": 15, "py-shop": 6, "go-shop": 6}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("/api/services = %v, want %v", got, want)
	}

	for _, svc := range []string{"py-shop", "go-shop"} {
		var tr tracesResponse
		getJSON(t, h, "/api/traces?service="+svc, &tr)
		if tr.Matched != 3 {
			t.Fatalf("%s: %d traces, want 3: %+v", svc, tr.Matched, tr.Traces)
		}
		for _, s := range tr.Traces {
			if s.Name != "GET /checkout" || s.Spans != 2 || s.Status != "error" || s.Service != svc {
				t.Errorf("%s: trace %+v", svc, s)
			}
		}
		var detail traceDetail
		getJSON(t, h, "/api/traces/"+tr.Traces[0].TraceID, &detail)
		if len(detail.Spans) != 2 || detail.Spans[1].ParentID != detail.Spans[0].SpanID ||
			detail.Spans[1].Kind != "client" || detail.Spans[1].StatusMessage != "upstream 503" ||
			len(detail.Logs) != 1 || detail.Logs[0].Body != "checkout failed" || detail.Logs[0].Service != svc {
			t.Errorf("%s: waterfall %+v", svc, detail)
		}

		var sp spansResponse
		getJSON(t, h, "/api/spans?service="+svc, &sp)
		names := map[string]uint64{}
		for _, s := range sp.Spans {
			names[s.Name] = s.Count
		}
		if fmt.Sprint(names) != "map[GET /checkout:3 HTTP GET:3]" || sp.TotalSpans != 6 || sp.TotalErrors != 3 {
			t.Errorf("%s: /api/spans = %v, totals %d/%d", svc, names, sp.TotalSpans, sp.TotalErrors)
		}

		var lr logsResponse
		getJSON(t, h, "/api/logs?service="+svc, &lr)
		if len(lr.Logs) != 3 {
			t.Errorf("%s: %d logs, want 3", svc, len(lr.Logs))
		}

		var rr ratesResponse
		getJSON(t, h, "/api/rates?service="+svc, &rr)
		if rr.WindowSpans != 6 || rr.WindowErrors != 3 {
			t.Errorf("%s: /api/rates window %d spans %d errors", svc, rr.WindowSpans, rr.WindowErrors)
		}
	}

	// This process's own spans, before and after the others arrived.
	var own spansResponse
	getJSON(t, h, "/api/spans?service=hyunwoo", &own)
	if own.TotalSpans != 15 || len(own.Spans) != 3 {
		t.Errorf("own service: %+v", own)
	}
	var all spansResponse
	getJSON(t, h, "/api/spans", &all)
	if all.TotalSpans != 27 {
		t.Errorf("all services: %d spans, want 27", all.TotalSpans)
	}
	var none tracesResponse
	getJSON(t, h, "/api/traces?service=nobody", &none)
	if none.Matched != 0 {
		t.Errorf("unknown service matched %d traces", none.Matched)
	}
}
