// Package kafkax_test tests otelkit's kafkax against kfake, franz-go's
// in-process Kafka cluster speaking the real protocol.
package kafkax_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/semconv"
	"github.com/otelkit/otelkit/internal/testutil"
	"github.com/otelkit/otelkit/kafkax"
)

const topic = "api-logs-hyunwoo"

// env is one test's telemetry pipeline and Kafka cluster.
type env struct {
	t      *testing.T
	exp    *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	addrs  []string
	logs   *testutil.SyncBuffer
}

func newEnv(t *testing.T, sampler sdktrace.Sampler) *env {
	t.Helper()
	e := &env{t: t, exp: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader(), logs: &testutil.SyncBuffer{}}
	e.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(e.exp), sdktrace.WithSampler(sampler))
	e.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	e.addrs = c.ListenAddrs()
	return e
}

func (e *env) opts(extra ...kafkax.Option) []kafkax.Option {
	return append([]kafkax.Option{
		kafkax.WithTracerProvider(e.tp),
		kafkax.WithMeterProvider(e.mp),
		kafkax.WithPropagators(propagation.TraceContext{}),
		kafkax.WithLogger(slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}, extra...)
}

// producer returns an instrumented producer, or a bare one when kopts is nil.
func (e *env) client(instrumented bool, kx []kafkax.Option, kopts ...kgo.Opt) *kgo.Client {
	e.t.Helper()
	kopts = append([]kgo.Opt{kgo.SeedBrokers(e.addrs...)}, kopts...)
	if instrumented {
		kopts = append(kopts, kafkax.Opts(e.opts(kx...)...)...)
	}
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(cl.Close)
	return cl
}

// consumer returns an instrumented group consumer of topic.
func (e *env) consumer(kx ...kafkax.Option) *kgo.Client {
	return e.client(true, kx, kgo.ClientID("consumer-1"), kgo.ConsumerGroup("logs-readers"),
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
}

// pollN polls with kafkax until n records arrived.
func pollN(t *testing.T, ctx context.Context, cl *kgo.Client, n int) []*kgo.Record {
	t.Helper()
	var recs []*kgo.Record
	deadline, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(recs) < n {
		pctx, pcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		fs := kafkax.PollFetches(pctx, cl)
		pcancel()
		for _, fe := range fs.Errors() {
			if fe.Err != context.DeadlineExceeded {
				t.Fatalf("poll: %v", fe.Err)
			}
		}
		recs = append(recs, fs.Records()...)
		if deadline.Err() != nil {
			t.Fatalf("got %d records, want %d", len(recs), n)
		}
	}
	return recs
}

func spanNamed(t *testing.T, spans tracetest.SpanStubs, name string, kind trace.SpanKind) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name && s.SpanKind == kind {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %v span %q, got %d among %v", kind, name, len(found), names(spans))
	}
	return found[0]
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// assertAttrs checks that the span has exactly want among the messaging and
// error keys (and no other key of those families).
func assertAttrs(t *testing.T, s tracetest.SpanStub, want map[string]attribute.Value) {
	t.Helper()
	got := map[string]attribute.Value{}
	for _, kv := range s.Attributes {
		got[string(kv.Key)] = kv.Value
	}
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: missing %s (want %v)", s.Name, k, v.String())
			continue
		}
		if g != v {
			t.Errorf("%s: %s = %v (%s), want %v (%s)", s.Name, k, g.String(), g.Type(), v.String(), v.Type())
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s = %v", s.Name, k, v.String())
		}
	}
}

func str(s string) attribute.Value { return attribute.StringValue(s) }
func i64(i int64) attribute.Value  { return attribute.Int64Value(i) }

