package utf8guard

import (
	"context"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const bad = "bad\xff\xfeagent"

func httpAttrs(ua string) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("http.request.method", "GET"),
		attribute.String("url.scheme", "http"),
		attribute.String("url.path", "/users/42"),
		attribute.String("url.query", "page=2"),
		attribute.String("http.route", "/users/{id}"),
		attribute.String("server.address", "example.com"),
		attribute.Int("server.port", 8080),
		attribute.String("network.peer.address", "10.0.0.7"),
		attribute.Int("network.peer.port", 51234),
		attribute.String("user_agent.original", ua),
		attribute.String("client.address", "10.0.0.7"),
		attribute.Int("http.response.status_code", 200),
		attribute.String("network.protocol.version", "1.1"),
	}
}

// strs walks every string of a span the OTLP exporter would marshal.
func spanStrings(s sdktrace.ReadOnlySpan) []string {
	out := []string{s.Name(), s.Status().Description}
	kvs := func(kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			out = append(out, string(kv.Key), kv.Value.String())
		}
	}
	kvs(s.Attributes())
	for _, e := range s.Events() {
		out = append(out, e.Name)
		kvs(e.Attributes)
	}
	for _, l := range s.Links() {
		kvs(l.Attributes)
	}
	sc := s.InstrumentationScope()
	out = append(out, sc.Name, sc.Version, sc.SchemaURL)
	kvs(sc.Attributes.ToSlice())
	out = append(out, s.Resource().SchemaURL())
	kvs(s.Resource().Attributes())
	return out
}

func allValid(t *testing.T, what string, ss []string) {
	t.Helper()
	for _, s := range ss {
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid string %q", what, s)
		}
	}
}

