package liveview

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// appendFull encodes f as one record, whatever its length.
func appendFull(b []byte, f *spanFields, svc string, hasService bool) []byte {
	return appendFieldsMax(b, f, svc, hasService, math.MaxInt)
}

// The ends of the range a record's times are clamped to.
var (
	recMinTime = time.Unix(0, math.MinInt64+1)
	recMaxTime = time.Unix(0, math.MaxInt64)
)

// wantTime is what the view shows of t: the zero time, or t clamped to the
// range of int64 nanoseconds, in UTC when utc, else local.
func wantTime(t time.Time, utc bool) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	if t.Before(recMinTime) {
		t = recMinTime
	} else if t.After(recMaxTime) {
		t = recMaxTime
	}
	if utc {
		return t.UTC()
	}
	return t.Local()
}

func sameTime(a, b time.Time) bool {
	return a.Equal(b) && a.IsZero() == b.IsZero() && (a.IsZero() || a.Location() == b.Location())
}

func wantAttrs(kvs []attribute.KeyValue) []spanAttr {
	var out []spanAttr
	for _, kv := range kvs {
		out = append(out, spanAttr{key: string(kv.Key), text: kv.Value.String(), str: kv.Value.AsString()})
	}
	return out
}

func attrsEqual(t *testing.T, what string, got, want []spanAttr) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d attributes, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: attribute %d = %.80q, want %.80q", what, i, got[i], want[i])
		}
	}
}

// checkRecord encodes f between two other records and checks that the
// buffer holds three records and that the middle one decodes to f.
func checkRecord(t *testing.T, f *spanFields, svc string, has bool) spanRec {
	t.Helper()
	other := spanFields{name: "other", start: time.Unix(1, 0), end: time.Unix(2, 0)}
	buf := appendFields(nil, &other, "x", true)
	at := len(buf)
	buf = appendFields(buf, f, svc, has)
	n := len(buf) - at
	buf = appendFields(buf, &other, "x", true)
	var got []spanRec
	recs(buf, func(r rec) bool { got = append(got, r.decode()); return true })
	if len(got) != 3 || got[0].name != "other" || got[2].name != "other" {
		t.Fatalf("buffer holds %d records, or its neighbours are corrupted", len(got))
	}
	r := rec(buf[at:])
	if r.size() != n || n > maxRecordBytes {
		t.Fatalf("record length %d, encoded %d bytes (max %d)", r.size(), n, maxRecordBytes)
	}
	if r.bytes() < n {
		t.Fatalf("memory estimate %d below the record's %d bytes", r.bytes(), n)
	}
	s := got[1]
	if s.traceID != f.tid || s.id != f.sid || s.parent != f.pid ||
		s.hasParent != (f.flags&recParent != 0) || s.remote != (f.flags&recRemote != 0) ||
		s.kind != f.kind || s.code != f.code {
		t.Fatalf("ids/flags/kind/code: got %+v", s)
	}
	if s.name != f.name || s.desc != f.desc || s.scope != f.scope || s.service != svc || r.hasServiceName() != has {
		t.Fatalf("strings: got name %.40q desc %.40q scope %.40q service %.40q", s.name, s.desc, s.scope, s.service)
	}
	utc := f.start.Location() == time.UTC || f.start.IsZero() && f.end.Location() == time.UTC
	if !sameTime(s.start, wantTime(f.start, utc)) || !sameTime(s.end, wantTime(f.end, utc)) {
		t.Fatalf("times: got %v..%v, want %v..%v", s.start, s.end, wantTime(f.start, utc), wantTime(f.end, utc))
	}
	if d := r.dur(); d != s.dur() || d < 0 {
		t.Fatalf("record duration %v, decoded %v", d, s.dur())
	}
	if d := r.end().sub(r.start()); d != s.end.Sub(s.start) {
		t.Fatalf("stamp difference %v, decoded %v", d, s.end.Sub(s.start))
	}
	attrsEqual(t, "span", s.attrs, wantAttrs(f.attrs))
	if len(s.events) != len(f.events) {
		t.Fatalf("%d events, want %d", len(s.events), len(f.events))
	}
	for i, e := range f.events {
		g := s.events[i]
		if g.name != e.Name || !sameTime(g.time, wantTime(e.Time, utc)) {
			t.Fatalf("event %d: %q at %v, want %q at %v", i, g.name, g.time, e.Name, wantTime(e.Time, utc))
		}
		attrsEqual(t, "event "+strconv.Itoa(i), g.attrs, wantAttrs(e.Attributes))
	}
	return s
}

