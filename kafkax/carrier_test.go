package kafkax

import (
	"context"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TestInjectTraceContextLikeOtel checks that kafkax's own formatting of the
// trace context headers writes exactly what propagation.TraceContext
// writes, for sampled, unsampled, random-flagged and trace-stated spans, on
// records with and without headers.
func TestInjectTraceContextLikeOtel(t *testing.T) {
	ts, err := trace.ParseTraceState("vendor=abc,other=1")
	if err != nil {
		t.Fatal(err)
	}
	tid := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	sid := trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	for _, scc := range []trace.SpanContextConfig{
		{TraceID: tid, SpanID: sid},
		{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled},
		{TraceID: tid, SpanID: sid, TraceFlags: 0xff},
		{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts},
		{TraceID: tid}, // invalid: nothing written
	} {
		sc := trace.NewSpanContext(scc)
		for _, headers := range [][]kgo.RecordHeader{nil, {{Key: "a", Value: []byte("b")}}, {{Key: traceparentHeader, Value: []byte("old")}}} {
			want := &kgo.Record{Headers: slices.Clone(headers)}
			propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), sc), (*recordCarrier)(want))
			got := &kgo.Record{Headers: slices.Clone(headers)}
			st := &produceState{Context: context.Background(), rec: got}
			st.injectTraceContext(sc)
			if len(got.Headers) != len(want.Headers) {
				t.Fatalf("%v: headers %q, want %q", scc, got.Headers, want.Headers)
			}
			for i := range want.Headers {
				if got.Headers[i].Key != want.Headers[i].Key || string(got.Headers[i].Value) != string(want.Headers[i].Value) {
					t.Errorf("%v: header %d = %s: %q, want %s: %q", scc, i, got.Headers[i].Key, got.Headers[i].Value, want.Headers[i].Key, want.Headers[i].Value)
				}
			}
		}
	}
}

// traceparents are header values, valid or not, that the extraction tests
// read.
var traceparents = []string{
	"",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-04",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
	"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff-extra",
	"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09",
	"fe-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
	"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
	"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
	"0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
	"00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
	// 55 bytes with the dashes in place (extractTraceContext's fixed
	// layout) but a bad digit in each field.
	"00-4bf92f3577b34da6a3ce929d0e0-4736-00f067aa0ba902b7-01",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba9z2b7-01",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-10",
	"garbage",
}

// TestExtractTraceContextLikeOtel checks that kafkax's own parsing of the
// traceparent header (with and without a trace state) finds what
// propagation.TraceContext finds, and that the contexts PollFetches builds
// from it carry the same span context and baggage.
func TestExtractTraceContextLikeOtel(t *testing.T) {
	h, _ := testHooks(t, sdktrace.AlwaysSample(), WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})))
	if !h.std {
		t.Fatal("TraceContext and Baggage not recognized")
	}
	for _, tp := range traceparents {
		for _, extra := range [][]kgo.RecordHeader{nil, {{Key: tracestateHeader, Value: []byte("vendor=abc")}, {Key: "baggage", Value: []byte("user=42")}}} {
			r := &kgo.Record{Headers: append([]kgo.RecordHeader{{Key: traceparentHeader, Value: []byte(tp)}}, extra...)}
			want := h.cfg.propagator.Extract(context.Background(), (*recordCarrier)(r))
			wsc := trace.SpanContextFromContext(want)
			if got := extractTraceContext(r); !got.Equal(wsc) {
				t.Errorf("%q %q: extractTraceContext = %v, want %v", tp, extra, got, wsc)
			}
			if got := h.producerContext(r); !got.Equal(wsc) {
				t.Errorf("%q %q: producerContext = %v, want %v", tp, extra, got, wsc)
			}
			got := h.extract(context.Background(), r, &remoteSpan{}, h.producerContext(r))
			if g := trace.SpanContextFromContext(got); !g.Equal(wsc) {
				t.Errorf("%q %q: extract: span context %v, want %v", tp, extra, g, wsc)
			}
			if g, w := baggage.FromContext(got).String(), baggage.FromContext(want).String(); g != w {
				t.Errorf("%q %q: extract: baggage %q, want %q", tp, extra, g, w)
			}
		}
	}
}

func FuzzExtractTraceContext(f *testing.F) {
	for _, tp := range traceparents {
		f.Add(tp)
	}
	f.Fuzz(func(t *testing.T, tp string) {
		r := &kgo.Record{Headers: []kgo.RecordHeader{{Key: traceparentHeader, Value: []byte(tp)}}}
		want := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), (*recordCarrier)(r)))
		if got := extractTraceContext(r); !got.Equal(want) {
			t.Errorf("%q: %v, want %v", tp, got, want)
		}
	})
}