func TestSpans(t *testing.T) {
	mem := tracetest.NewInMemoryExporter()
	res := resource.NewWithAttributes("", attribute.String("service.name", "svc\xff"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(Spans(mem)), sdktrace.WithResource(res))
	ctx := context.Background()

	_, good := tp.Tracer("scope").Start(ctx, "GET /users/{id}", trace.WithAttributes(httpAttrs("curl/8")...))
	good.End()
	tr := tp.Tracer("scope\xff", trace.WithInstrumentationVersion("v\xff"), trace.WithInstrumentationAttributes(attribute.String("k", "\xff")))
	_, s := tr.Start(ctx, "GET \xff", trace.WithAttributes(httpAttrs(bad)...),
		trace.WithLinks(trace.Link{SpanContext: good.SpanContext(), Attributes: []attribute.KeyValue{attribute.String("l", "\xfe")}}))
	s.SetAttributes(attribute.StringSlice("list", []string{"ok", "\xff"}), attribute.String("k\xff", "v"))
	s.AddEvent("event\xff", trace.WithAttributes(attribute.String("exception.message", "near '\xff'")))
	s.SetStatus(codes.Error, "status \xff")
	s.End()

	spans := mem.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, st := range spans {
		allValid(t, st.Name, spanStrings(st.Snapshot()))
	}
	got := spans[1]
	if got.Name != "GET \uFFFD" || got.Status.Description != "status \uFFFD" || got.Status.Code != codes.Error ||
		got.InstrumentationScope.Name != "scope\uFFFD" || got.InstrumentationScope.Version != "v\uFFFD" ||
		got.Events[0].Name != "event\uFFFD" || len(got.Links) != 1 || !got.Links[0].SpanContext.Equal(good.SpanContext()) ||
		!got.SpanContext.Equal(s.SpanContext()) || got.StartTime.IsZero() {
		t.Errorf("fixed span = %+v", got)
	}
	var ua string
	for _, kv := range got.Attributes {
		if kv.Key == "user_agent.original" {
			ua = kv.Value.AsString()
		}
	}
	if ua != "bad\uFFFDagent" {
		t.Errorf("user_agent.original = %q", ua)
	}
	// The first span and its resource pointer are passed on unchanged
	// except for the resource, which the guard fixes for both.
	if spans[0].Name != "GET /users/{id}" || len(spans[0].Attributes) != 13 {
		t.Errorf("valid span = %+v", spans[0])
	}
}

func TestSpansBatchMixed(t *testing.T) {
	// One bad span among valid ones: every span is exported, the valid
	// ones as the very values the SDK passed.
	rec := &recordingSpanExporter{}
	g := Spans(rec)
	in := sdkSpans(10, 4)
	orig := append([]sdktrace.ReadOnlySpan(nil), in...)
	if err := g.ExportSpans(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 10 {
		t.Fatalf("%d spans", len(rec.got))
	}
	for i, s := range rec.got {
		allValid(t, "span", spanStrings(s))
		if i != 4 && s != orig[i] {
			t.Errorf("span %d was replaced", i)
		}
		if in[i] != orig[i] {
			t.Errorf("the caller's slice changed at %d", i)
		}
	}
	if rec.got[4] == orig[4] {
		t.Error("the bad span was not replaced")
	}
	// A valid batch is the caller's slice itself.
	rec.got = nil
	valid := orig[:4]
	_ = g.ExportSpans(context.Background(), valid)
	if &rec.got[0] != &valid[0] {
		t.Error("a valid batch was copied")
	}
}

// sdkSpans returns n ended SDK spans of an HTTP server shape, the one at
// badAt with an invalid user agent.
func sdkSpans(n, badAt int) []sdktrace.ReadOnlySpan {
	rec := &recordingSpanExporter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(rec), sdktrace.WithResource(resource.NewWithAttributes("",
		attribute.String("service.name", "svc"), attribute.String("host.name", "h"), attribute.String("telemetry.sdk.language", "go"))))
	var out []sdktrace.ReadOnlySpan
	for i := range n {
		ua := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
		if i == badAt {
			ua = bad
		}
		_, s := tp.Tracer("github.com/otelkit/otelkit/httpx").Start(context.Background(), "GET /users/{id}",
			trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(httpAttrs(ua)...))
		s.End()
		out = append(out, rec.got...)
	}
	return out
}

type recordingSpanExporter struct{ got []sdktrace.ReadOnlySpan }

func (r *recordingSpanExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	r.got = s
	return nil
}
func (r *recordingSpanExporter) Shutdown(context.Context) error { return nil }

func TestSpanLimitTruncation(t *testing.T) {
	// The SDK's value-length limit counts characters; whatever it leaves
	// (a cut inside a character included) reaches the exporter valid and
	// ends on a character boundary.
	mem := tracetest.NewInMemoryExporter()
	limits := sdktrace.NewSpanLimits()
	limits.AttributeValueLengthLimit = 4
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(Spans(mem)), sdktrace.WithRawSpanLimits(limits))
	_, s := tp.Tracer("t").Start(context.Background(), "s", trace.WithAttributes(
		attribute.String("a", "héllo"),
		attribute.String("b", "ab\xffcdef"),
		attribute.String("c", "𝄞𝄞𝄞𝄞𝄞"),
		attribute.String("d", "ab\xe2\x82"), // shorter than the limit: kept by the SDK, cut by us
	))
	s.End()
	want := map[attribute.Key]string{"a": "héll", "c": "𝄞𝄞𝄞𝄞", "d": "ab"}
	for _, kv := range mem.GetSpans()[0].Attributes {
		v := kv.Value.AsString()
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > 4 {
			t.Errorf("%s = %q", kv.Key, v)
		}
		if w, ok := want[kv.Key]; ok && v != w {
			t.Errorf("%s = %q, want %q", kv.Key, v, w)
		}
	}
}

type recordingMetricExporter struct {
	sdkmetric.Exporter
	mu  sync.Mutex
	got []*metricdata.ResourceMetrics
}

func (r *recordingMetricExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, rm)
	return nil
}

