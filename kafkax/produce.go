package kafkax

import (
	"context"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/exception"
	"github.com/otelkit/otelkit/internal/semconv"
)

// stateKey finds the produceState in a record's context.
type stateKey struct{}

// produceState is what kafkax keeps about one record from Produce to its
// acknowledgement. It is at once the context the produce span starts from
// (it wraps the record's own context), the start time of the send, and the
// storage of the trace context header, so that propagating costs no more
// than the propagator's own formatting (nothing more with the W3C
// propagator, whose traceparent value kafkax formats into buf itself).
//
// Each record has a state of its own, one allocation: the record points
// into it (its header and the header's value) as long as it lives, so a
// state shared with other records, such as a block of states, would keep
// theirs alive with it (TestRetainedRecordKeepsOnlyItsState).
type produceState struct {
	context.Context // the record's context before kafkax touched it

	start time.Duration // time.Since(hooks.epoch) at Produce: monotonic, and no pointer for the GC
	rec   *kgo.Record
	span  trace.Span // the produce span; nil when none was started
	topic *topicInfo // of rec.Topic at Produce
	hdr   [1]kgo.RecordHeader
	buf   [traceparentLen]byte // room for one traceparent value
	used  bool                 // buf already holds a value
}

// Value returns the state itself for stateKey and otherwise defers to the
// wrapped context.
func (s *produceState) Value(key any) any {
	if key == (stateKey{}) {
		return s
	}
	return s.Context.Value(key)
}

// Get returns the value of the first header named key.
func (s *produceState) Get(key string) string { return headerValue(s.rec, key) }

// Keys returns the header names.
func (s *produceState) Keys() []string { return headerKeys(s.rec) }

// Set sets header key to val, replacing a header of that name (a record
// produced twice), and copying val into the state's buffer when it fits.
func (s *produceState) Set(key, val string) {
	var v []byte
	if !s.used && len(val) <= len(s.buf) {
		s.used = true
		v = s.buf[:copy(s.buf[:], val):len(val)]
	} else {
		v = []byte(val)
	}
	s.setHeader(key, v)
}

// setHeader sets header key to v, replacing a header of that name.
func (s *produceState) setHeader(key string, v []byte) {
	r := s.rec
	for i := range r.Headers {
		if r.Headers[i].Key == key {
			r.Headers[i].Value = v
			return
		}
	}
	if r.Headers == nil {
		r.Headers = s.hdr[:0]
	}
	r.Headers = append(r.Headers, kgo.RecordHeader{Key: key, Value: v})
}

