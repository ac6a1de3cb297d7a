package kafkax_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kotel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/kafkax"
)

// benchMode is one column of BenchmarkProduceConsume.
type benchMode struct {
	name    string
	impl    string // "bare", "kotel" or "kafkax"
	ratio   float64
	header  bool // bare: the application writes a traceparent header itself
	own     bool // bare with header: each record gets a header slice of its own
	caller  bool // each poll runs under its own span (an HTTP handler reading the topic)
	request bool // records are produced 10 at a time under a request span
	batch   bool // kafkax.WithBatchSpans on the consumer
	plain   bool // the consumer calls cl.PollFetches itself: spans from kafkax's hooks
	// bare: the application writes each record's traceparent from the
	// Produce context itself, with the propagator ("inject") or by
	// formatting the value into a header slice of the record's own
	// ("format").
	write string
}

var benchModes = []benchMode{
	{name: "bare", impl: "bare"},
	// What carrying a trace context costs kgo itself: the same records
	// with a 55-byte traceparent header the application wrote.
	{name: "bare-header", impl: "bare", header: true},
	// The same, each record with a header slice of its own (one
	// allocation; the value bytes are shared), as an application that
	// writes each record's trace context needs: sharing one slice among
	// records is only safe for a constant header.
	{name: "bare-header-own", impl: "bare", header: true, own: true},
	// Bare franz-go inside an application whose request spans (and only
	// those) are sampled at 1%, without and with the header: the
	// baselines of ratio1pct-request.
	{name: "bare-request", impl: "bare", ratio: 0.01, request: true},
	{name: "bare-request-header", impl: "bare", ratio: 0.01, request: true, header: true},
	{name: "bare-request-header-own", impl: "bare", ratio: 0.01, request: true, header: true, own: true},
	// The honest floors of an application that carries its requests'
	// trace context itself, without instrumentation: each record's
	// traceparent written from its context, with prop.Inject and kotel's
	// carrier (what the OpenTelemetry API offers), or formatted by hand
	// into one header slice and one value per record.
	{name: "bare-request-header-inject", impl: "bare", ratio: 0.01, request: true, write: "inject"},
	{name: "bare-request-header-format", impl: "bare", ratio: 0.01, request: true, write: "format"},
	// The same two spans per record written by hand on the SDK (kotel's
	// carrier for the headers): the floor that no instrumentation built on
	// the SDK goes under.
	{name: "manual-sampled", impl: "manual", ratio: 1},
	{name: "kotel-sampled", impl: "kotel", ratio: 1},
	{name: "kotel-ratio1pct", impl: "kotel", ratio: 0.01},
	{name: "kotel-ratio1pct-request", impl: "kotel", ratio: 0.01, request: true},
	{name: "sampled", impl: "kafkax", ratio: 1},
	// One consume span per poll, linked to each record's producer.
	{name: "sampled-batch", impl: "kafkax", ratio: 1, batch: true},
	{name: "ratio1pct", impl: "kafkax", ratio: 0.01},
	// The consumer polls with cl.PollFetches (no code change): the consume
	// spans come from kgo's fetch hooks, as kotel's do.
	{name: "plain-sampled", impl: "kafkax", ratio: 1, plain: true},
	{name: "plain-sampled-batch", impl: "kafkax", ratio: 1, plain: true, batch: true},
	{name: "plain-ratio1pct", impl: "kafkax", ratio: 0.01, plain: true},
	{name: "ratio1pct-caller", impl: "kafkax", ratio: 0.01, caller: true},
	{name: "ratio1pct-request", impl: "kafkax", ratio: 0.01, request: true},
}

