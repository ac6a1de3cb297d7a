package semconv

import (
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Messaging keys of the telemetry spec (the pre-stable conventions), emitted
// when Mode.EmitOld is true.
const (
	// MessagingSystemKey identifies the messaging system ("kafka"). The key
	// is the same in every mode.
	MessagingSystemKey = otelsemconv.MessagingSystemKey
	// MessagingDestinationKey is the topic a message is sent to or received
	// from.
	MessagingDestinationKey = attribute.Key("messaging.destination")
	// MessagingOperationKey is "publish" or "receive".
	MessagingOperationKey = attribute.Key("messaging.operation")
	// MessagingKafkaPartitionKey is the partition, as an integer.
	MessagingKafkaPartitionKey = attribute.Key("messaging.kafka.partition")
	// MessagingKafkaConsumerGroupKey is the consumer group.
	MessagingKafkaConsumerGroupKey = attribute.Key("messaging.kafka.consumer_group")
	// MessagingKafkaClientIDKey is the client id.
	MessagingKafkaClientIDKey = attribute.Key("messaging.kafka.client_id")
)

// Messaging keys of the stable conventions, emitted when Mode.EmitStable is
// true.
const (
	// MessagingDestinationNameKey is the topic.
	MessagingDestinationNameKey = otelsemconv.MessagingDestinationNameKey
	// MessagingOperationTypeKey is "send" or "receive".
	MessagingOperationTypeKey = otelsemconv.MessagingOperationTypeKey
	// MessagingOperationNameKey is the system-specific operation name; for
	// Kafka "send" or "receive".
	MessagingOperationNameKey = otelsemconv.MessagingOperationNameKey
	// MessagingConsumerGroupNameKey is the consumer group.
	MessagingConsumerGroupNameKey = otelsemconv.MessagingConsumerGroupNameKey
	// MessagingDestinationPartitionIDKey is the partition, as a string.
	MessagingDestinationPartitionIDKey = otelsemconv.MessagingDestinationPartitionIDKey
	// MessagingClientIDKey is the client id.
	MessagingClientIDKey = otelsemconv.MessagingClientIDKey
)

// Messaging keys that are the same in every mode; emitted once.
const (
	// MessagingKafkaOffsetKey is the record's offset in its partition.
	MessagingKafkaOffsetKey = otelsemconv.MessagingKafkaOffsetKey
	// MessagingKafkaMessageKeyKey is the record key, when it is text.
	MessagingKafkaMessageKeyKey = otelsemconv.MessagingKafkaMessageKeyKey
	// MessagingBatchMessageCountKey is the number of messages a batch
	// operation (one receive span for many records) handled.
	MessagingBatchMessageCountKey = otelsemconv.MessagingBatchMessageCountKey
)

// Messaging metric names (stable conventions; the telemetry spec names no
// messaging metrics of its own).
const (
	MetricMessagingSentMessages      = "messaging.client.sent.messages"
	MetricMessagingConsumedMessages  = "messaging.client.consumed.messages"
	MetricMessagingOperationDuration = "messaging.client.operation.duration"
)

// MessagingOp is a messaging operation: sending or receiving.
type MessagingOp uint8

const (
	// MessagingSend is a produce (publish, send) operation.
	MessagingSend MessagingOp = iota
	// MessagingReceive is a consume (receive) operation.
	MessagingReceive
)

// OldName returns the spec's value of messaging.operation: "publish" or
// "receive".
func (o MessagingOp) OldName() string {
	if o == MessagingSend {
		return "publish"
	}
	return "receive"
}

// StableName returns the stable messaging.operation.type (and, for Kafka,
// messaging.operation.name): "send" or "receive".
func (o MessagingOp) StableName() string {
	if o == MessagingSend {
		return "send"
	}
	return "receive"
}

// MessagingSpanName returns the span name of a messaging operation in mode
// m: oldName in Old mode (the spec's "kafka.produce" / "kafka.consume"),
// otherwise "{operation} {destination}" as the stable conventions say
// ("send orders", "receive orders").
func MessagingSpanName(m Mode, oldName string, op MessagingOp, destination string) string {
	if !StableNames(m) {
		return oldName
	}
	if destination == "" {
		return op.StableName()
	}
	return op.StableName() + " " + destination
}

// AppendMessaging appends the keys every messaging span carries in mode m:
// the system, the destination and the operation.
func AppendMessaging(attrs []attribute.KeyValue, m Mode, system string, op MessagingOp, destination string) []attribute.KeyValue {
	attrs = append(attrs, MessagingSystemKey.String(system))
	if EmitOld(m) {
		attrs = append(attrs,
			MessagingDestinationKey.String(destination),
			MessagingOperationKey.String(op.OldName()),
		)
	}
	if EmitStable(m) {
		attrs = append(attrs,
			MessagingDestinationNameKey.String(destination),
			MessagingOperationTypeKey.String(op.StableName()),
			MessagingOperationNameKey.String(op.StableName()),
		)
	}
	return attrs
}

// AppendKafkaPartition appends the partition in mode m: an integer under the
// old key, a string under the stable one.
func AppendKafkaPartition(attrs []attribute.KeyValue, m Mode, partition int32) []attribute.KeyValue {
	if EmitOld(m) {
		attrs = append(attrs, MessagingKafkaPartitionKey.Int64(int64(partition)))
	}
	if EmitStable(m) {
		attrs = append(attrs, MessagingDestinationPartitionIDKey.String(strconv.FormatInt(int64(partition), 10)))
	}
	return attrs
}

// AppendKafkaOffset appends the offset (same key in every mode).
func AppendKafkaOffset(attrs []attribute.KeyValue, _ Mode, offset int64) []attribute.KeyValue {
	return append(attrs, MessagingKafkaOffsetKey.Int64(offset))
}

// AppendKafkaConsumerGroup appends the consumer group in mode m; nothing when
// group is empty.
func AppendKafkaConsumerGroup(attrs []attribute.KeyValue, m Mode, group string) []attribute.KeyValue {
	if group == "" {
		return attrs
	}
	if EmitOld(m) {
		attrs = append(attrs, MessagingKafkaConsumerGroupKey.String(group))
	}
	if EmitStable(m) {
		attrs = append(attrs, MessagingConsumerGroupNameKey.String(group))
	}
	return attrs
}

// AppendKafkaClientID appends the client id in mode m; nothing when id is
// empty.
func AppendKafkaClientID(attrs []attribute.KeyValue, m Mode, id string) []attribute.KeyValue {
	if id == "" {
		return attrs
	}
	if EmitOld(m) {
		attrs = append(attrs, MessagingKafkaClientIDKey.String(id))
	}
	if EmitStable(m) {
		attrs = append(attrs, MessagingClientIDKey.String(id))
	}
	return attrs
}
