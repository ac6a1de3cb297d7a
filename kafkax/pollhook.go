package kafkax

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/semconv"
)

// The consume spans of a client polled with its own PollFetches or
// PollRecords come from these hooks: kgo calls OnPollStart at the start of
// each poll and OnFetchRecordUnbuffered for each record it returns.
//
// Never both: a record polled through kafkax.PollFetches or PollRecords
// gets its spans from pollDone only. kafkax cannot tell, in the hook, which
// poll a record comes from (kgo may run the unbuffered hooks of one
// goroutine's poll on another poller's goroutine, after the first poll has
// returned), so the choice is made per client and once: the first call of
// kafkax's PollFetches or PollRecords on a client sets hooks.kafkaxPolls
// before it polls, and from then on the hooks start nothing for that
// client. The setting happens before kgo takes the poll's records under its
// sourcesReadyMu and the hook runs after the same mutex hands them over, so
// every hook call for a record kafkax polls sees it (and returns without
// touching the record, which kafkax may be writing meanwhile). A client
// polled both ways gets, once kafkax has polled it, consume spans from
// kafkax's polls only.
var (
	_ kgo.HookPollStart             = (*hooks)(nil)
	_ kgo.HookFetchRecordUnbuffered = (*hooks)(nil)
)

// plainPoll is what the hooks keep of the client's latest poll not made
// through kafkax: its context (for batch spans) and start time.
type plainPoll struct {
	poll
	opts [2]trace.SpanStartOption // backing p.start
}

// openBatch is the batch span (WithBatchSpans) of one topic's records of a
// plain poll, ended at the next poll or when the client closes.
type openBatch struct {
	poll         *plainPoll
	ti           *topicInfo
	span         trace.Span
	ctx          context.Context // carrying span, for records without a context
	last         time.Time       // when the latest record was handed over
	n            int
	partition    int32
	onePartition bool
	linking      bool
	dl           droppedLinks
}

// OnPollStart notes the start of a poll of the client (for the spans of a
// client not polled through kafkax) and ends the batch spans of the
// previous poll.
func (h *hooks) OnPollStart(ctx context.Context) {
	h.endBatches()
	if h.kafkaxPolls.Load() {
		return
	}
	if ctx == nil {
		ctx = context.Background()
	}
	pp := &plainPoll{}
	pp.ctx = ctx
	pp.ci = h.client.Load()
	pp.opts = [2]trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(time.Now())}
	pp.start = pp.opts[:]
	if h.cfg.batch {
		csc := trace.SpanContextFromContext(ctx)
		pp.hasCaller = csc.IsValid()
		pp.skip = pp.hasCaller && !csc.IsSampled() && !h.cfg.askAlways
	}
	h.lastPoll.Store(pp)
}

// OnFetchRecordUnbuffered gives a record returned by the client's own
// PollFetches or PollRecords its consume span: one per record, from the
// start of the poll to now, a child of the producer's span read from the
// headers; or, with WithBatchSpans(true), the open batch span of its topic.
// Records discarded without being polled, and every record of a client
// that kafkax's PollFetches or PollRecords has polled, are left alone.
func (h *hooks) OnFetchRecordUnbuffered(r *kgo.Record, polled bool) {
	if !polled || h.kafkaxPolls.Load() {
		return
	}
	pp := h.lastPoll.Load()
	if pp == nil {
		return // no poll started since the client was created: cannot happen
	}
	ti := h.topic(r.Topic)
	h.consumed.Add(context.Background(), 1, ti.consumed...)
	if h.cfg.batch {
		h.addToBatch(pp, ti, r)
		return
	}
	if !h.std {
		h.consume(&pp.poll, ti, r, nil)
		return
	}
	if !h.cfg.askAlways {
		if sc := h.producerContext(r); sc.IsValid() && !sc.IsSampled() {
			// No span, and no allocation: RecordContext reads the
			// headers again from the client's shared polledRecord.
			if r.Context == nil {
				r.Context = h.sharedPolled
			} else {
				r.Context = &polledRecord{Context: r.Context, h: h}
			}
			return
		}
	}
	h.consume(&pp.poll, ti, r, &polledRecord{})
}

// addToBatch adds r to the open batch span of its topic, starting one when
// the topic has none for the latest poll.
func (h *hooks) addToBatch(pp *plainPoll, ti *topicInfo, r *kgo.Record) {
	if pp.skip {
		return // RecordContext returns the caller's context, as for kafkax's polls
	}
	h.batchMu.Lock()
	defer h.batchMu.Unlock()
	b := h.batches[ti.name]
	if b != nil && b.poll != pp {
		h.endBatch(b)
		b = nil
	}
	if b == nil {
		_, span := h.tracer.Start(pp.ctx, ti.consumeName, pp.start...)
		b = &openBatch{poll: pp, ti: ti, span: span, partition: -1, onePartition: true, linking: true}
		if span.IsRecording() {
			b.ctx = trace.ContextWithSpan(context.Background(), span)
			b.dl, _ = span.(droppedLinks)
		}
		if h.batches == nil {
			h.batches = map[string]*openBatch{}
		}
		h.batches[ti.name] = b
	}
	b.n++
	b.last = time.Now()
	if b.partition >= 0 && r.Partition != b.partition {
		b.onePartition = false
	}
	b.partition = r.Partition
	if b.ctx == nil {
		// Not recorded: RecordContext reads the producer's context
		// from the headers, as for kafkax's polls.
		if !pp.hasCaller {
			if r.Context == nil {
				r.Context = h.sharedPolled
			} else {
				r.Context = &polledRecord{Context: r.Context, h: h}
			}
		}
		return
	}
	if b.linking {
		if sc := h.producerContext(r); sc.IsValid() {
			b.span.AddLink(trace.Link{SpanContext: sc})
			b.linking = b.dl == nil || b.dl.DroppedLinks() == 0
		} else {
			h.logMalformed(r)
		}
	}
	if r.Context == nil {
		r.Context = b.ctx
	} else {
		r.Context = trace.ContextWithSpan(r.Context, b.span)
	}
}

// endBatches ends the open batch spans.
func (h *hooks) endBatches() {
	if !h.cfg.batch {
		return
	}
	h.batchMu.Lock()
	defer h.batchMu.Unlock()
	for _, b := range h.batches {
		h.endBatch(b)
	}
}

// endBatch ends b, recorded or not, at the hand-over of its last record and
// forgets it. h.batchMu is held.
func (h *hooks) endBatch(b *openBatch) {
	delete(h.batches, b.ti.name)
	if b.ctx == nil {
		b.span.End()
		return
	}
	m := h.cfg.mode
	pa := getAttrs()
	attrs := semconv.AppendMessaging(*pa, m, system, semconv.MessagingReceive, b.ti.name)
	if b.onePartition {
		attrs = semconv.AppendKafkaPartition(attrs, m, b.partition)
	}
	attrs = append(attrs, semconv.MessagingBatchMessageCountKey.Int(b.n))
	p := b.poll.poll
	p.end = []trace.SpanEndOption{trace.WithTimestamp(b.last)}
	h.endReceive(b.span, &p, pa, attrs, nil)
}
