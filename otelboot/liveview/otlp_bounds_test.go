package liveview

import (
	"strings"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// TestOTLPSpanWithinLimits converts spans with far more attributes, events
// and bytes than the receiver keeps: each comes out within the receiver's
// limits and one record of at most maxRecordBytes, with the first
// attribute intact.
func TestOTLPSpanWithinLimits(t *testing.T) {
	long := strings.Repeat("é", 20<<10) // 40 KiB
	kvs := make([]*commonpb.KeyValue, 2000)
	for i := range kvs {
		kvs[i] = strKV("k"+long[:i%64*2], long)
	}
	kvs[0] = strKV("marker", "M4RK")
	evs := make([]*tracepb.Span_Event, 300)
	for i := range evs {
		evs[i] = &tracepb.Span_Event{Name: long, TimeUnixNano: ^uint64(0), Attributes: kvs}
	}
	sp := &tracepb.Span{TraceId: []byte("0123456789abcdef"), SpanId: []byte("01234567"), Name: long,
		StartTimeUnixNano: ^uint64(0), EndTimeUnixNano: 1, Attributes: kvs, Events: evs,
		Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: long}}
	f, ok := otlpSpan(sp)
	if !ok || len(f.attrs) != otlpMaxAttrs || len(f.events) != otlpMaxEvents || len(f.name) > otlpMaxNameLen || len(f.desc) > otlpMaxValueLen {
		t.Fatalf("converted: %d attributes, %d events, name %d, desc %d bytes", len(f.attrs), len(f.events), len(f.name), len(f.desc))
	}
	for _, kv := range f.attrs {
		if len(kv.Value.AsString()) > otlpMaxValueLen || len(kv.Key) > otlpMaxNameLen {
			t.Fatalf("attribute %q of %d bytes", kv.Key[:8], len(kv.Value.AsString()))
		}
	}
	b := appendFields(nil, &f, "svc", true)
	if len(b) > maxRecordBytes || rec(b).size() != len(b) {
		t.Fatalf("record of %d bytes", len(b))
	}
	s := rec(b).decode()
	if s.attrs[0].text != "M4RK" || s.start.UnixNano() != 1<<63-1 || s.dur() != 0 {
		t.Fatalf("decoded %q, start %v, duration %v", s.attrs[0].text, s.start, s.dur())
	}
}
