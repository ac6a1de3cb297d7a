package logcorr

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// recordingExporter keeps the log records it is given.
type recordingExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (e *recordingExporter) Export(_ context.Context, rs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		e.records = append(e.records, r.Clone())
	}
	return nil
}
func (e *recordingExporter) Shutdown(context.Context) error   { return nil }
func (e *recordingExporter) ForceFlush(context.Context) error { return nil }

func (e *recordingExporter) all() []sdklog.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sdklog.Record(nil), e.records...)
}

func newLoggerProvider(t *testing.T) (*sdklog.LoggerProvider, *recordingExporter) {
	exp := &recordingExporter{}
	lp := sdklog.NewLoggerProvider(
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)),
		sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "hyunwoo"))),
	)
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	return lp, exp
}

func attrs(r sdklog.Record) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		m[string(kv.Key)] = kv.Value
		return true
	})
	return m
}

func TestOTLPHandlerRecordCarriesIDs(t *testing.T) {
	lp, exp := newLoggerProvider(t)
	tracer, _ := newTracer(t)
	ctx, span := tracer.Start(context.Background(), "GET /logs/kafka")
	defer span.End()

	logger := slog.New(NewOTLPHandler("hyunwoo", otelslog.WithLoggerProvider(lp)))
	line := here() + 1
	logger.With("component", "api").ErrorContext(ctx, "kafka read failed", "topic", "api-logs-hyunwoo", "partition", 3)

	recs := exp.all()
	if len(recs) != 1 {
		t.Fatalf("%d records exported, want 1", len(recs))
	}
	r := recs[0]
	sc := span.SpanContext()
	if r.TraceID() != sc.TraceID() || r.SpanID() != sc.SpanID() || r.TraceFlags() != sc.TraceFlags() {
		t.Errorf("record ids %s/%s/%s, want the span's %s/%s/%s", r.TraceID(), r.SpanID(), r.TraceFlags(), sc.TraceID(), sc.SpanID(), sc.TraceFlags())
	}
	if r.Severity() != log.SeverityError || r.SeverityText() != "ERROR" {
		t.Errorf("severity %v %q, want ERROR", r.Severity(), r.SeverityText())
	}
	if r.Body().AsString() != "kafka read failed" {
		t.Errorf("body %v", r.Body())
	}
	if r.InstrumentationScope().Name != "hyunwoo" {
		t.Errorf("scope %q, want hyunwoo", r.InstrumentationScope().Name)
	}
	a := attrs(r)
	if a["component"].AsString() != "api" || a["topic"].AsString() != "api-logs-hyunwoo" || a["partition"].AsInt64() != 3 {
		t.Errorf("attributes %v", a)
	}
	if a["code.line.number"].AsInt64() != int64(line) || !strings.HasSuffix(a["code.file.path"].AsString(), "logcorr/otlp_test.go") {
		t.Errorf("source attributes %v, want otlp_test.go:%d", a, line)
	}
}

func TestOTLPHandlerGlobalProviderAndNoSource(t *testing.T) {
	lp, exp := newLoggerProvider(t)
	prev := otel.GetLoggerProvider()
	otel.SetLoggerProvider(lp)
	t.Cleanup(func() { otel.SetLoggerProvider(prev) })

	slog.New(NewOTLPHandler("svc", otelslog.WithSource(false))).Log(context.Background(), LevelCritical, "down")
	recs := exp.all()
	if len(recs) != 1 {
		t.Fatalf("%d records reached the global provider, want 1", len(recs))
	}
	if recs[0].Severity() != log.SeverityFatal {
		t.Errorf("LevelCritical severity = %v, want FATAL", recs[0].Severity())
	}
	if recs[0].TraceID().IsValid() {
		t.Errorf("trace id %s outside a span", recs[0].TraceID())
	}
	if _, ok := attrs(recs[0])["code.line.number"]; ok {
		t.Error("WithSource(false) still added code.line.number")
	}
}

func TestMultiHandlerConsoleAndOTLP(t *testing.T) {
	lp, exp := newLoggerProvider(t)
	tracer, _ := newTracer(t)
	ctx, span := tracer.Start(context.Background(), "op")
	defer span.End()
	sc := span.SpanContext()

	var buf bytes.Buffer
	text := NewTextHandler(&buf, &TextOptions{ServiceName: "hyunwoo", Level: slog.LevelWarn})
	logger := slog.New(slog.NewMultiHandler(text, NewOTLPHandler("hyunwoo", otelslog.WithLoggerProvider(lp)))).With("k", "v")
	logger.InfoContext(ctx, "info only to OTLP")
	logger.WarnContext(ctx, "warn to both")

	if n := strings.Count(buf.String(), "\n"); n != 1 || !strings.Contains(buf.String(), "[trace_id="+sc.TraceID().String()+" span_id="+sc.SpanID().String()+"] - warn to both k=v") {
		t.Errorf("console got %q, want the warning alone with the span's ids", buf.String())
	}
	recs := exp.all()
	if len(recs) != 2 {
		t.Fatalf("%d OTLP records, want 2", len(recs))
	}
	for _, r := range recs {
		if r.TraceID() != sc.TraceID() || r.SpanID() != sc.SpanID() || attrs(r)["k"].AsString() != "v" {
			t.Errorf("OTLP record %q: ids %s/%s attrs %v", r.Body().AsString(), r.TraceID(), r.SpanID(), attrs(r))
		}
	}
}
