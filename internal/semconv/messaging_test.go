package semconv

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

func TestMessagingKeysPerMode(t *testing.T) {
	build := func(m Mode) map[attribute.Key]string {
		var a []attribute.KeyValue
		a = AppendMessaging(a, m, "kafka", MessagingSend, "orders")
		a = AppendKafkaPartition(a, m, 2)
		a = AppendKafkaOffset(a, m, 7)
		a = AppendKafkaConsumerGroup(a, m, "g")
		a = AppendKafkaClientID(a, m, "c")
		got := map[attribute.Key]string{}
		for _, kv := range a {
			if _, dup := got[kv.Key]; dup {
				t.Errorf("%v: key %s twice", m, kv.Key)
			}
			got[kv.Key] = kv.Value.String()
		}
		return got
	}
	old := map[attribute.Key]string{
		"messaging.system": "kafka", "messaging.destination": "orders", "messaging.operation": "publish",
		"messaging.kafka.partition": "2", "messaging.kafka.offset": "7",
		"messaging.kafka.consumer_group": "g", "messaging.kafka.client_id": "c",
	}
	stable := map[attribute.Key]string{
		"messaging.system": "kafka", "messaging.destination.name": "orders",
		"messaging.operation.type": "send", "messaging.operation.name": "send",
		"messaging.destination.partition.id": "2", "messaging.kafka.offset": "7",
		"messaging.consumer.group.name": "g", "messaging.client.id": "c",
	}
	dup := map[attribute.Key]string{}
	for k, v := range old {
		dup[k] = v
	}
	for k, v := range stable {
		dup[k] = v
	}
	for m, want := range map[Mode]map[attribute.Key]string{Old: old, Stable: stable, Dup: dup} {
		got := build(m)
		if len(got) != len(want) {
			t.Errorf("%v: got %v, want %v", m, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%v: %s = %q, want %q", m, k, got[k], v)
			}
		}
	}
	// The partition keeps its type: an integer under the old key, a string
	// under the stable one.
	a := AppendKafkaPartition(nil, Dup, 2)
	if a[0].Value.Type() != attribute.INT64 || a[1].Value.Type() != attribute.STRING {
		t.Errorf("partition types %v %v", a[0].Value.Type(), a[1].Value.Type())
	}
	if a := AppendKafkaConsumerGroup(nil, Dup, ""); len(a) != 0 {
		t.Errorf("empty group emitted: %v", a)
	}
}

func TestMessagingSpanName(t *testing.T) {
	for _, tc := range []struct {
		m    Mode
		op   MessagingOp
		dest string
		want string
	}{
		{Old, MessagingSend, "orders", "kafka.produce"},
		{Stable, MessagingSend, "orders", "send orders"},
		{Dup, MessagingReceive, "orders", "receive orders"},
		{Stable, MessagingReceive, "", "receive"},
	} {
		old := "kafka.produce"
		if got := MessagingSpanName(tc.m, old, tc.op, tc.dest); got != tc.want {
			t.Errorf("MessagingSpanName(%v, %v, %q) = %q, want %q", tc.m, tc.op, tc.dest, got, tc.want)
		}
	}
}