// allTypes returns one attribute of each type the SDK has, with the
// floating-point edges.
func allTypes() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("s", "v"), attribute.String("", ""), attribute.String("bad", "\xff\xfe"),
		attribute.Bool("t", true), attribute.Bool("f", false),
		attribute.Int64("i", -1), attribute.Int64("max", math.MaxInt64), attribute.Int64("min", math.MinInt64),
		attribute.Float64("nan", math.NaN()), attribute.Float64("inf", math.Inf(1)), attribute.Float64("-inf", math.Inf(-1)),
		attribute.Float64("-0", math.Copysign(0, -1)), attribute.Float64("tiny", math.SmallestNonzeroFloat64),
		attribute.BoolSlice("bs", []bool{true, false}), attribute.Int64Slice("is", []int64{1, -2}),
		attribute.Float64Slice("fs", []float64{math.NaN(), 1.5}), attribute.StringSlice("ss", []string{"a", "", "é"}),
		attribute.StringSlice("ss0", nil),
		{Key: "bytes", Value: attribute.ByteSliceValue([]byte{0, 1, 0xff})},
		{Key: "slice", Value: attribute.SliceValue(attribute.StringValue("x"), attribute.Int64Value(2), attribute.Value{})},
		{Key: "map", Value: attribute.MapValue(attribute.String("k", "v"), attribute.Int64("n", 3))},
		{Key: "empty", Value: attribute.Value{}},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	tid := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	sid := trace.SpanID{0xff, 1, 2, 3, 4, 5, 6, 7}
	base := func() spanFields {
		return spanFields{tid: tid, sid: sid, pid: trace.SpanID{9}, flags: recParent,
			kind: trace.SpanKindServer, code: codes.Error, name: "GET /", desc: "boom", scope: "net/http",
			start: time.Unix(1_700_000_000, 5), end: time.Unix(1_700_000_001, 7)}
	}
	str := func(n int) string { return strings.Repeat("a", n-min(n, 2)) + "é"[:min(n, 2)] }
	many := make([]attribute.KeyValue, 1000)
	for i := range many {
		many[i] = allTypes()[i%len(allTypes())]
	}
	type tc struct {
		name string
		mod  func(f *spanFields)
	}
	cases := []tc{
		{"zero", func(f *spanFields) { *f = spanFields{} }},
		{"ordinary", func(*spanFields) {}},
		{"remote parent", func(f *spanFields) { f.flags = recParent | recRemote; f.code = codes.Ok }},
		{"no parent", func(f *spanFields) { f.flags, f.pid = 0, trace.SpanID{}; f.code = codes.Unset }},
		{"all types", func(f *spanFields) { f.attrs = allTypes() }},
		{"1000 attributes", func(f *spanFields) { f.attrs = many }},
		{"events", func(f *spanFields) {
			f.events = []sdktrace.Event{{Name: "e1", Time: f.start.Add(3), Attributes: allTypes()},
				{Name: "", Time: time.Time{}}, {Name: "late", Time: time.Unix(1<<40, 0)}}
		}},
		{"UTC", func(f *spanFields) { f.start, f.end = f.start.UTC(), f.end.UTC() }},
		{"zero start UTC end", func(f *spanFields) { f.start, f.end = time.Time{}, f.end.UTC() }},
		{"zero end", func(f *spanFields) { f.end = time.Time{} }},
		{"Unix 0", func(f *spanFields) { f.start, f.end = time.Unix(0, 0), time.Unix(0, 1) }},
		{"before Unix 0", func(f *spanFields) { f.start, f.end = time.Unix(-1, -1), time.Unix(0, -1) }},
		{"end before start", func(f *spanFields) { f.start, f.end = f.end, f.start }},
		{"year 1600", func(f *spanFields) {
			f.start, f.end = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)
		}},
		{"year 1 not zero", func(f *spanFields) { f.start, f.end = time.Time{}.Add(1), time.Time{}.Add(time.Second) }},
		{"year -5000", func(f *spanFields) { f.start = time.Date(-5000, 1, 1, 0, 0, 0, 0, time.Local) }},
		{"year 3000", func(f *spanFields) { f.end = time.Date(3000, 1, 1, 0, 0, 0, 0, time.Local) }},
		{"far future", func(f *spanFields) {
			f.start, f.end = time.Unix(math.MaxInt64/2, 999999999), time.Unix(math.MaxInt64/2, 0)
		}},
		{"min edge", func(f *spanFields) { f.start, f.end = recMinTime, recMinTime.Add(-1) }},
		{"min edge -2", func(f *spanFields) { f.start, f.end = recMinTime.Add(-2), recMinTime.Add(-1e9) }},
		{"min edge +1", func(f *spanFields) { f.start, f.end = recMinTime.Add(1), recMinTime.Add(1e9) }},
		{"max edge", func(f *spanFields) { f.start, f.end = recMaxTime, recMaxTime.Add(1) }},
		{"max edge -1", func(f *spanFields) { f.start, f.end = recMaxTime.Add(-1), recMaxTime.Add(1e9) }},
		{"kind consumer", func(f *spanFields) { f.kind = trace.SpanKindConsumer }},
	}
	for _, n := range []int{0, 1, 2, 127, 128, 129, 16383, 16384, 16385, 1 << 16} {
		cases = append(cases, tc{"strings " + strconv.Itoa(n), func(f *spanFields) {
			s := str(n)
			f.name, f.desc, f.scope = s, s, s
			f.attrs = []attribute.KeyValue{attribute.String(s, s), attribute.StringSlice("ss", []string{s})}
			f.events = []sdktrace.Event{{Name: s, Time: f.end, Attributes: f.attrs}}
		}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := base()
			c.mod(&f)
			checkRecord(t, &f, "svc-"+c.name, c.name != "zero")
			checkRecord(t, &f, "", false)
		})
	}
}