func TestProduceConsumeAcrossTheBroker(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.ClientID("producer-1"), kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	tracer := e.tp.Tracer("test")

	// The request that produces.
	pctx, post := tracer.Start(context.Background(), "POST /api", trace.WithSpanKind(trace.SpanKindServer))
	sent := &kgo.Record{Key: []byte("user-42"), Value: []byte("GET /api 200")}
	res := prod.ProduceSync(pctx, sent)
	post.End()
	if err := res.FirstErr(); err != nil {
		t.Fatal(err)
	}
	if sent.Context != pctx {
		t.Errorf("produced record's Context was not given back after the ack")
	}

	// The request that reads the topic.
	cctx, get := tracer.Start(context.Background(), "GET /logs/kafka", trace.WithSpanKind(trace.SpanKindServer))
	recs := pollN(t, cctx, cons, 1)
	get.End()

	spans := e.exp.GetSpans()
	ps := spanNamed(t, spans, "kafka.produce", trace.SpanKindProducer)
	cs := spanNamed(t, spans, "kafka.consume", trace.SpanKindConsumer)

	// Producer span: child of the producing request, ended at the ack.
	if ps.Parent.SpanID() != post.SpanContext().SpanID() || ps.SpanContext.TraceID() != post.SpanContext().TraceID() {
		t.Errorf("producer parent = %v, want the POST span %v", ps.Parent.SpanID(), post.SpanContext().SpanID())
	}
	if ps.Status.Code != codes.Unset {
		t.Errorf("producer status = %v", ps.Status)
	}
	assertAttrs(t, ps, map[string]attribute.Value{
		"messaging.system":            str("kafka"),
		"messaging.destination":       str(topic),
		"messaging.operation":         str("publish"),
		"messaging.kafka.partition":   i64(0),
		"messaging.kafka.offset":      i64(0),
		"messaging.kafka.message.key": str("user-42"),
		"messaging.kafka.client_id":   str("producer-1"),
	})

	// The record carries the producer span's context.
	want := fmt.Sprintf("00-%s-%s-01", ps.SpanContext.TraceID(), ps.SpanContext.SpanID())
	if got := header(recs[0], "traceparent"); got != want {
		t.Errorf("traceparent header = %q, want %q", got, want)
	}

	// Consumer span: child of the reading request, linked to the producer.
	if cs.Parent.SpanID() != get.SpanContext().SpanID() || cs.SpanContext.TraceID() != get.SpanContext().TraceID() {
		t.Errorf("consumer parent = %v/%v, want the GET span", cs.Parent.TraceID(), cs.Parent.SpanID())
	}
	if len(cs.Links) != 1 || !cs.Links[0].SpanContext.Equal(ps.SpanContext.WithRemote(true)) {
		t.Errorf("consumer links = %+v, want the producer span %v", cs.Links, ps.SpanContext.SpanID())
	}
	assertAttrs(t, cs, map[string]attribute.Value{
		"messaging.system":               str("kafka"),
		"messaging.destination":          str(topic),
		"messaging.operation":            str("receive"),
		"messaging.kafka.partition":      i64(0),
		"messaging.kafka.offset":         i64(0),
		"messaging.kafka.message.key":    str("user-42"),
		"messaging.kafka.consumer_group": str("logs-readers"),
		"messaging.kafka.client_id":      str("consumer-1"),
	})
	if !cs.StartTime.Before(cs.EndTime) {
		t.Errorf("consumer span %v..%v", cs.StartTime, cs.EndTime)
	}

	// RecordContext continues from the consume span.
	if got := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), recs[0])); !got.Equal(cs.SpanContext) {
		t.Errorf("RecordContext span = %v, want the consume span %v", got.SpanID(), cs.SpanContext.SpanID())
	}

	// Metrics per topic.
	rm := collect(t, e.reader)
	sendAttrs := attribute.NewSet(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination.name", topic),
		attribute.String("messaging.operation.name", "send"))
	recvAttrs := attribute.NewSet(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination.name", topic),
		attribute.String("messaging.operation.name", "receive"),
		attribute.String("messaging.consumer.group.name", "logs-readers"))
	if got := counter(t, rm, "messaging.client.sent.messages", sendAttrs); got != 1 {
		t.Errorf("sent.messages = %d, want 1", got)
	}
	if got := counter(t, rm, "messaging.client.consumed.messages", recvAttrs); got != 1 {
		t.Errorf("consumed.messages = %d, want 1", got)
	}
	if got := histCount(t, rm, "messaging.client.operation.duration", sendAttrs); got != 1 {
		t.Errorf("operation.duration{send} count = %d, want 1", got)
	}
	if got := histCount(t, rm, "messaging.client.operation.duration", recvAttrs); got < 1 {
		t.Errorf("operation.duration{receive} count = %d, want >= 1", got)
	}
}

