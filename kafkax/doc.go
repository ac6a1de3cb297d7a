// Package kafkax traces Kafka produce and consume on the franz-go client
// (github.com/twmb/franz-go/pkg/kgo) and carries the trace context across
// the broker in record headers.
//
// # Producing
//
// Append Opts to the client's options (or use NewClient):
//
//	cl, err := kgo.NewClient(append(opts, kafkax.Opts()...)...)
//
// Build the client once, at start-up: each call of Opts makes its own
// metric instruments and per-topic caches.
//
// Every produced record gets a PRODUCER span, a child of the Produce
// context, named kafka.produce (or "send <topic>" under the stable
// conventions). It ends when the broker acknowledges the record, with the
// partition and offset, or with status ERROR and an exception event when
// the produce fails. The span's context is written into the record headers
// with the global propagator (W3C traceparent by default; WithPropagators
// sets another), also when the span is not sampled, so that consumers keep
// the sampling decision.
//
// # Consuming
//
// A client built with Opts traces what it consumes with no change to the
// poll loop: each record returned by the client's own PollFetches or
// PollRecords gets a CONSUMER span, named kafka.consume (or "receive
// <topic>"), a child of the producer's span read from the record headers,
// from the start of the poll (the client's latest) to the record's
// hand-over (kgo's HookPollStart and HookFetchRecordUnbuffered, as kotel
// does it; records that kgo discards without returning them get none):
//
//	fetches := cl.PollFetches(ctx)
//	fetches.EachRecord(func(r *kgo.Record) {
//		process(kafkax.RecordContext(ctx, r), r)
//	})
//
// kgo's hooks do not see which poll a record belongs to, so a span in the
// poll's ctx (an HTTP handler reading a topic) cannot become the records'
// parent that way. PollFetches and PollRecords of this package, drop-in
// replacements for the client methods of the same names, do that:
//
//	fetches := kafkax.PollFetches(ctx, cl)
//
// Each record they return yields a CONSUMER span covering the poll, a
// child of the span in ctx when there is one, linked to the producer's
// span; otherwise the producer's span is its parent.
//
// Never both: from the first call of kafkax's PollFetches or PollRecords on
// a client, before that poll, the client's hooks start no consume span;
// every record of the client then gets its span from kafkax's polls only.
// The choice is per client, not per poll, because kgo may run the hooks of
// one goroutine's poll on another poller's goroutine after the first poll
// returned: a flag raised around each kafkax poll would miss those and
// give their records two spans. Poll a client one way or the other: a
// client polled both ways gets spans from kafkax's polls only, once the
// first of them has started.
//
// RecordContext returns the context that continues the record's trace,
// whichever way it was polled. Records whose parent is not sampled get no
// span (see Sampling and cost).
//
// With WithBatchSpans(true), a poll yields instead one CONSUMER span per topic,
// with the same name, as the messaging conventions describe batch
// receiving: a child of the span in ctx (the telemetry spec's one
// kafka.consume under GET /logs/kafka) or a new root, linked to the
// producer span of each record (up to the SDK's link limit), with
// messaging.batch.message_count and without the per-record keys (offset,
// message key, and the partition when the records come from several).
// RecordContext then returns the batch span for its records. On the
// client's own polls, the batch span is a child of the span in the ctx of
// the client's latest poll, and it ends at the start of the next poll (at
// the hand-over of its last record) or when the client closes: the hooks
// cannot know a poll's last record before then.
//
// # Hooks
//
// WithProduceHook and WithConsumeHook run a StartHook with the record and
// its span's parent context just before a produce or per-record consume
// span starts; the attributes it returns are given to the tracer at the
// start, so the sampler sees them (otelhttp has no such hook), and they
// are on the span. WithEndHook runs an EndHook with every recorded span
// just before it ends, with the record (nil for batch spans and failed
// polls) and the produce or poll error, after kafkax set its attributes
// and status. They are Python's produce_hook and consume_hook, split at the
// start and the end. A record that gets no span (unsampled parent) calls
// no hook.
//
// # Attributes and OTEL_SEMCONV_STABILITY_OPT_IN
//
// The keys follow the variable (or WithSemconv): unset, the telemetry spec's
// keys; "messaging", the stable conventions; "messaging/dup", both.
//
//	key                                     unset   messaging   messaging/dup
//	messaging.system (kafka)                P C     P C         P C
//	messaging.destination (the topic)       P C     -           P C
//	messaging.operation (publish, receive)  P C     -           P C
//	messaging.kafka.partition               P C     -           P C
//	messaging.kafka.consumer_group          C       -           C
//	messaging.kafka.client_id               P C     -           P C
//	messaging.destination.name              -       P C         P C
//	messaging.operation.type and .name      -       P C         P C
//	messaging.destination.partition.id      -       P C         P C
//	messaging.consumer.group.name           -       C           C
//	messaging.client.id                     -       P C         P C
//	messaging.kafka.offset                  P C     P C         P C
//	messaging.kafka.message.key (if text)   P C     P C         P C
//	messaging.batch.message_count           B       B           B
//	error.type (on failure)                 -       P C         P C
//	producer span name                      kafka.produce   send <topic>
//	consumer span name                      kafka.consume   receive <topic>
//
// (P: producer span, C: consumer span, B: batch consumer span of
// WithBatchSpans, which has the C keys but the offset, the message key and,
// for records of several partitions, the partition.) The partition and offset of a
// produced record are set when the broker acknowledges it; the consumer
// group and client id are read from the client unless WithConsumerGroup and
// WithClientID set them.
//
// # Metrics
//
// The meter records, per topic, messaging.client.sent.messages (an
// asynchronous counter fed by atomics), messaging.client.consumed.messages
// (from either way of polling), messaging.client.operation.duration (send:
// from Produce to the acknowledgement; receive: the poll, from kafkax's
// PollFetches and PollRecords only), with the stable attribute keys and
// error.type on failures.
//
// # Sampling and cost
//
// A record whose parent span context is valid and not sampled gets no span
// and costs kafkax one allocation on the producer side (the record's own
// state, which holds its trace context header) and none on the consumer
// side, polled either way: the parent is the Produce context's span
// on the producer side, and on the consumer side the PollFetches caller's
// span or, without one, the producer's context read from the headers. A
// ParentBased sampler, OpenTelemetry's default, would drop those spans
// anyway, and asking it costs the SDK two allocations per record;
// WithSamplerForEveryRecord(true) asks it all the same, for samplers that may
// record the child of an unsampled parent. The record still carries its
// parent's context on, so consumers keep the decision, and RecordContext
// returns it. Every other record (a root, or a sampled parent's child) goes
// through the tracer, which decides.
//
// kafkax's own attributes are built only for recorded spans, so samplers
// do not see them, nor the link to the producer of a record consumed under
// a caller's span; those of WithProduceHook and WithConsumeHook they see
// (see Hooks). When the propagator is W3C TraceContext (alone or composed with
// Baggage by otel's composite, as otelboot and autoprop set it), kafkax
// formats the traceparent header into the record's own state, and parses
// it back where it lies; any other propagator,
// an application's own that wraps TraceContext included, is called as it
// is. kafkax tells them apart once per client, with public calls only: it
// has the propagator inject and extract sample contexts and headers, and
// checks that the carrier calls and results are those of TraceContext and
// Baggage, and that only OpenTelemetry's code makes them.
//
// # Exceptions as logs
//
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, as the semantic conventions define
// it, chooses the signal of the exceptions above: unset, the span events;
// logs, a log record instead (messaging.send.exception for a record not
// produced, messaging.receive.exception for a failed fetch, at severity
// WARN, under ScopeName) with exception.type, exception.message and the
// span's trace and span ids, through the global LoggerProvider (the API
// only; otelboot sets it); logs/dup, both. The variable is read at each
// exception, so a client built before otelboot.Start obeys it.
// WithExceptionSignal overrides the variable for one client.
//
// Every span, attribute key and metric the library emits, per
// OTEL_SEMCONV_STABILITY_OPT_IN mode, is listed in one document:
// [docs/telemetry.md].
//
// [docs/telemetry.md]: https://github.com/otelkit/otelkit/blob/main/docs/telemetry.md
package kafkax
