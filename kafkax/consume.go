package kafkax

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/exception"
	"github.com/otelkit/otelkit/internal/instrumentation"
	"github.com/otelkit/otelkit/internal/semconv"
)

// PollFetches is cl.PollFetches(ctx) that also starts, for each polled
// record, a CONSUMER span covering the poll (kafka.consume by default,
// "receive <topic>" under the stable conventions).
//
// When ctx carries a span, each record's span is its child and links to the
// producer's span found in the record headers; otherwise the producer's span
// is the parent. A record whose trace context header cannot be parsed is
// returned like any other, its span starting a new trace. Poll errors other
// than the end of ctx and a closed client yield a span with status ERROR.
// RecordContext continues the trace of a returned record. No span is
// started for a record whose parent (the span in ctx or, without one, the
// producer's) is not sampled, unless WithSamplerForEveryRecord(true) was given.
// WithBatchSpans(true) makes it one span per topic and poll instead.
//
// The spans use the configuration of the client's Opts; a client built
// without them gets one read from the globals at each call.
func PollFetches(ctx context.Context, cl *kgo.Client) kgo.Fetches {
	return PollRecords(ctx, cl, 0)
}

// PollRecords is cl.PollRecords(ctx, maxPollRecords) with the spans of
// PollFetches.
func PollRecords(ctx context.Context, cl *kgo.Client, maxPollRecords int) kgo.Fetches {
	h := hooksOf(cl)
	if h == nil && !instrumentation.Enabled(instrumentation.Kafka) {
		return cl.PollRecords(ctx, maxPollRecords) // switched off: the bare poll
	}
	if h != nil && !h.kafkaxPolls.Load() {
		// From now on the client's fetch hooks start no span: the
		// records of this poll and the next are kafkax's (see
		// pollhook.go for why this must precede the poll).
		h.kafkaxPolls.Store(true)
	}
	start := time.Now()
	fetches := cl.PollRecords(ctx, maxPollRecords)
	end := time.Now()

	if h == nil {
		h = newHooks(newConfig(nil))
		defer h.close()
		h.OnNewClient(cl)
	}
	h.pollDone(ctx, fetches, start, end)
	return fetches
}

// poll holds what is shared by the records of one poll.
type poll struct {
	ctx       context.Context
	hasCaller bool // ctx carries a valid span
	skip      bool // that span is not sampled: start no span (see WithSamplerForEveryRecord)
	start     []trace.SpanStartOption
	end       []trace.SpanEndOption
	ci        *clientInfo
}

func (h *hooks) pollDone(ctx context.Context, fetches kgo.Fetches, start, end time.Time) {
	if ctx == nil {
		ctx = context.Background()
	}
	p := poll{
		ctx:   ctx,
		start: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(start)},
		end:   []trace.SpanEndOption{trace.WithTimestamp(end)},
		ci:    h.client.Load(),
	}
	csc := trace.SpanContextFromContext(ctx)
	p.hasCaller = csc.IsValid()
	p.skip = p.hasCaller && !csc.IsSampled() && !h.cfg.askAlways

	dur := end.Sub(start).Seconds()
	for i := range fetches {
		for j := range fetches[i].Topics {
			t := &fetches[i].Topics[j]
			var ti *topicInfo
			n := 0
			for k := range t.Partitions {
				pt := &t.Partitions[k]
				if pt.Err != nil {
					h.pollError(&p, t.Topic, pt.Partition, pt.Err, dur)
				}
				if len(pt.Records) == 0 {
					continue
				}
				if ti == nil {
					ti = h.topic(t.Topic)
				}
				n += len(pt.Records)
				if p.skip || h.cfg.batch {
					// The caller's span is not sampled: neither are
					// the records', and RecordContext returns ctx.
					continue
				}
				var polled []polledRecord
				if h.std && !p.hasCaller {
					// One allocation for the partition's records,
					// instead of one or more per record. A record
					// the application keeps keeps the block alive,
					// as it keeps kgo's own block of the batch's
					// records and their bytes (Key and Value are
					// slices of the fetched batch).
					polled = make([]polledRecord, len(pt.Records))
				}
				for k, r := range pt.Records {
					var pr *polledRecord
					if polled != nil {
						pr = &polled[k]
					}
					h.consume(&p, ti, r, pr)
				}
			}
			if n > 0 {
				// One measurement per topic and fetch, not per record.
				h.consumed.Add(context.Background(), int64(n), ti.consumed...)
				h.duration.Record(context.Background(), dur, ti.receiveDur...)
				if h.cfg.batch && !p.skip && firstWithRecords(fetches, i, j) {
					h.consumeBatch(&p, ti, fetches[i:], t.Topic)
				}
			}
		}
	}
}