// injectTraceContext writes what propagation.TraceContext.Inject writes for
// sc, formatting the traceparent value straight into the state's buffer
// instead of through a string (TestInjectTraceContextLikeOtel keeps the two
// equal).
func (s *produceState) injectTraceContext(sc trace.SpanContext) {
	if !sc.IsValid() {
		return
	}
	if ts := sc.TraceState().String(); ts != "" {
		s.Set(tracestateHeader, ts)
	} else {
		// A record produced again must not keep the trace state of
		// its previous trace: an empty value reads as none.
		for i := range s.rec.Headers {
			if s.rec.Headers[i].Key == tracestateHeader {
				s.rec.Headers[i].Value = nil
			}
		}
	}
	var v []byte
	if !s.used {
		s.used = true
		v = s.buf[:traceparentLen:traceparentLen]
	} else {
		v = make([]byte, traceparentLen)
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	// Only the flags the specification defines: sampled and random.
	flags := [1]byte{byte(sc.TraceFlags() & (trace.FlagsSampled | trace.FlagsRandom))}
	formatTraceparent((*[traceparentLen]byte)(v), &tid, &sid, flags[0])
	s.setHeader(traceparentHeader, v)
}

// inject writes sc, the context of the span in ctx, into the state's
// record with the configured propagator.
func (h *hooks) inject(ctx context.Context, sc trace.SpanContext, st *produceState) {
	if !h.std {
		h.cfg.propagator.Inject(ctx, st)
		return
	}
	for _, p := range h.stdProps {
		if _, ok := p.(propagation.TraceContext); ok {
			st.injectTraceContext(sc)
		} else if baggage.FromContext(ctx).Len() > 0 {
			// propagation.Baggage, which writes nothing for an
			// empty baggage: the check saves its String.
			p.Inject(ctx, st)
		}
	}
}

// OnProduceRecordBuffered starts the PRODUCER span of r, a child of the
// record's context (the Produce context unless r.Context was set), and
// writes the span's context into r's headers. The trace context is written
// even when the span is not sampled, so that the consumer keeps the
// sampling decision. When the parent is valid and not sampled, no span is
// started (see WithSamplerForEveryRecord) and the parent's context is
// written.
func (h *hooks) OnProduceRecordBuffered(r *kgo.Record) {
	parent := r.Context
	if parent == nil {
		parent = context.Background()
	} else if pr, ok := parent.(*polledRecord); ok {
		// A record polled without a caller span and without a span of
		// its own (its producer was not sampled), produced again as it
		// is: kgo keeps its Context, in which the producer's context is
		// not yet read.
		parent = RecordContext(pr.Context, r)
	}
	ti := h.topic(r.Topic)
	st := &produceState{Context: parent, start: time.Since(h.epoch), rec: r, topic: ti}
	if !h.cfg.askAlways {
		if psc := trace.SpanContextFromContext(parent); psc.IsValid() && !psc.IsSampled() {
			h.inject(parent, psc, st)
			r.Context = st
			return
		}
	}
	opts := h.produceStart
	if h.cfg.produceHook != nil {
		if kvs := h.cfg.produceHook(parent, r); len(kvs) > 0 {
			opts = append(slices.Clip(opts), trace.WithAttributes(kvs...))
		}
	}
	ctx, span := h.tracer.Start(st, ti.produceName, opts...)
	st.span = span
	h.inject(ctx, span.SpanContext(), st)
	r.Context = ctx
	// The span's attributes are all set at the acknowledgement, in one
	// call: samplers do not see attributes set after the start anyway.
}

// OnProduceRecordUnbuffered ends the span of r at its acknowledgement (or
// failure) with the partition and offset or the error, records the metrics,
// and gives the record its own context back.
func (h *hooks) OnProduceRecordUnbuffered(r *kgo.Record, err error) {
	if r.Context == nil {
		return
	}
	st, ok := r.Context.Value(stateKey{}).(*produceState)
	if !ok {
		return
	}
	span := st.span
	r.Context = st.Context
	dur := (time.Since(h.epoch) - st.start).Seconds()
	ti := st.topic
	// The state stays alive as long as r holds its header. Its Context
	// stays too: kgo may still wait on the Done of the context it saw.
	st.rec, st.span, st.topic = nil, nil, nil
	if ti.name != r.Topic { // changed by the user since Produce
		ti = h.topic(r.Topic)
	}
	if err == nil {
		ti.sentOK.Add(1)
		h.duration.Record(context.Background(), dur, ti.sendDur...)
	} else {
		set := errorOpts(metric.NewRecordConfig(ti.sendDur).Attributes(), err)
		h.errMu.Lock()
		h.sentErr[set]++
		h.errMu.Unlock()
		h.duration.Record(context.Background(), dur, metric.WithAttributeSet(set))
	}
	if span == nil || !span.IsRecording() {
		return
	}
	ci := h.client.Load()
	m := h.cfg.mode
	pa := getAttrs()
	attrs := semconv.AppendMessaging(*pa, m, system, semconv.MessagingSend, r.Topic)
	if k, ok := messageKey(r.Key); ok {
		attrs = append(attrs, semconv.MessagingKafkaMessageKeyKey.String(k))
	}
	attrs = semconv.AppendKafkaClientID(attrs, m, ci.id)
	attrs = append(attrs, h.cfg.attrs...)
	if err != nil {
		span.SetAttributes(attrs...)
		h.recordError(span, exception.MessagingSend, err)
	} else {
		attrs = semconv.AppendKafkaPartition(attrs, m, r.Partition)
		attrs = semconv.AppendKafkaOffset(attrs, m, r.Offset)
		span.SetAttributes(attrs...)
	}
	putAttrs(pa, attrs)
	if h.cfg.endHook != nil {
		h.cfg.endHook(span, r, err)
	}
	// The span takes its end time itself: a WithTimestamp option would
	// cost an allocation.
	span.End()
}

// recordError marks span as failed with an exception of kind k (a span
// event or a log record, see internal/exception, per WithExceptionSignal or
// the environment) and error.type under the stable conventions.
func (h *hooks) recordError(span trace.Span, k exception.Kind, err error) {
	exception.Recorder{Kind: k, Scope: ScopeName, Signal: h.cfg.excSignal}.Error(context.Background(), span, err, "")
	span.SetStatus(codes.Error, err.Error())
	if semconv.EmitStable(h.cfg.mode) {
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
	}
}