// TestRecordRoundTripSDK checks the record of spans the SDK makes, of
// every attribute type, against the SDK's own view of them.
func TestRecordRoundTripSDK(t *testing.T) {
	var got []sdktrace.ReadOnlySpan
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{AttributeValueLengthLimit: -1, AttributeCountLimit: -1,
			EventCountLimit: -1, LinkCountLimit: -1, AttributePerEventCountLimit: -1, AttributePerLinkCountLimit: -1}),
		sdktrace.WithSpanProcessor(spanCollector{&got}))
	tr := tp.Tracer("scope")
	many := make([]attribute.KeyValue, 1000)
	for i := range many {
		many[i] = attribute.Int("k"+strconv.Itoa(i), i)
	}
	for _, start := range []time.Time{time.Now(), time.Now().UTC(), time.Unix(0, 0), time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2400, 1, 1, 0, 0, 0, 0, time.Local)} {
		_, sp := tr.Start(t.Context(), "op", trace.WithTimestamp(start), trace.WithAttributes(allTypes()...))
		sp.SetAttributes(many...)
		sp.AddEvent("ev", trace.WithTimestamp(start.Add(time.Millisecond)), trace.WithAttributes(allTypes()...))
		sp.SetStatus(codes.Error, "why")
		sp.End(trace.WithTimestamp(start.Add(time.Second)))
	}
	for _, sp := range got {
		var f spanFields
		f.setSpan(sp, sp.SpanContext())
		s := checkRecord(t, &f, "svc", true)
		if s.name != sp.Name() || s.id != sp.SpanContext().SpanID() || len(s.attrs) != len(sp.Attributes()) {
			t.Fatalf("span %q: decoded %q", sp.Name(), s.name)
		}
	}
	if len(got) != 5 {
		t.Fatalf("%d spans", len(got))
	}
}

type spanCollector struct{ spans *[]sdktrace.ReadOnlySpan }

func (p spanCollector) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (p spanCollector) OnEnd(s sdktrace.ReadOnlySpan)                   { *p.spans = append(*p.spans, s) }
func (p spanCollector) Shutdown(context.Context) error                  { return nil }
func (p spanCollector) ForceFlush(context.Context) error                { return nil }

