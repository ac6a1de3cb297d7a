package kafkax

import (
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/propagation"
)

// recordCarrier reads and writes a record's headers for a propagator. It is
// a conversion of the record pointer, so using it allocates nothing.
type recordCarrier kgo.Record

var (
	_ propagation.TextMapCarrier = (*recordCarrier)(nil)
	_ propagation.TextMapCarrier = (*produceState)(nil)
)

// Get returns the value of the first header named key, or "".
func (c *recordCarrier) Get(key string) string { return headerValue((*kgo.Record)(c), key) }

// Set sets header key to val, replacing an existing header of that name.
func (c *recordCarrier) Set(key, val string) {
	r := (*kgo.Record)(c)
	for i := range r.Headers {
		if r.Headers[i].Key == key {
			r.Headers[i].Value = []byte(val)
			return
		}
	}
	r.Headers = append(r.Headers, kgo.RecordHeader{Key: key, Value: []byte(val)})
}

// Keys returns the header names.
func (c *recordCarrier) Keys() []string { return headerKeys((*kgo.Record)(c)) }

func headerValue(r *kgo.Record, key string) string {
	for i := range r.Headers {
		if r.Headers[i].Key == key {
			return string(r.Headers[i].Value)
		}
	}
	return ""
}

func headerKeys(r *kgo.Record) []string {
	keys := make([]string, len(r.Headers))
	for i := range r.Headers {
		keys[i] = r.Headers[i].Key
	}
	return keys
}