func metricStrings(rm *metricdata.ResourceMetrics) []string {
	var out []string
	set := func(s attribute.Set) {
		for it := s.Iter(); it.Next(); {
			out = append(out, string(it.Attribute().Key), it.Attribute().Value.String())
		}
	}
	kvs := func(kvs []attribute.KeyValue) { set(attribute.NewSet(kvs...)) }
	kvs(rm.Resource.Attributes())
	for _, sm := range rm.ScopeMetrics {
		out = append(out, sm.Scope.Name, sm.Scope.Version)
		set(sm.Scope.Attributes)
		for _, m := range sm.Metrics {
			out = append(out, m.Name, m.Description, m.Unit)
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					set(p.Attributes)
					for _, x := range p.Exemplars {
						kvs(x.FilteredAttributes)
					}
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					set(p.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					set(p.Attributes)
					for _, x := range p.Exemplars {
						kvs(x.FilteredAttributes)
					}
				}
			case metricdata.ExponentialHistogram[int64]:
				for _, p := range d.DataPoints {
					set(p.Attributes)
				}
			case metricdata.Summary:
				for _, p := range d.DataPoints {
					set(p.Attributes)
				}
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	rec := &recordingMetricExporter{}
	g := Metrics(rec)
	ex := []metricdata.Exemplar[int64]{{FilteredAttributes: []attribute.KeyValue{attribute.String("f", "\xff")}, Value: 1}}
	in := &metricdata.ResourceMetrics{
		Resource: resource.NewWithAttributes("", attribute.String("service.name", "ok")),
		ScopeMetrics: []metricdata.ScopeMetrics{
			{Metrics: []metricdata.Metrics{{Name: "valid", Data: metricdata.Sum[int64]{DataPoints: []metricdata.DataPoint[int64]{{Attributes: attribute.NewSet(attribute.String("k", "v")), Value: 1}}}}}},
			{Metrics: []metricdata.Metrics{
				{Name: "n\xff", Description: "d\xff", Unit: "u\xff", Data: metricdata.Sum[int64]{IsMonotonic: true, DataPoints: []metricdata.DataPoint[int64]{
					{Attributes: attribute.NewSet(attribute.String("k", "v")), Value: 1},
					{Attributes: attribute.NewSet(attribute.String("route", "/x\xff")), Value: 2, Exemplars: ex},
				}}},
				{Name: "g", Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Attributes: attribute.NewSet(attribute.String("k\xff", "v"))}}}},
				{Name: "h", Data: metricdata.Histogram[float64]{DataPoints: []metricdata.HistogramDataPoint[float64]{{Attributes: attribute.NewSet(attribute.String("k", "\xff"))}}}},
				{Name: "e", Data: metricdata.ExponentialHistogram[int64]{DataPoints: []metricdata.ExponentialHistogramDataPoint[int64]{{Attributes: attribute.NewSet(attribute.String("k", "\xff"))}}}},
				{Name: "s", Data: metricdata.Summary{DataPoints: []metricdata.SummaryDataPoint{{Attributes: attribute.NewSet(attribute.String("k", "\xff"))}}}},
			}},
		},
	}
	before := strings.Join(metricStrings(in), "|")
	if err := g.Export(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	got := rec.got[0]
	allValid(t, "metrics", metricStrings(got))
	if after := strings.Join(metricStrings(in), "|"); after != before {
		t.Errorf("the reader's ResourceMetrics changed:\n%s\n%s", before, after)
	}
	m := got.ScopeMetrics[1].Metrics[0]
	if m.Name != "n\uFFFD" || m.Description != "d\uFFFD" || m.Unit != "u\uFFFD" || !m.Data.(metricdata.Sum[int64]).IsMonotonic {
		t.Errorf("metric = %+v", m)
	}
	if len(got.ScopeMetrics[1].Metrics[0].Data.(metricdata.Sum[int64]).DataPoints) != 2 {
		t.Error("data points lost")
	}
	if &got.ScopeMetrics[0].Metrics[0] != &in.ScopeMetrics[0].Metrics[0] {
		t.Error("the valid scope was copied")
	}
	// Valid data: the same pointer.
	valid := &metricdata.ResourceMetrics{Resource: in.Resource, ScopeMetrics: in.ScopeMetrics[:1]}
	_ = g.Export(context.Background(), valid)
	if rec.got[1] != valid {
		t.Error("valid data was copied")
	}
	// A resource that needs fixing.
	badRes := &metricdata.ResourceMetrics{Resource: resource.NewWithAttributes("", attribute.String("a", "\xff"))}
	_ = g.Export(context.Background(), badRes)
	allValid(t, "resource", metricStrings(rec.got[2]))
}

type recordingLogExporter struct {
	mu  sync.Mutex
	got []sdklog.Record
}

func (r *recordingLogExporter) Export(_ context.Context, rs []sdklog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range rs {
		r.got = append(r.got, x.Clone())
	}
	return nil
}
func (r *recordingLogExporter) Shutdown(context.Context) error   { return nil }
func (r *recordingLogExporter) ForceFlush(context.Context) error { return nil }

