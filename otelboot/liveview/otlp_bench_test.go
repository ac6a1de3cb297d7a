package liveview

import (
	"encoding/binary"
	"fmt"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

func strKV(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func intKV(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

// benchOTLPRequest returns the spans of one export of n spans: traces of a
// server span and seven children, each with a few HTTP/DB attributes, one
// in eight with an event.
func benchOTLPRequest(n int) []*tracepb.ResourceSpans {
	spans := make([]*tracepb.Span, n)
	for i := range spans {
		tid := make([]byte, 16)
		binary.LittleEndian.PutUint64(tid, uint64(i/8+1))
		sid := make([]byte, 8)
		binary.LittleEndian.PutUint64(sid, uint64(i+1))
		sp := &tracepb.Span{
			TraceId: tid, SpanId: sid,
			Name:              fmt.Sprintf("GET /items/%d", i%16),
			Kind:              tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: 1_700_000_000_000_000_000 + uint64(i)*1000,
			EndTimeUnixNano:   1_700_000_000_003_000_000 + uint64(i)*1000,
			Attributes: []*commonpb.KeyValue{
				strKV("http.request.method", "GET"),
				strKV("url.path", "/items/42"),
				intKV("http.response.status_code", 200),
				strKV("server.address", "api.example.com"),
				strKV("db.system.name", "postgresql"),
			},
		}
		if i%8 != 0 {
			pid := make([]byte, 8)
			binary.LittleEndian.PutUint64(pid, uint64(i/8*8+1))
			sp.ParentSpanId = pid
			sp.Kind = tracepb.Span_SPAN_KIND_CLIENT
		} else {
			sp.Events = []*tracepb.Span_Event{{Name: "exception", TimeUnixNano: sp.EndTimeUnixNano,
				Attributes: []*commonpb.KeyValue{strKV("exception.type", "io.EOF")}}}
		}
		spans[i] = sp
	}
	return []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{strKV("service.name", "checkout")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "net/http"}, Spans: spans}},
	}}
}

// BenchmarkOTLPIngest measures the OTLP receiver's path per request of 512
// spans, after the protobuf is decoded: conversion, queueing and the
// store's aggregation (forced by a read). Each round gets fresh trace ids.
func BenchmarkOTLPIngest(b *testing.B) {
	const n = 512
	rss := benchOTLPRequest(n)
	spans := rss[0].ScopeSpans[0].Spans
	v := New(Config{})
	b.ReportAllocs()
	round := uint64(0)
	for b.Loop() {
		round++
		for _, sp := range spans {
			binary.LittleEndian.PutUint64(sp.TraceId[8:], round)
		}
		v.ingestOTLPTraces(rss)
		v.lockStore()
		v.store.mu.Unlock()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/span")
}
