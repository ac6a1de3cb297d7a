package kafkax

import (
	"bytes"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Header names of the W3C trace context, as propagation.TraceContext writes
// them.
const (
	traceparentHeader = "traceparent"
	tracestateHeader  = "tracestate"
	traceparentLen    = 55 // version 00
	baggageHeader     = "baggage"
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

// remoteSpan is the span of a producer's context read from record headers,
// as trace.ContextWithRemoteSpanContext makes it: it only has a span
// context. Unlike that function's, it can share one allocation with the
// other records of a fetch.
type remoteSpan struct {
	noop.Span
	sc trace.SpanContext
}

// SpanContext returns the producer's span context.
func (s *remoteSpan) SpanContext() trace.SpanContext { return s.sc }

// extractTraceContext returns the span context that
// propagation.TraceContext reads from r's headers (TestExtractTraceContextLikeOtel
// keeps the two equal), parsing the header value where it is instead of
// through a string.
func extractTraceContext(r *kgo.Record) trace.SpanContext {
	var h []byte
	for i := range r.Headers {
		if r.Headers[i].Key == traceparentHeader {
			h = r.Headers[i].Value
			break
		}
	}
	if len(h) == 0 {
		return trace.SpanContext{}
	}
	var ver [1]byte
	if !extractPart(ver[:], &h, 2) || ver[0] > 254 {
		return trace.SpanContext{}
	}
	var scc trace.SpanContextConfig
	var opts [1]byte
	if !extractPart(scc.TraceID[:], &h, 32) || !extractPart(scc.SpanID[:], &h, 16) || !extractPart(opts[:], &h, 2) {
		return trace.SpanContext{}
	}
	if ver[0] == 0 && (len(h) != 0 || opts[0] > 3) {
		// Version 0 allows neither more fields nor other flags.
		return trace.SpanContext{}
	}
	scc.TraceFlags = trace.TraceFlags(opts[0]) & (trace.FlagsSampled | trace.FlagsRandom)
	// As in the W3C specification, a bad trace state does not affect the
	// parent.
	if ts := headerValue(r, tracestateHeader); ts != "" {
		scc.TraceState, _ = trace.ParseTraceState(ts)
	}
	scc.Remote = true
	if sc := trace.NewSpanContext(scc); sc.IsValid() {
		return sc
	}
	return trace.SpanContext{}
}

// extractPart decodes the next len(dst)*2 lowercase hex digits of *h, up
// to a '-', into dst, and moves *h past them.
func extractPart(dst []byte, h *[]byte, n int) bool {
	part, left, _ := bytes.Cut(*h, []byte{'-'})
	*h = left
	if len(part) != n {
		return false
	}
	// No valid digit has the upper bits that mark an invalid one.
	var invalid byte
	for i := 0; i < n; i += 2 {
		hi, lo := unhex[part[i]], unhex[part[i+1]]
		dst[i/2] = hi<<4 | lo
		invalid |= hi | lo
	}
	return invalid&0xf0 == 0
}

// unhex maps lowercase hex digits to their value and every other byte to
// 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
	}
	return t
}()