// firstWithRecords reports whether fetches[i].Topics[j] is the first entry
// of its topic with records in fetches (a topic whose partitions have
// different leaders comes in the fetch of each broker).
func firstWithRecords(fetches kgo.Fetches, i, j int) bool {
	name := fetches[i].Topics[j].Topic
	for fi := range i + 1 {
		topics := fetches[fi].Topics
		if fi == i {
			topics = topics[:j]
		}
		for k := range topics {
			if topics[k].Topic == name && hasRecords(&topics[k]) {
				return false
			}
		}
	}
	return true
}

func hasRecords(t *kgo.FetchTopic) bool {
	for k := range t.Partitions {
		if len(t.Partitions[k].Records) > 0 {
			return true
		}
	}
	return false
}

// eachPartition calls f for each partition of topic in fetches.
func eachPartition(fetches kgo.Fetches, topic string, f func(*kgo.FetchPartition)) {
	for i := range fetches {
		for j := range fetches[i].Topics {
			if t := &fetches[i].Topics[j]; t.Topic == topic {
				for k := range t.Partitions {
					f(&t.Partitions[k])
				}
			}
		}
	}
}

// droppedLinks is implemented by the SDK's spans (sdktrace.ReadOnlySpan).
type droppedLinks interface{ DroppedLinks() int }

// consumeBatch starts and ends the one span of topic's records in fetches
// (WithBatchSpans). When the span is recorded, each record's Context
// carries it afterwards; when it is not and there is no caller span, the
// record's Context is a polledRecord, for RecordContext to read the
// producer's context from the headers on demand.
func (h *hooks) consumeBatch(p *poll, ti *topicInfo, fetches kgo.Fetches, topic string) {
	_, span := h.tracer.Start(p.ctx, ti.consumeName, p.start...)
	if !span.IsRecording() {
		if !p.hasCaller {
			var shared *polledRecord
			eachPartition(fetches, topic, func(pt *kgo.FetchPartition) {
				for _, r := range pt.Records {
					switch {
					case r.Context != nil:
						r.Context = &polledRecord{Context: r.Context, h: h}
					case shared != nil:
						r.Context = shared
					default:
						shared = &polledRecord{Context: context.Background(), h: h}
						r.Context = shared
					}
				}
			})
		}
		return
	}
	// The links are added after the start so that no header is parsed for
	// a span that is not recorded; samplers do not see them. Once the SDK
	// drops one, its link limit is reached and the headers of the other
	// records are not read.
	dl, _ := span.(droppedLinks)
	linking := true
	var shared context.Context
	n, partition, onePartition := 0, int32(-1), true
	eachPartition(fetches, topic, func(pt *kgo.FetchPartition) {
		if len(pt.Records) == 0 {
			return
		}
		if partition >= 0 && pt.Partition != partition {
			onePartition = false
		}
		partition = pt.Partition
		n += len(pt.Records)
		for _, r := range pt.Records {
			if linking {
				if sc := h.producerContext(r); sc.IsValid() {
					span.AddLink(trace.Link{SpanContext: sc})
					linking = dl == nil || dl.DroppedLinks() == 0
				} else {
					h.logMalformed(r)
				}
			}
			switch {
			case r.Context != nil:
				r.Context = trace.ContextWithSpan(r.Context, span)
			case shared != nil:
				r.Context = shared
			default:
				shared = trace.ContextWithSpan(context.Background(), span)
				r.Context = shared
			}
		}
	})
	m := h.cfg.mode
	pa := getAttrs()
	attrs := semconv.AppendMessaging(*pa, m, system, semconv.MessagingReceive, topic)
	if onePartition {
		attrs = semconv.AppendKafkaPartition(attrs, m, partition)
	}
	attrs = append(attrs, semconv.MessagingBatchMessageCountKey.Int(n))
	h.endReceive(span, p, pa, attrs, nil)
}