func logStrings(r *sdklog.Record) []string {
	out := []string{r.EventName(), r.SeverityText(), r.Body().String()}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		out = append(out, string(kv.Key), kv.Value.String())
		return true
	})
	sc := r.InstrumentationScope()
	out = append(out, sc.Name, sc.Version, sc.SchemaURL)
	for _, kv := range r.Resource().Attributes() {
		out = append(out, string(kv.Key), kv.Value.AsString())
	}
	return out
}

func TestLogs(t *testing.T) {
	rec := &recordingLogExporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(Logs(rec))),
		sdklog.WithResource(resource.NewWithAttributes("", attribute.String("service.name", "svc"))))
	ctx := context.Background()
	emit := func(l log.Logger, body attribute.Value, attrs ...attribute.KeyValue) {
		var r log.Record
		r.SetBody(body)
		r.SetSeverity(log.SeverityWarn)
		r.SetSeverityText("WARN\xff")
		r.SetEventName("ev\xff")
		r.AddAttributes(attrs...)
		l.Emit(ctx, r)
	}
	l := lp.Logger("app")
	emit(l, attribute.StringValue("ok"))
	emit(l, attribute.StringValue("body \xff"), attribute.String("user_agent.original", bad), attribute.String("k\xfe", "v"))
	emit(l, attribute.MapValue(attribute.String("k", "\xff"), attribute.Slice("s", attribute.StringValue("\xfe"))))
	emit(lp.Logger("scope\xff", log.WithInstrumentationVersion("v\xff")), attribute.StringValue("x"), attribute.Int("n", 1))
	// More attributes than a record keeps in front.
	many := make([]attribute.KeyValue, 8)
	for i := range many {
		many[i] = attribute.String(strings.Repeat("k", i+1), "v\xff")
	}
	emit(l, attribute.StringValue("many"), many...)

	if len(rec.got) != 5 {
		t.Fatalf("%d records", len(rec.got))
	}
	for i := range rec.got {
		allValid(t, "log", logStrings(&rec.got[i]))
	}
	r := rec.got[1]
	if r.Body().AsString() != "body \uFFFD" || r.SeverityText() != "WARN\uFFFD" || r.EventName() != "ev\uFFFD" ||
		r.Severity() != log.SeverityWarn || r.AttributesLen() != 2 || r.Timestamp() != rec.got[1].Timestamp() {
		t.Errorf("record = %v", logStrings(&r))
	}
	sc := rec.got[3]
	if sc.InstrumentationScope().Name != "scope\uFFFD" || sc.AttributesLen() != 1 || sc.Body().AsString() != "x" ||
		sc.Severity() != log.SeverityWarn || sc.ObservedTimestamp().IsZero() {
		t.Errorf("scope record = %v", logStrings(&sc))
	}
	if v, _ := sc.Resource().Set().Value("service.name"); v.AsString() != "svc" {
		t.Errorf("resource lost: %v", sc.Resource())
	}
	if rec.got[4].AttributesLen() != 8 {
		t.Errorf("attributes = %d", rec.got[4].AttributesLen())
	}
}

func TestNil(t *testing.T) {
	if Spans(nil) != nil || Metrics(nil) != nil || Logs(nil) != nil {
		t.Fatal("nil exporter wrapped")
	}
}

func TestLogLimitTruncation(t *testing.T) {
	rec := &recordingLogExporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(Logs(rec))),
		sdklog.WithAttributeValueLengthLimit(4))
	var r log.Record
	r.SetBody(attribute.StringValue("body"))
	r.AddAttributes(attribute.String("a", "héllo"), attribute.String("b", "ab\xffcdef"),
		attribute.String("c", "𝄞𝄞𝄞𝄞𝄞"), attribute.String("d", "ab\xe2\x82"))
	lp.Logger("t").Emit(context.Background(), r)
	want := map[attribute.Key]string{"a": "héll", "c": "𝄞𝄞𝄞𝄞", "d": "ab"}
	rec.got[0].WalkAttributes(func(kv attribute.KeyValue) bool {
		v := kv.Value.AsString()
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > 4 {
			t.Errorf("%s = %q", kv.Key, v)
		}
		if w, ok := want[kv.Key]; ok && v != w {
			t.Errorf("%s = %q, want %q", kv.Key, v, w)
		}
		return true
	})
}