// TestRecordBounded checks the rule for spans too large for one record:
// strings cut at a rune boundary as the OTLP receiver cuts them, then
// attributes and events kept in order while they fit; the record stays
// within its limit, decodes, and leaves its neighbours intact.
func TestRecordBounded(t *testing.T) {
	long := strings.Repeat("é", 40<<10) // 80 KiB, cut within a rune
	many := make([]attribute.KeyValue, 1000)
	for i := range many {
		many[i] = attribute.String("k"+strconv.Itoa(i), strings.Repeat("v", 1000))
	}
	evs := make([]sdktrace.Event, 200)
	for i := range evs {
		evs[i] = sdktrace.Event{Name: "e", Time: time.Unix(int64(i), 0), Attributes: many[:20]}
	}
	for _, limit := range []int{minRecordLimit, 64 << 10, maxRecordBytes} {
		for _, f := range []spanFields{
			{name: long, desc: long, scope: long, attrs: []attribute.KeyValue{attribute.String(long, long), attribute.StringSlice("ss", []string{long, long})}},
			{name: "many", attrs: many, events: evs, start: time.Unix(5, 0), end: time.Unix(6, 0)},
			{name: "events", events: append(evs, evs...)},
		} {
			other := spanFields{name: "other"}
			buf := appendFields(nil, &other, "x", true)
			at := len(buf)
			buf = appendFieldsMax(buf, &f, long, true, limit)
			n := len(buf) - at
			buf = appendFields(buf, &other, "x", true)
			if n > limit {
				t.Fatalf("limit %d: record of %d bytes", limit, n)
			}
			var got []spanRec
			recs(buf, func(r rec) bool { got = append(got, r.decode()); return true })
			if len(got) != 3 || got[0].name != "other" || got[2].name != "other" {
				t.Fatalf("limit %d: buffer corrupted (%d records)", limit, len(got))
			}
			s := got[1]
			fullRec := appendFull(nil, &f, long, true)
			full := rec(fullRec).decode()
			if len(fullRec) <= limit {
				if n != len(fullRec) || s.name != full.name || len(s.attrs) != len(full.attrs) || len(s.events) != len(full.events) {
					t.Fatalf("limit %d: a record that fits was changed", limit)
				}
				continue
			}
			if len(full.name) <= boundedNameLen && s.name != full.name {
				t.Fatalf("name %q, want %q", s.name, full.name)
			}
			for i, str := range []string{s.name, s.service, s.desc, s.scope} {
				w := []string{full.name, full.service, full.desc, full.scope}[i]
				if !utf8.ValidString(str) || len(str) > boundedValueLen || !strings.HasPrefix(w, str) || len(w) > 0 && len(str) == 0 {
					t.Fatalf("cut string %.20q (%d bytes) is not a valid prefix", str, len(str))
				}
			}
			if len(s.attrs) > len(full.attrs) || len(s.events) > len(full.events) {
				t.Fatalf("bounded record has more items than the span")
			}
			for i, a := range s.attrs {
				w := full.attrs[i]
				if !strings.HasPrefix(w.key, a.key) || !strings.HasPrefix(w.text, a.text) || !strings.HasPrefix(w.str, a.str) || !utf8.ValidString(a.text) {
					t.Fatalf("attribute %d is not a prefix of the span's", i)
				}
			}
			for i, e := range s.events {
				if e.name != full.events[i].name || !e.time.Equal(full.events[i].time) || len(e.attrs) > len(full.events[i].attrs) {
					t.Fatalf("event %d differs", i)
				}
			}
			if r := rec(buf[at:]); r.bytes() < n || !r.start().time().Equal(s.start) {
				t.Fatalf("estimate %d below %d bytes", r.bytes(), n)
			}
		}
	}
}

// TestLargeSpanThroughView sends an SDK span of about 3 MiB of attributes
// through the view: it is kept, cut to one record of at most
// maxRecordBytes, and the byte cap counts at least that.
func TestLargeSpanThroughView(t *testing.T) {
	v := New(Config{})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(v.SpanProcessor()))
	big := strings.Repeat("x", 1<<20)
	_, sp := tp.Tracer("t").Start(t.Context(), "big", trace.WithAttributes(
		attribute.String("marker", "M4RK"), attribute.String("a", big), attribute.String("b", big), attribute.String("c", big)))
	sp.End()
	v.lockStore()
	defer v.store.mu.Unlock()
	tr := v.store.entry(sp.SpanContext().TraceID())
	if tr == nil || tr.nspans != 1 || len(tr.buf) > maxRecordBytes || tr.bytes < len(tr.buf) {
		t.Fatalf("trace %+v", tr)
	}
	s := tr.spans()[0]
	if s.name != "big" || len(s.attrs) != 4 || s.attrs[0].text != "M4RK" || len(s.attrs[1].text) != boundedValueLen {
		t.Fatalf("span %q with %d attributes", s.name, len(s.attrs))
	}
}

// recMarker is planted in each fuzzed span, after the fuzzed attributes
// and in its last event: it must come back intact.
const recMarker = "\x00M4RK\xffé\u2028"