func TestConsumeWithoutCallerSpanContinuesProducerTrace(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	if err := prod.ProduceSync(context.Background(), &kgo.Record{Key: []byte{0xff, 0x00, 0x01}, Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	recs := pollN(t, context.Background(), cons, 1)
	spans := e.exp.GetSpans()
	ps := spanNamed(t, spans, "kafka.produce", trace.SpanKindProducer)
	cs := spanNamed(t, spans, "kafka.consume", trace.SpanKindConsumer)
	if ps.Parent.IsValid() {
		t.Errorf("producer span has parent %v, want a root", ps.Parent.SpanID())
	}
	if cs.Parent.SpanID() != ps.SpanContext.SpanID() || cs.SpanContext.TraceID() != ps.SpanContext.TraceID() || !cs.Parent.IsRemote() {
		t.Errorf("consumer parent = %v, want the producer span %v (remote)", cs.Parent.SpanID(), ps.SpanContext.SpanID())
	}
	if len(cs.Links) != 0 {
		t.Errorf("consumer links = %v, want none", cs.Links)
	}
	for _, s := range []tracetest.SpanStub{ps, cs} {
		for _, kv := range s.Attributes {
			if kv.Key == "messaging.kafka.message.key" {
				t.Errorf("%s: binary key emitted as %q", s.Name, kv.Value.String())
			}
		}
	}
	if got := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), recs[0])); !got.Equal(cs.SpanContext) {
		t.Errorf("RecordContext span = %v, want consume span", got.SpanID())
	}
}

func TestCorruptTraceparentIsConsumedWithNewTrace(t *testing.T) {
	for _, withCaller := range []bool{false, true} {
		t.Run(fmt.Sprintf("caller=%v", withCaller), func(t *testing.T) {
			e := newEnv(t, sdktrace.AlwaysSample())
			bare := e.client(false, nil, kgo.DefaultProduceTopic(topic))
			cons := e.consumer()
			bad := "00-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-0000000000000000-01"
			rec := &kgo.Record{Value: []byte("v"), Headers: []kgo.RecordHeader{{Key: "traceparent", Value: []byte(bad)}}}
			if err := bare.ProduceSync(context.Background(), rec).FirstErr(); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var caller trace.Span
			if withCaller {
				ctx, caller = e.tp.Tracer("test").Start(ctx, "GET /logs/kafka")
			}
			recs := pollN(t, ctx, cons, 1)
			if string(recs[0].Value) != "v" {
				t.Fatalf("record value %q", recs[0].Value)
			}
			cs := spanNamed(t, e.exp.GetSpans(), "kafka.consume", trace.SpanKindConsumer)
			if withCaller {
				if cs.Parent.SpanID() != caller.SpanContext().SpanID() {
					t.Errorf("parent = %v, want caller", cs.Parent.SpanID())
				}
			} else if cs.Parent.IsValid() {
				t.Errorf("parent = %v, want a new trace", cs.Parent)
			}
			if len(cs.Links) != 0 {
				t.Errorf("links = %v, want none", cs.Links)
			}
			if cs.Status.Code == codes.Error {
				t.Errorf("status = %v", cs.Status)
			}
			if logs := e.logs.String(); !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "header=traceparent") {
				t.Errorf("no debug log about the header; logs: %q", logs)
			}
		})
	}
}

func TestRecordWithoutHeaders(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	bare := e.client(false, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	if err := bare.ProduceSync(context.Background(), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	recs := pollN(t, context.Background(), cons, 1)
	if len(recs[0].Headers) != 0 {
		t.Fatalf("headers = %v", recs[0].Headers)
	}
	cs := spanNamed(t, e.exp.GetSpans(), "kafka.consume", trace.SpanKindConsumer)
	if cs.Parent.IsValid() || len(cs.Links) != 0 {
		t.Errorf("parent %v links %v, want a root without links", cs.Parent, cs.Links)
	}
	if strings.Contains(e.logs.String(), "unparsable") {
		t.Errorf("record without headers logged as malformed: %s", e.logs.String())
	}
}

func TestProduceToUnreachableBroker(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more

	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic)}, kafkax.Opts(e.opts()...)...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	begin := time.Now()
	err = cl.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr()
	if err == nil {
		t.Fatal("produce to a dead broker succeeded")
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("produce returned after %v, want about the context's 1s", took)
	}
	ps := spanNamed(t, e.exp.GetSpans(), "kafka.produce", trace.SpanKindProducer)
	if ps.Status.Code != codes.Error || ps.Status.Description != err.Error() {
		t.Errorf("status = %+v, want Error %q", ps.Status, err)
	}
	if len(ps.Events) != 1 || ps.Events[0].Name != "exception" {
		t.Fatalf("events = %+v, want one exception", ps.Events)
	}
	var msg string
	for _, kv := range ps.Events[0].Attributes {
		if kv.Key == "exception.message" {
			msg = kv.Value.AsString()
		}
	}
	if msg != err.Error() {
		t.Errorf("exception.message = %q, want %q", msg, err)
	}
	for _, kv := range ps.Attributes {
		if kv.Key == "messaging.kafka.offset" || kv.Key == "error.type" {
			t.Errorf("failed produce has %s", kv.Key)
		}
	}
	rm := collect(t, e.reader)
	failed := attribute.NewSet(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination.name", topic),
		attribute.String("messaging.operation.name", "send"),
		attribute.String("error.type", "timeout"))
	if got := counter(t, rm, "messaging.client.sent.messages", failed); got != 1 {
		t.Errorf("sent.messages{error.type=timeout} = %d, want 1", got)
	}
}