// endReceive ends a recorded consume span at the end of the poll, with
// attrs (grown from the pooled *pa) and the consumer group, client id and
// WithAttributes, after the WithEndHook hook (r is the span's record, nil
// for a batch span).
func (h *hooks) endReceive(span trace.Span, p *poll, pa *[]attribute.KeyValue, attrs []attribute.KeyValue, r *kgo.Record) {
	m := h.cfg.mode
	attrs = semconv.AppendKafkaConsumerGroup(attrs, m, p.ci.group)
	attrs = semconv.AppendKafkaClientID(attrs, m, p.ci.id)
	attrs = append(attrs, h.cfg.attrs...)
	span.SetAttributes(attrs...)
	putAttrs(pa, attrs)
	if h.cfg.endHook != nil {
		h.cfg.endHook(span, r, nil)
	}
	span.End(p.end...)
}

// polledRecord is the context kafkax gives a record polled without a caller
// span, when the propagator is the standard one: the record's own context,
// and the producer's span context parsed from the headers, kept either as
// the remote parent of the consume span (rs) or, when that span was not
// started, for RecordContext to read the headers again on demand.
type polledRecord struct {
	context.Context // the record's own context
	h               *hooks
	rs              remoteSpan
}

// consume starts and ends the span of one polled record. When the span is
// recorded, the record's Context carries it afterwards (see RecordContext).
// pr, set when the propagator is the standard one and there is no caller
// span, is where the producer's span context is kept.
func (h *hooks) consume(p *poll, ti *topicInfo, r *kgo.Record, pr *polledRecord) {
	base := r.Context
	if base == nil {
		base = context.Background()
	}
	parent := p.ctx
	var producer trace.SpanContext
	extracted := false
	if !p.hasCaller {
		if pr != nil {
			// The standard propagators: the producer's context is
			// parsed here, and the baggage read only if needed.
			producer, extracted = h.producerContext(r), true
			if producer.IsValid() && !producer.IsSampled() && !h.cfg.askAlways {
				pr.Context, pr.h, pr.rs.sc, pr.rs.Span = base, h, producer, h.noopSpan
				r.Context = pr
				return
			}
			parent = h.extract(base, r, &pr.rs, producer)
		} else {
			parent = h.cfg.propagator.Extract(base, (*recordCarrier)(r))
			producer, extracted = trace.SpanContextFromContext(parent), true
			if producer.IsValid() && !producer.IsSampled() && !h.cfg.askAlways {
				r.Context = parent
				return
			}
		}
	}
	opts := p.start
	if h.cfg.consumeHook != nil {
		if kvs := h.cfg.consumeHook(parent, r); len(kvs) > 0 {
			opts = append(slices.Clip(opts), trace.WithAttributes(kvs...))
		}
	}
	ctx, span := h.tracer.Start(parent, ti.consumeName, opts...)
	if !span.IsRecording() {
		if !p.hasCaller {
			// The unsampled span carries the producer's trace and
			// baggage, read with the configured propagator, on to
			// RecordContext.
			r.Context = ctx
		}
		return
	}
	if p.hasCaller {
		// The link is added after the start so that no header is parsed
		// for a span that is not recorded; samplers do not see it.
		producer, extracted = h.producerContext(r), true
		if producer.IsValid() {
			span.AddLink(trace.Link{SpanContext: producer})
		}
		ctx = trace.ContextWithSpan(base, span)
	}
	if extracted && !producer.IsValid() {
		h.logMalformed(r)
	}
	m := h.cfg.mode
	pa := getAttrs()
	attrs := semconv.AppendMessaging(*pa, m, system, semconv.MessagingReceive, r.Topic)
	attrs = semconv.AppendKafkaPartition(attrs, m, r.Partition)
	attrs = semconv.AppendKafkaOffset(attrs, m, r.Offset)
	if k, ok := messageKey(r.Key); ok {
		attrs = append(attrs, semconv.MessagingKafkaMessageKeyKey.String(k))
	}
	h.endReceive(span, p, pa, attrs, r)
	r.Context = ctx
}

// extract returns base with what the standard propagators read from r's
// headers, sc being the traceparent already parsed: the span context is
// kept in rs, which saves the propagator's allocations.
func (h *hooks) extract(base context.Context, r *kgo.Record, rs *remoteSpan, sc trace.SpanContext) context.Context {
	ctx := base
	for _, p := range h.stdProps {
		if _, ok := p.(propagation.TraceContext); !ok {
			ctx = p.Extract(ctx, (*recordCarrier)(r))
		} else if sc.IsValid() {
			if rs.Span == nil {
				rs.Span = h.noopSpan
			}
			rs.sc = sc
			ctx = trace.ContextWithSpan(ctx, rs)
		}
	}
	return ctx
}

