package utf8guard

import (
	"context"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// FuzzExporters puts arbitrary bytes in every string of a span, a metric
// and a log record: what reaches the exporter is valid UTF-8 and, when the
// input was valid, is the input itself; a planted marker next to the bytes
// always survives.
func FuzzExporters(f *testing.F) {
	for _, s := range []string{"", "ok", "bad\xff\xfeagent", "ab\xe2\x82", "𝄞", "\xed\xa0\x80"} {
		f.Add(s)
	}
	const marker = "MARK"
	f.Fuzz(func(t *testing.T, in string) {
		valid := utf8.ValidString(in)
		v := in + marker
		kv := []attribute.KeyValue{attribute.String(v, v), attribute.StringSlice("s", []string{v}), attribute.Map("m", attribute.String(v, v))}

		// Spans.
		rec := &recordingSpanExporter{}
		span := tracetest.SpanStub{
			Name: v, Attributes: kv, Status: sdktrace.Status{Code: codes.Error, Description: v},
			Events:               []sdktrace.Event{{Name: v, Attributes: kv}},
			Links:                []sdktrace.Link{{Attributes: kv}},
			InstrumentationScope: instrumentation.Scope{Name: v, Version: v, Attributes: attribute.NewSet(kv...)},
			Resource:             resource.NewSchemaless(kv...),
		}.Snapshot()
		if err := Spans(rec).ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{span}); err != nil {
			t.Fatal(err)
		}
		for _, s := range spanStrings(rec.got[0]) {
			if !utf8.ValidString(s) {
				t.Fatalf("span string %q", s)
			}
		}
		if rec.got[0].Name() != String(v) || !containsMarker(rec.got[0].Name()) {
			t.Fatalf("span name %q", rec.got[0].Name())
		}
		if valid && rec.got[0].Name() != v {
			t.Fatalf("valid name changed: %q", rec.got[0].Name())
		}

		// Metrics.
		mrec := &recordingMetricExporter{}
		rm := &metricdata.ResourceMetrics{Resource: resource.NewSchemaless(kv...), ScopeMetrics: []metricdata.ScopeMetrics{{
			Scope: instrumentation.Scope{Name: v},
			Metrics: []metricdata.Metrics{{Name: v, Description: v, Unit: v, Data: metricdata.Sum[int64]{
				DataPoints: []metricdata.DataPoint[int64]{{Attributes: attribute.NewSet(kv...),
					Exemplars: []metricdata.Exemplar[int64]{{FilteredAttributes: kv}}}}}}},
		}}}
		if err := Metrics(mrec).Export(context.Background(), rm); err != nil {
			t.Fatal(err)
		}
		for _, s := range metricStrings(mrec.got[0]) {
			if !utf8.ValidString(s) {
				t.Fatalf("metric string %q", s)
			}
		}
		if valid != (mrec.got[0] == rm) {
			t.Fatalf("valid input %v, passed as is %v", valid, mrec.got[0] == rm)
		}

		// Logs.
		lrec := &recordingLogExporter{}
		lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(Logs(lrec))),
			sdklog.WithResource(resource.NewSchemaless(kv...)))
		var r log.Record
		r.SetBody(attribute.MapValue(kv...))
		r.SetEventName(v)
		r.SetSeverityText(v)
		r.AddAttributes(kv...)
		lp.Logger(v).Emit(context.Background(), r)
		for _, s := range logStrings(&lrec.got[0]) {
			if !utf8.ValidString(s) {
				t.Fatalf("log string %q", s)
			}
		}
		if got := lrec.got[0].EventName(); got != String(v) || (valid && got != v) {
			t.Fatalf("event name %q", got)
		}
	})
}

func containsMarker(s string) bool {
	return len(s) >= 4 && s[len(s)-4:] == "MARK"
}
