package utf8guard

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// marshalClient is the OTLP trace exporter's client without the network:
// it marshals each request as the real clients do, so an export through
// otlptrace.New(marshalClient) costs the transform to protobuf plus the
// marshalling, the CPU part of an OTLP export.
type marshalClient struct{ n int }

func (c *marshalClient) Start(context.Context) error { return nil }
func (c *marshalClient) Stop(context.Context) error  { return nil }
func (c *marshalClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	b, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: rs})
	c.n += len(b)
	return err
}

func otlpExporter(tb testing.TB) sdktrace.SpanExporter {
	exp, err := otlptrace.New(context.Background(), &marshalClient{})
	if err != nil {
		tb.Fatal(err)
	}
	return exp
}

// TestOTLPMarshalFails shows what the guard is for: the exporter fails the
// whole batch on one invalid string, and exports it behind the guard.
func TestOTLPMarshalFails(t *testing.T) {
	spans := sdkSpans(8, 3)
	if err := otlpExporter(t).ExportSpans(context.Background(), spans); err == nil {
		t.Fatal("the bare exporter marshalled invalid UTF-8")
	}
	if err := Spans(otlpExporter(t)).ExportSpans(context.Background(), spans); err != nil {
		t.Fatalf("behind the guard: %v", err)
	}
}

func TestValidFastPathAllocs(t *testing.T) {
	spans := sdkSpans(64, -1)
	g := Spans(&recordingSpanExporter{})
	if n := testing.AllocsPerRun(100, func() { _ = g.ExportSpans(context.Background(), spans) }); n != 0 {
		t.Errorf("spans: %v allocs per batch", n)
	}
	rm := &metricdata.ResourceMetrics{
		Resource: resource.NewWithAttributes("", attribute.String("service.name", "svc")),
		ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{
			{Name: "http.server.request.duration", Unit: "s", Data: metricdata.Histogram[float64]{DataPoints: []metricdata.HistogramDataPoint[float64]{
				{Attributes: attribute.NewSet(attribute.String("http.route", "/x"), attribute.Int("http.response.status_code", 200)),
					Exemplars: []metricdata.Exemplar[float64]{{FilteredAttributes: []attribute.KeyValue{attribute.String("k", "v")}}}},
			}}},
			{Name: "sum", Data: metricdata.Sum[int64]{DataPoints: []metricdata.DataPoint[int64]{{Attributes: attribute.NewSet(attribute.String("a", "b"))}}}},
		}}},
	}
	mg := Metrics(nopMetricExporter{})
	if n := testing.AllocsPerRun(100, func() { _ = mg.Export(context.Background(), rm) }); n != 0 {
		t.Errorf("metrics: %v allocs per export", n)
	}
	records := validRecords(64)
	lg := Logs(nopLogExporter{})
	if n := testing.AllocsPerRun(100, func() { _ = lg.Export(context.Background(), records) }); n != 0 {
		t.Errorf("logs: %v allocs per batch", n)
	}
}

type nopMetricExporter struct{ sdkmetric.Exporter }

func (nopMetricExporter) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }

type nopLogExporter struct{}

func (nopLogExporter) Export(context.Context, []sdklog.Record) error { return nil }
func (nopLogExporter) Shutdown(context.Context) error                { return nil }
func (nopLogExporter) ForceFlush(context.Context) error              { return nil }

func validRecords(n int) []sdklog.Record {
	rec := &recordingLogExporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(rec)),
		sdklog.WithResource(resource.NewWithAttributes("", attribute.String("service.name", "svc"))))
	l := lp.Logger("github.com/otelkit/otelkit/logcorr")
	for range n {
		var r log.Record
		r.SetTimestamp(time.Now())
		r.SetBody(attribute.StringValue("user logged in"))
		r.SetSeverityText("INFO")
		r.AddAttributes(attribute.String("user", "alice"), attribute.String("code.file.path", "app.go"), attribute.Int("code.line.number", 42))
		l.Emit(context.Background(), r)
	}
	return rec.got
}

// BenchmarkSpanExport exports a batch of 512 valid HTTP server spans
// through the OTLP exporter (transform and marshal, no network), bare and
// behind the guard; BenchmarkGuardOnly is the guard's own check.
func BenchmarkSpanExport(b *testing.B) {
	spans := sdkSpans(512, -1)
	for _, bc := range []struct {
		name string
		exp  sdktrace.SpanExporter
	}{
		{"bare", otlpExporter(b)},
		{"guard", Spans(otlpExporter(b))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			perSpan := perSpanCPU(b, len(spans))
			for b.Loop() {
				if err := bc.exp.ExportSpans(context.Background(), spans); err != nil {
					b.Fatal(err)
				}
			}
			perSpan()
		})
	}
}

func BenchmarkGuardOnly(b *testing.B) {
	spans := sdkSpans(512, -1)
	g := Spans(&recordingSpanExporter{})
	b.ReportAllocs()
	perSpan := perSpanCPU(b, len(spans))
	for b.Loop() {
		_ = g.ExportSpans(context.Background(), spans)
	}
	perSpan()
}

// perSpanCPU starts measuring; the function it returns reports the wall
// and the process CPU time per span (CPU time is what to compare on a
// shared machine: it does not count the time other processes had the CPU).
func perSpanCPU(b *testing.B, spans int) func() {
	cpu0, ok := processCPU()
	return func() {
		n := float64(b.N * spans)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/span")
		if cpu1, ok2 := processCPU(); ok && ok2 {
			b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/n, "cpu-ns/span")
		}
	}
}

func BenchmarkFixOneBadSpan(b *testing.B) {
	spans := sdkSpans(512, 100)
	g := Spans(&recordingSpanExporter{})
	b.ReportAllocs()
	for b.Loop() {
		_ = g.ExportSpans(context.Background(), spans)
	}
}
