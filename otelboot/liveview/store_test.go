package liveview

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// stub returns an ended root span of trace n lasting d.
func stub(n int, name string, d time.Duration, failed bool) sdktrace.ReadOnlySpan {
	var tid trace.TraceID
	tid[0], tid[15] = byte(n>>8), byte(n)
	tid[1] = 1
	sid := trace.SpanID{1, byte(n >> 8), byte(n)}
	st := sdktrace.Status{Code: codes.Ok}
	if failed {
		st = sdktrace.Status{Code: codes.Error, Description: "boom"}
	}
	return tracetest.SpanStub{
		Name:        name,
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}),
		StartTime:   t0.Add(time.Duration(n) * time.Millisecond),
		EndTime:     t0.Add(time.Duration(n)*time.Millisecond + d),
		Status:      st,
		Attributes:  []attribute.KeyValue{attribute.String("http.route", "/"+name)},
	}.Snapshot()
}

func keptIDs(s *store) []int {
	var out []int
	for _, l := range []*traceList{&s.normal, &s.kept} {
		for i := l.head; i != 0; i = s.slab[i].next {
			t := &s.slab[i]
			out = append(out, int(t.id[0])<<8|int(t.id[15]))
		}
	}
	return out
}

func TestTraceRingEvictsOldestFirst(t *testing.T) {
	s := newStore(3, 1<<30, time.Second)
	for i := 1; i <= 5; i++ {
		s.ingest([]sdktrace.ReadOnlySpan{stub(i, "GET /", time.Millisecond, false)})
	}
	if got, want := fmt.Sprint(keptIDs(s)), "[3 4 5]"; got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
	if s.evicted != 2 || s.traces.len() != 3 {
		t.Errorf("evicted %d, map holds %d", s.evicted, s.traces.len())
	}
}

func TestTraceRingKeepsErrorsAndSlowLonger(t *testing.T) {
	s := newStore(4, 1<<30, 100*time.Millisecond)
	s.ingest([]sdktrace.ReadOnlySpan{
		stub(1, "GET /a", time.Millisecond, true),         // error
		stub(2, "GET /a", time.Millisecond, false),        // normal
		stub(3, "GET /a", 300*time.Millisecond, false),    // slow
		stub(4, "GET /a", time.Millisecond, false),        // normal
		stub(5, "GET /a", time.Millisecond, false),        // evicts 2, not 1
		stub(6, "GET /a", time.Millisecond, false),        // evicts 4
		stub(7, "GET /a", time.Millisecond, true),         // 3 kept traces > cap/2: evicts 1, the oldest kept
		stub(8, "GET /a", 200*time.Millisecond, false),    // evicts 3
		stub(9, "GET /a", time.Millisecond, false),        // evicts 5
		stub(10, "GET /a", 2*time.Millisecond, false),     // evicts 6
		stub(11, "GET /a", time.Millisecond*3/2, false),   // evicts 9
		stub(12, "GET /a", time.Millisecond*5/4, false),   // evicts 10
		stub(13, "GET /a", time.Millisecond*9/8, false),   // evicts 11
		stub(14, "GET /a", time.Millisecond*17/16, false), // evicts 12
	})
	// normal list first, then kept list, each oldest first
	if got, want := fmt.Sprint(keptIDs(s)), "[13 14 7 8]"; got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
}

func TestTraceRingByteCap(t *testing.T) {
	one := spanBytes(stub(1, "GET /", time.Millisecond, false))
	s := newStore(1000, 3*one+one/2, time.Second)
	for i := 1; i <= 10; i++ {
		s.ingest([]sdktrace.ReadOnlySpan{stub(i, "GET /", time.Millisecond, false)})
		if b := s.normal.bytes + s.kept.bytes; b > s.traceBudget {
			t.Fatalf("after %d traces %d bytes > budget %d", i, b, s.traceBudget)
		}
	}
	if got, want := fmt.Sprint(keptIDs(s)), "[8 9 10]"; got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
}

func TestSpansOfATraceGroupTogether(t *testing.T) {
	s := newStore(10, 1<<30, time.Second)
	root := stub(1, "GET /x", 10*time.Millisecond, false)
	child := tracetest.SpanStub{
		Name: "mysql.query",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: root.SpanContext().TraceID(), SpanID: trace.SpanID{9}, TraceFlags: trace.FlagsSampled,
		}),
		Parent:    root.SpanContext(),
		StartTime: root.StartTime().Add(time.Millisecond),
		EndTime:   root.StartTime().Add(3 * time.Millisecond),
		Status:    sdktrace.Status{Code: codes.Error},
	}.Snapshot()
	s.ingest([]sdktrace.ReadOnlySpan{child, root}) // children end first
	tr := s.entry(root.SpanContext().TraceID())
	if tr == nil || tr.nspans != 2 || tr.first().name() != "GET /x" || tr.errors != 1 || !tr.kept {
		t.Fatalf("trace = %+v", tr)
	}
	w := waterfall(tr.spans(), tr.start.time())
	if len(w) != 2 || w[0].Name != "GET /x" || w[0].Depth != 0 || w[1].Name != "mysql.query" || w[1].Depth != 1 || w[1].ParentID != w[0].SpanID {
		t.Errorf("waterfall = %+v", w)
	}
}