// producerContext returns the span context that the configured propagator
// reads from r's headers.
func (h *hooks) producerContext(r *kgo.Record) trace.SpanContext {
	switch {
	case !h.std:
		return trace.SpanContextFromContext(h.cfg.propagator.Extract(context.Background(), (*recordCarrier)(r)))
	case h.stdTC:
		return extractTraceContext(r)
	}
	return trace.SpanContext{}
}

// pollError records a failed poll of topic (which may be empty) as an ERROR
// span under the caller's context. The end of ctx and a closed client are
// how a poll loop stops, not failures, and are ignored.
func (h *hooks) pollError(p *poll, topic string, partition int32, err error, dur float64) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, kgo.ErrClientClosed) {
		return
	}
	ti := h.topic(topic)
	set := errorOpts(metric.NewRecordConfig(ti.receiveDur).Attributes(), err)
	h.duration.Record(context.Background(), dur, metric.WithAttributeSet(set))
	_, span := h.tracer.Start(p.ctx, ti.consumeName, p.start...)
	if !span.IsRecording() {
		return
	}
	m := h.cfg.mode
	attrs := make([]attribute.KeyValue, 0, 10+len(h.cfg.attrs))
	attrs = semconv.AppendMessaging(attrs, m, system, semconv.MessagingReceive, topic)
	if partition >= 0 {
		attrs = semconv.AppendKafkaPartition(attrs, m, partition)
	}
	attrs = semconv.AppendKafkaConsumerGroup(attrs, m, p.ci.group)
	attrs = semconv.AppendKafkaClientID(attrs, m, p.ci.id)
	span.SetAttributes(append(attrs, h.cfg.attrs...)...)
	h.recordError(span, exception.MessagingReceive, err)
	if h.cfg.endHook != nil {
		h.cfg.endHook(span, nil, err)
	}
	span.End(p.end...)
}

// logMalformed reports at debug level a record whose headers hold a trace
// context field that the propagator could not parse.
func (h *hooks) logMalformed(r *kgo.Record) {
	if !h.cfg.logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	for _, f := range h.cfg.propagator.Fields() {
		// Baggage is not trace context: a record may carry it without
		// a traceparent, and a Baggage propagator alone reads no span.
		if f == baggageHeader {
			continue
		}
		if v := headerValue(r, f); v != "" {
			h.cfg.logger.Debug("kafkax: unparsable trace context in record header; consuming the record with a new trace",
				slog.String("header", f),
				slog.String("topic", r.Topic),
				slog.Int64("partition", int64(r.Partition)),
				slog.Int64("offset", r.Offset))
			return
		}
	}
}

// RecordContext returns ctx carrying the span that continues the trace of
// a polled record, for the spans of its processing:
//
//   - the record's consume span, when PollFetches or PollRecords (or the
//     client's own poll) recorded one, or made one (sampled or not)
//     without a span in their ctx; the baggage of the record headers comes
//     with it;
//   - under WithBatchSpans(true), the recorded batch span of the record's topic
//     and poll (without the baggage of the record headers); when none was
//     recorded, ctx if the poll's ctx carried a span, else the producer's
//     span context and baggage read from the headers with the client's
//     propagator;
//   - otherwise ctx itself, when it carries a span (the consume span would
//     have been its child and was not sampled);
//   - otherwise the producer's span context and baggage read from the
//     record headers: with the client's propagator for a record polled by
//     a client built with Opts, with the global propagator for any other.
func RecordContext(ctx context.Context, r *kgo.Record) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	if pr, ok := r.Context.(*polledRecord); ok {
		// Polled without a caller span and not sampled: the headers are
		// read now, with the client's propagator. With the standard
		// ones, the producer's span context parsed at the poll (per
		// record spans) is kept in pr.rs.
		if !pr.h.std {
			return pr.h.cfg.propagator.Extract(ctx, (*recordCarrier)(r))
		}
		rs := &pr.rs
		if !rs.sc.IsValid() {
			// A batch's shared polledRecord.
			rs = &remoteSpan{sc: pr.h.producerContext(r)}
		}
		return pr.h.extract(ctx, r, rs, rs.sc)
	}
	if r.Context != nil {
		if span := trace.SpanFromContext(r.Context); span.SpanContext().IsValid() {
			if b := baggage.FromContext(r.Context); b.Len() > 0 {
				ctx = baggage.ContextWithBaggage(ctx, b)
			}
			return trace.ContextWithSpan(ctx, span)
		}
	}
	if trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	return otel.GetTextMapPropagator().Extract(ctx, (*recordCarrier)(r))
}
