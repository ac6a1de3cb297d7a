package kafkax

import (
	"bytes"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
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
// other records of a fetch. Its other methods are those of the API's no-op
// span, the one trace.SpanFromContext returns for a context without a span
// (set before the span enters a context): an interface of two words,
// where noop.Span would hold a second, unused span context (64 more bytes
// per polled record for the GC to scan).
type remoteSpan struct {
	trace.Span
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
	if len(h) == traceparentLen && h[0] == '0' && h[1] == '0' && h[2] == '-' && h[35] == '-' && h[52] == '-' {
		// Version 00, the one every propagator writes: the fields are
		// at fixed places, decoded without searching for the dashes.
		v := (*[traceparentLen]byte)(h)
		var scc trace.SpanContextConfig
		var invalid byte
		for i := range scc.TraceID {
			hi, lo := unhex[v[3+2*i]], unhex[v[4+2*i]]
			scc.TraceID[i] = hi<<4 | lo
			invalid |= hi | lo
		}
		for i := range scc.SpanID {
			hi, lo := unhex[v[36+2*i]], unhex[v[37+2*i]]
			scc.SpanID[i] = hi<<4 | lo
			invalid |= hi | lo
		}
		hi, lo := unhex[v[53]], unhex[v[54]]
		invalid |= hi | lo
		flags := hi<<4 | lo
		if invalid&0xf0 != 0 || flags > 3 {
			return trace.SpanContext{}
		}
		scc.TraceFlags = trace.TraceFlags(flags) & (trace.FlagsSampled | trace.FlagsRandom)
		return newRemoteSpanContext(r, scc)
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
	return newRemoteSpanContext(r, scc)
}

// newRemoteSpanContext returns the remote span context of scc, with the
// trace state of r's headers, or the zero span context when scc's ids are
// not valid.
func newRemoteSpanContext(r *kgo.Record, scc trace.SpanContextConfig) trace.SpanContext {
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

// hexPairs holds the two lowercase hex digits of each byte value, at 2*b.
const hexPairs = "" +
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" +
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f" +
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f" +
	"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f" +
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" +
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" +
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf" +
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

// formatTraceparent writes the version 00 traceparent value of tid, sid
// and flags into v, as propagation.TraceContext formats it.
func formatTraceparent(v *[traceparentLen]byte, tid *trace.TraceID, sid *trace.SpanID, flags byte) {
	v[0], v[1], v[2] = '0', '0', '-'
	for i, b := range tid {
		v[3+2*i], v[4+2*i] = hexPairs[2*int(b)], hexPairs[2*int(b)+1]
	}
	v[35] = '-'
	for i, b := range sid {
		v[36+2*i], v[37+2*i] = hexPairs[2*int(b)], hexPairs[2*int(b)+1]
	}
	v[52] = '-'
	v[53], v[54] = hexPairs[2*int(flags)], hexPairs[2*int(flags)+1]
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