func TestLogRingEvictsOldestFirst(t *testing.T) {
	r := newLogRing(3, 1<<20)
	for i := 1; i <= 5; i++ {
		r.push(logEntry{body: fmt.Sprint(i), bytes: 10})
	}
	var got []string
	r.each(func(e *logEntry) bool { got = append(got, e.body); return true })
	if strings.Join(got, ",") != "3,4,5" || r.dropped != 2 {
		t.Errorf("kept %v, dropped %d", got, r.dropped)
	}

	// The byte budget evicts too.
	r = newLogRing(100, 25)
	for i := 1; i <= 4; i++ {
		r.push(logEntry{body: fmt.Sprint(i), bytes: 10})
	}
	got = got[:0]
	r.each(func(e *logEntry) bool { got = append(got, e.body); return true })
	if strings.Join(got, ",") != "3,4" || r.bytes != 20 {
		t.Errorf("kept %v (%d bytes)", got, r.bytes)
	}
}

func TestNameStatsQuantilesAndCap(t *testing.T) {
	s := newStore(10, 1<<30, 0)
	var batch []sdktrace.ReadOnlySpan
	for i := 1; i <= 100; i++ {
		batch = append(batch, stub(i, "GET /q", time.Duration(i)*time.Millisecond, false))
	}
	s.ingest(batch)
	p50, p95, p99 := s.names["GET /q"].quantiles()
	if p50 != 50*time.Millisecond || p95 != 95*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("quantiles %v %v %v", p50, p95, p99)
	}
	for i := 0; i < maxNames+10; i++ {
		s.ingest([]sdktrace.ReadOnlySpan{stub(1000+i, fmt.Sprint("n", i), time.Millisecond, false)})
	}
	if len(s.names) != maxNames+1 || s.names[otherName] == nil || s.names[otherName].count != 11 {
		t.Errorf("%d names; other = %+v", len(s.names), s.names[otherName])
	}
}

// TestOnEndKeepsNoSpanAndDoesNotAllocate checks that a large span (30
// string and three scalar attributes, two events) is encoded into the
// pending buffer without an allocation (slice attributes allocate their
// text), and that a span reads back identical through the API's decoding.
func TestOnEndKeepsNoSpanAndDoesNotAllocate(t *testing.T) {
	v := New(Config{})
	p := v.SpanProcessor()
	var attrs []attribute.KeyValue
	for i := 0; i < 30; i++ {
		attrs = append(attrs, attribute.String(fmt.Sprint("key.", i), strings.Repeat("v", 20+i)))
	}
	attrs = append(attrs, attribute.Int("n", -7), attribute.Bool("b", true), attribute.Float64("f", 0.25))
	stub := tracetest.SpanStub{
		Name:        "GET /big",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled}),
		Parent:      trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{3}, Remote: true}),
		SpanKind:    trace.SpanKindServer,
		StartTime:   t0,
		EndTime:     t0.Add(time.Millisecond),
		Status:      sdktrace.Status{Code: codes.Error, Description: "boom"},
		Attributes:  attrs,
		Events: []sdktrace.Event{
			{Name: "exception", Time: t0.Add(time.Microsecond), Attributes: []attribute.KeyValue{attribute.String("exception.type", "E")}},
			{Name: "zero", Attributes: nil},
		},
	}
	sp := stub.Snapshot()
	if n := testing.AllocsPerRun(100, func() { p.OnEnd(sp) }); n != 0 {
		t.Errorf("OnEnd: %v allocations per span", n)
	}
	attrs = append(attrs, attribute.StringSlice("ss", []string{"a", "b"}), attribute.Int64Slice("is", []int64{1, 2}))
	stub.Attributes, stub.SpanContext = attrs, trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	v = New(Config{})
	sp = stub.Snapshot()
	v.SpanProcessor().OnEnd(sp)
	v.lockStore()
	got := v.store.entry(trace.TraceID{1}).spans()[0]
	v.store.mu.Unlock()
	if got.name != "GET /big" || got.kind != trace.SpanKindServer || got.code != codes.Error || got.desc != "boom" ||
		!got.hasParent || !got.remote || got.parent != (trace.SpanID{3}) || got.id != (trace.SpanID{2}) ||
		!got.start.Equal(t0) || got.start.Location() != time.UTC || got.dur() != time.Millisecond || len(got.attrs) != len(attrs) {
		t.Fatalf("decoded %+v", got)
	}
	for i, a := range attrs {
		if g := got.attrs[i]; g.key != string(a.Key) || g.text != a.Value.String() || g.str != a.Value.AsString() {
			t.Errorf("attribute %d = %+v, want %s=%s", i, g, a.Key, a.Value.String())
		}
	}
	if len(got.events) != 2 || got.events[0].name != "exception" || !got.events[0].time.Equal(t0.Add(time.Microsecond)) ||
		got.events[0].attrs[0].text != "E" || !got.events[1].time.IsZero() {
		t.Errorf("events %+v", got.events)
	}
	if want := spanBytes(sp); rec(appendSpan(nil, sp, "", false)).bytes() != want || want < 480 {
		t.Errorf("estimate %d", want)
	}
}