// FuzzRecordRoundTrip encodes spans of fuzzed strings, numbers, counts
// and times (any seconds and nanoseconds, so beyond the int64-nanosecond
// range too), checks that they decode to what they hold and that a small
// limit gives a record within it.
func FuzzRecordRoundTrip(f *testing.F) {
	f.Add("GET /", "k", "v", int64(7), 1.5, int64(1_700_000_000), int64(5), int64(-3), uint16(3), true, uint8(2), uint8(1), uint8(1), uint32(0))
	f.Add("", "", "", int64(math.MinInt64), math.NaN(), int64(math.MinInt64), int64(-1), int64(math.MaxInt64), uint16(1000), false, uint8(255), uint8(255), uint8(255), uint32(1<<20))
	f.Add(strings.Repeat("n", 200), "\xff", strings.Repeat("é", 9000), int64(-1), math.Inf(-1), int64(-9223372037), int64(145224192), int64(1), uint16(127), false, uint8(5), uint8(2), uint8(3), uint32(40000))
	f.Fuzz(func(t *testing.T, name, key, val string, i int64, fl float64, sec, nsec, dur int64, nattrs uint16, utc bool, kind, code, flags uint8, limit uint32) {
		loc := time.Local
		if utc {
			loc = time.UTC
		}
		start := time.Unix(sec, nsec).In(loc)
		end := start.Add(time.Duration(dur))
		var attrs []attribute.KeyValue
		for j := range int(nattrs % 1200) {
			switch j % 5 {
			case 0:
				attrs = append(attrs, attribute.String(key, val))
			case 1:
				attrs = append(attrs, attribute.Int64(key, i+int64(j)))
			case 2:
				attrs = append(attrs, attribute.Float64(key, fl))
			case 3:
				attrs = append(attrs, attribute.StringSlice(key, []string{val, name}))
			default:
				attrs = append(attrs, attribute.Bool(key, j%2 == 0))
			}
		}
		attrs = append(attrs, attribute.String("marker", recMarker))
		sf := spanFields{
			tid: trace.TraceID{byte(i)}, sid: trace.SpanID{byte(sec)}, pid: trace.SpanID{byte(nsec)},
			flags: flags & (recParent | recRemote), kind: trace.SpanKind(kind % 6), code: codes.Code(code % 3),
			start: start, end: end, name: name, desc: val, scope: key, attrs: attrs,
			events: []sdktrace.Event{
				{Name: name, Time: end, Attributes: attrs[:min(len(attrs), 3)]},
				{Name: recMarker, Time: start.Add(time.Duration(i)), Attributes: []attribute.KeyValue{attribute.String(recMarker, recMarker)}},
			},
		}
		full := appendFull(nil, &sf, name, true)
		if len(full) <= maxRecordBytes {
			s := checkRecord(t, &sf, name, true)
			if a := s.attrs[len(s.attrs)-1]; a.text != recMarker || a.str != recMarker {
				t.Fatalf("marker came back as %q", a.text)
			}
			if e := s.events[1]; e.name != recMarker || e.attrs[0].key != recMarker || e.attrs[0].text != recMarker {
				t.Fatalf("event marker came back as %q", e.name)
			}
		}
		lim := minRecordLimit + int(limit%(1<<20))
		b := appendFieldsMax(nil, &sf, name, true, lim)
		if len(b) > lim || rec(b).size() != len(b) {
			t.Fatalf("limit %d: record of %d bytes (length field %d)", lim, len(b), rec(b).size())
		}
		s := rec(b).decode()
		if len(full) <= lim && s.attrs[len(s.attrs)-1].text != recMarker {
			t.Fatalf("a record within its limit lost the marker")
		}
	})
}

// TestPendingBufferBytesBound checks that large records hand a pending
// buffer on before pendingCap of them: it stays within maxPendingBytes
// plus one record.
func TestPendingBufferBytesBound(t *testing.T) {
	v := New(Config{})
	f := spanFields{tid: trace.TraceID{1}, sid: trace.SpanID{1}, name: "big",
		attrs: []attribute.KeyValue{attribute.String("v", strings.Repeat("x", 100<<10))}}
	for range 50 {
		v.enqueue(&f, "svc", true)
		v.pmu.Lock()
		n := len(v.pending)
		v.pmu.Unlock()
		if n > maxPendingBytes+101<<10 {
			t.Fatalf("pending buffer of %d bytes", n)
		}
	}
	v.lockStore()
	defer v.store.mu.Unlock()
	if v.store.totalSpans != 50 {
		t.Fatalf("%d spans aggregated", v.store.totalSpans)
	}
}