func TestStableAndDupConventions(t *testing.T) {
	for _, mode := range []semconv.Mode{semconv.Stable, semconv.Dup} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, sdktrace.AlwaysSample())
			prod := e.client(true, []kafkax.Option{kafkax.WithSemconv(mode)}, kgo.ClientID("producer-1"), kgo.DefaultProduceTopic(topic))
			cons := e.consumer(kafkax.WithSemconv(mode))
			if err := prod.ProduceSync(context.Background(), &kgo.Record{Key: []byte("k"), Value: []byte("v")}).FirstErr(); err != nil {
				t.Fatal(err)
			}
			pollN(t, context.Background(), cons, 1)
			spans := e.exp.GetSpans()
			ps := spanNamed(t, spans, "send "+topic, trace.SpanKindProducer)
			cs := spanNamed(t, spans, "receive "+topic, trace.SpanKindConsumer)
			wantP := map[string]attribute.Value{
				"messaging.system":                   str("kafka"),
				"messaging.destination.name":         str(topic),
				"messaging.operation.type":           str("send"),
				"messaging.operation.name":           str("send"),
				"messaging.destination.partition.id": str("0"),
				"messaging.kafka.offset":             i64(0),
				"messaging.kafka.message.key":        str("k"),
				"messaging.client.id":                str("producer-1"),
			}
			wantC := map[string]attribute.Value{
				"messaging.system":                   str("kafka"),
				"messaging.destination.name":         str(topic),
				"messaging.operation.type":           str("receive"),
				"messaging.operation.name":           str("receive"),
				"messaging.destination.partition.id": str("0"),
				"messaging.kafka.offset":             i64(0),
				"messaging.kafka.message.key":        str("k"),
				"messaging.consumer.group.name":      str("logs-readers"),
				"messaging.client.id":                str("consumer-1"),
			}
			if mode == semconv.Dup {
				wantP["messaging.destination"] = str(topic)
				wantP["messaging.operation"] = str("publish")
				wantP["messaging.kafka.partition"] = i64(0)
				wantP["messaging.kafka.client_id"] = str("producer-1")
				wantC["messaging.destination"] = str(topic)
				wantC["messaging.operation"] = str("receive")
				wantC["messaging.kafka.partition"] = i64(0)
				wantC["messaging.kafka.client_id"] = str("consumer-1")
				wantC["messaging.kafka.consumer_group"] = str("logs-readers")
			}
			assertAttrs(t, ps, wantP)
			assertAttrs(t, cs, wantC)
		})
	}
}

