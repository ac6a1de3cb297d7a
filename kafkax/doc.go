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
// Every produced record gets a PRODUCER span, a child of the Produce
// context, named kafka.produce (or "send <topic>" under the stable
// conventions). It ends when the broker acknowledges the record, with the
// partition and offset, or with status ERROR and an exception event when
// the produce fails. The span's context is written into the record headers
// with the global propagator (W3C traceparent by default), also when the
// span is not sampled, so that consumers keep the sampling decision.
//
// # Consuming
//
// kgo's fetch hooks do not see the context of the poll, so the consume spans
// come from PollFetches and PollRecords, drop-in replacements for the client
// methods of the same names:
//
//	fetches := kafkax.PollFetches(ctx, cl)
//	fetches.EachRecord(func(r *kgo.Record) {
//		process(kafkax.RecordContext(ctx, r), r)
//	})
//
// Each polled record yields a CONSUMER span covering the poll, named
// kafka.consume (or "receive <topic>"). It is a child of the span in ctx
// when there is one (an HTTP handler reading a topic) and then links to the
// producer's span; otherwise the producer's span is its parent.
// RecordContext returns the context that continues the record's trace.
//
// # Attributes and metrics
//
// Spans carry messaging.system=kafka, messaging.destination (the topic),
// messaging.operation (publish or receive), messaging.kafka.partition,
// messaging.kafka.offset, messaging.kafka.message.key when the key is text,
// messaging.kafka.consumer_group and messaging.kafka.client_id. With
// OTEL_SEMCONV_STABILITY_OPT_IN=messaging they carry the stable keys
// instead (messaging.destination.name, messaging.operation.type and .name,
// messaging.destination.partition.id, messaging.consumer.group.name,
// messaging.client.id); messaging/dup emits both.
//
// The meter records, per topic, messaging.client.sent.messages (an
// asynchronous counter fed by atomics), messaging.client.operation.duration
// (send: from Produce to the acknowledgement; receive: the poll) and, from
// PollFetches and PollRecords, messaging.client.consumed.messages, with the
// stable attribute keys and error.type on failures.
//
// # Cost
//
// Every record goes through the tracer, which decides sampling; attributes
// are built only for recorded spans, so samplers do not see them, nor the
// link to the producer of a record consumed under a caller's span. An
// unsampled record costs the tracer's non-recording span and the
// propagator's header value; the header shares one allocation with kafkax's
// per-record state.
package kafkax