// BenchmarkProduceConsume produces 10,000 records to kfake and polls them
// back, per op, in each benchMode: bare franz-go, franz-go's kotel plugin
// and kafkax, every record sampled or under
// ParentBased(TraceIDRatioBased(0.01)): with no span around the produce
// and the poll (every produced record is a root), with each poll under its
// own span, and with records produced under request spans as the demo
// service does. Compare with
//
//	benchstat -col /mode bench.txt
func BenchmarkProduceConsume(b *testing.B) {
	const n = 10_000
	keys := make([][]byte, 100)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "user-%d", i)
	}
	value := make([]byte, 100)
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	tpHeader := []kgo.RecordHeader{{Key: "traceparent", Value: []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")}}

	for _, mode := range benchModes {
		b.Run("mode="+mode.name, func(b *testing.B) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			popts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(topic)}
			copts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
			poll := func(ctx context.Context, cl *kgo.Client) kgo.Fetches { return cl.PollFetches(ctx) }
			var tp *sdktrace.TracerProvider
			if mode.ratio > 0 {
				sampler := sdktrace.AlwaysSample()
				if mode.ratio < 1 {
					sampler = sdktrace.ParentBased(sdktrace.TraceIDRatioBased(mode.ratio))
				}
				tp = sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler),
					sdktrace.WithSyncer(tracetest.NewNoopExporter()))
			}
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			var failed atomic.Int64
			promise := func(_ *kgo.Record, err error) {
				if err != nil {
					failed.Add(1)
				}
			}
			switch mode.impl {
			case "kotel":
				k := kotel.NewKotel(
					kotel.WithTracer(kotel.NewTracer(kotel.TracerProvider(tp), kotel.TracerPropagator(prop))),
					kotel.WithMeter(kotel.NewMeter(kotel.MeterProvider(mp))))
				popts = append(popts, kgo.WithHooks(k.Hooks()...))
				k = kotel.NewKotel(
					kotel.WithTracer(kotel.NewTracer(kotel.TracerProvider(tp), kotel.TracerPropagator(prop))),
					kotel.WithMeter(kotel.NewMeter(kotel.MeterProvider(mp))))
				copts = append(copts, kgo.WithHooks(k.Hooks()...))
			case "manual":
				tracer := tp.Tracer("manual")
				poll = func(ctx context.Context, cl *kgo.Client) kgo.Fetches {
					fs := cl.PollFetches(ctx)
					fs.EachRecord(func(r *kgo.Record) {
						_, span := tracer.Start(prop.Extract(ctx, kotel.NewRecordCarrier(r)), "kafka.consume",
							trace.WithSpanKind(trace.SpanKindConsumer))
						span.SetAttributes(manualAttrs(r, "receive")...)
						span.End()
					})
					return fs
				}
				inner := promise
				promise = func(r *kgo.Record, err error) {
					span := trace.SpanFromContext(r.Context)
					span.SetAttributes(manualAttrs(r, "publish")...)
					span.End()
					inner(r, err)
				}
			case "kafkax":
				kx := []kafkax.Option{kafkax.WithTracerProvider(tp), kafkax.WithMeterProvider(mp), kafkax.WithPropagators(prop)}
				popts = append(popts, kafkax.Opts(kx...)...)
				if mode.batch {
					copts = append(copts, kafkax.Opts(append(kx, kafkax.WithBatchSpans(true))...)...)
				} else {
					copts = append(copts, kafkax.Opts(kx...)...)
				}
				if !mode.plain {
					poll = kafkax.PollFetches
				}
				if mode.caller {
					tracer := tp.Tracer("handler")
					poll = func(ctx context.Context, cl *kgo.Client) kgo.Fetches {
						ctx, span := tracer.Start(ctx, "GET /logs/kafka", trace.WithSpanKind(trace.SpanKindServer))
						defer span.End()
						return kafkax.PollFetches(ctx, cl)
					}
				}
			}
			prod, err := kgo.NewClient(popts...)
			if err != nil {
				b.Fatal(err)
			}
			defer prod.Close()
			cons, err := kgo.NewClient(copts...)
			if err != nil {
				b.Fatal(err)
			}
			defer cons.Close()

			produce := func(ctx context.Context, i int) {
				r := &kgo.Record{Key: keys[i%len(keys)], Value: value}
				switch {
				case mode.own:
					r.Headers = []kgo.RecordHeader{tpHeader[0]}
				case mode.header:
					r.Headers = tpHeader
				case mode.write == "inject":
					prop.Inject(ctx, kotel.NewRecordCarrier(r))
				case mode.write == "format":
					r.Headers = []kgo.RecordHeader{{Key: "traceparent", Value: appendTraceparent(make([]byte, 0, 55), trace.SpanContextFromContext(ctx))}}
				}
				if mode.impl == "manual" {
					ctx, _ = tp.Tracer("manual").Start(ctx, "kafka.produce", trace.WithSpanKind(trace.SpanKindProducer))
					prop.Inject(ctx, kotel.NewRecordCarrier(r))
				}
				prod.Produce(ctx, r, promise)
			}
			if mode.request {
				tracer := tp.Tracer("handler")
				plain := produce
				produce = func(ctx context.Context, i int) {
					if i%10 != 0 {
						return
					}
					ctx, span := tracer.Start(ctx, "POST /db/message", trace.WithSpanKind(trace.SpanKindServer))
					for j := i; j < i+10; j++ {
						plain(ctx, j)
					}
					span.End()
				}
			}
			ctx := context.Background()
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				for i := range n {
					produce(ctx, i)
				}
				if err := prod.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < n; {
					fs := poll(ctx, cons)
					if err := fs.Err0(); err != nil {
						b.Fatal(err)
					}
					got += fs.NumRecords()
				}
			}
			if failed.Load() != 0 {
				b.Fatalf("%d records failed", failed.Load())
			}
			// The machine is shared: CPU time of the whole process (client,
			// kfake broker and GC) is steadier than wall time.
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/record")
		})
	}
}

// manualAttrs are the attributes of kafkax's spans in the default mode.
func manualAttrs(r *kgo.Record, op string) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination", r.Topic),
		attribute.String("messaging.operation", op),
		attribute.Int("messaging.kafka.partition", int(r.Partition)),
		attribute.Int64("messaging.kafka.offset", r.Offset),
		attribute.String("messaging.kafka.message.key", string(r.Key)),
		attribute.String("messaging.kafka.client_id", "kgo"),
	}
}

// appendTraceparent appends the W3C traceparent value of sc to b, as an
// application writing it by hand would.
func appendTraceparent(b []byte, sc trace.SpanContext) []byte {
	tid, sid := sc.TraceID(), sc.SpanID()
	b = append(b, "00-"...)
	b = hex.AppendEncode(b, tid[:])
	b = append(b, '-')
	b = hex.AppendEncode(b, sid[:])
	flags := [1]byte{byte(sc.TraceFlags())}
	return hex.AppendEncode(append(b, '-'), flags[:])
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