func TestStableModeFromEnvironment(t *testing.T) {
	t.Setenv(semconv.EnvOptIn, "messaging")
	e := newEnv(t, sdktrace.AlwaysSample())
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	if err := prod.ProduceSync(context.Background(), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	spanNamed(t, e.exp.GetSpans(), "send "+topic, trace.SpanKindProducer)
}

func TestUnsampledStillPropagates(t *testing.T) {
	e := newEnv(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	if err := prod.ProduceSync(context.Background(), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	recs := pollN(t, context.Background(), cons, 1)
	if n := len(e.exp.GetSpans()); n != 0 {
		t.Errorf("%d spans exported under NeverSample: %v", n, names(e.exp.GetSpans()))
	}
	tp := header(recs[0], "traceparent")
	if len(tp) != 55 || !strings.HasSuffix(tp, "-00") {
		t.Errorf("traceparent = %q, want an unsampled W3C context", tp)
	}
	// Processing continues the producer's (unsampled) trace, read with the
	// global propagator.
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	sc := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), recs[0]))
	if !sc.IsValid() || sc.IsSampled() || !strings.Contains(tp, sc.TraceID().String()) {
		t.Errorf("RecordContext = %v, want the producer's unsampled context from %q", sc, tp)
	}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func collect(t *testing.T, r *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

func find(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

func counter(t *testing.T, rm metricdata.ResourceMetrics, name string, attrs attribute.Set) int64 {
	t.Helper()
	m, ok := find(rm, name)
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is %T", name, m.Data)
	}
	if m.Unit != "{message}" {
		t.Errorf("%s unit %q", name, m.Unit)
	}
	for _, dp := range sum.DataPoints {
		if dp.Attributes.Equals(&attrs) {
			return dp.Value
		}
	}
	return 0
}

func histCount(t *testing.T, rm metricdata.ResourceMetrics, name string, attrs attribute.Set) uint64 {
	t.Helper()
	m, ok := find(rm, name)
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is %T", name, m.Data)
	}
	if m.Unit != "s" {
		t.Errorf("%s unit %q", name, m.Unit)
	}
	for _, dp := range h.DataPoints {
		if dp.Attributes.Equals(&attrs) {
			return dp.Count
		}
	}
	return 0
}

// TestNewClientAndUninstrumentedConsumerUseGlobals covers NewClient (globals
// read at construction) and PollFetches on a client built without Opts.
func TestNewClientAndUninstrumentedConsumerUseGlobals(t *testing.T) {
	e := newEnv(t, sdktrace.AlwaysSample())
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(e.tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })

	prod, err := kafkax.NewClient(kgo.SeedBrokers(e.addrs...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	cons := e.client(false, nil, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err := prod.ProduceSync(context.Background(), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	pollN(t, context.Background(), cons, 1)
	spans := e.exp.GetSpans()
	ps := spanNamed(t, spans, "kafka.produce", trace.SpanKindProducer)
	cs := spanNamed(t, spans, "kafka.consume", trace.SpanKindConsumer)
	if cs.Parent.SpanID() != ps.SpanContext.SpanID() {
		t.Errorf("consumer parent = %v, want producer %v", cs.Parent.SpanID(), ps.SpanContext.SpanID())
	}
	for _, kv := range cs.Attributes {
		if kv.Key == "messaging.kafka.consumer_group" {
			t.Errorf("group %q on a direct consumer", kv.Value.String())
		}
	}
}

// TestRequestSampledAtOnePercent is the demo's shape under a 1% sampler:
// records produced inside request spans, polled in a loop with no span. A
// record produced in an unsampled request carries that request's context
// (flag 00) across the broker and gets no span on either side; one produced
// in a sampled request gets both spans, the consume span a child of the
// produce span.
func TestRequestSampledAtOnePercent(t *testing.T) {
	e := newEnv(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	prod := e.client(true, nil, kgo.DefaultProduceTopic(topic))
	cons := e.consumer()
	tracer := e.tp.Tracer("app")

	// An unsampled request (the sampler drops every root).
	ctx, req := tracer.Start(context.Background(), "POST /db/message", trace.WithSpanKind(trace.SpanKindServer))
	if err := prod.ProduceSync(ctx, &kgo.Record{Value: []byte("dropped")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	req.End()
	// A sampled request: a remote parent whose flag says sampled.
	sampled := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xab}, SpanID: trace.SpanID{0xcd}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	ctx2, req2 := tracer.Start(trace.ContextWithRemoteSpanContext(context.Background(), sampled), "POST /db/message", trace.WithSpanKind(trace.SpanKindServer))
	if err := prod.ProduceSync(ctx2, &kgo.Record{Value: []byte("kept")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	req2.End()

	recs := pollN(t, context.Background(), cons, 2)
	spans := e.exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("spans %v, want the sampled request, its produce and its consume", names(spans))
	}
	produce := spanNamed(t, spans, kafkax.ProduceSpanName, trace.SpanKindProducer)
	consume := spanNamed(t, spans, kafkax.ConsumeSpanName, trace.SpanKindConsumer)
	if produce.Parent.SpanID() != req2.SpanContext().SpanID() || consume.Parent.SpanID() != produce.SpanContext.SpanID() {
		t.Errorf("produce parent %v (want request %v), consume parent %v (want produce %v)",
			produce.Parent.SpanID(), req2.SpanContext().SpanID(), consume.Parent.SpanID(), produce.SpanContext.SpanID())
	}
	for _, r := range recs {
		tp := header(r, "traceparent")
		got := trace.SpanContextFromContext(kafkax.RecordContext(context.Background(), r))
		switch string(r.Value) {
		case "dropped":
			want := "00-" + req.SpanContext().TraceID().String() + "-" + req.SpanContext().SpanID().String() + "-00"
			if tp != want {
				t.Errorf("unsampled record: traceparent %q, want the request's %q", tp, want)
			}
			if got.TraceID() != req.SpanContext().TraceID() || got.SpanID() != req.SpanContext().SpanID() || got.IsSampled() {
				t.Errorf("unsampled record: RecordContext %v, want the request's context", got)
			}
		case "kept":
			if got.SpanID() != consume.SpanContext.SpanID() || !got.IsSampled() {
				t.Errorf("sampled record: RecordContext %v, want the consume span", got)
			}
		}
	}
}
