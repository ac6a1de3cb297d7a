package liveview

import (
	"encoding/binary"
	"math"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The view keeps each ended span as a record of its own, encoded into a
// pointer-free byte slice, and drops the SDK's span: a kept trace is one
// entry and one []byte holding all its spans, so the garbage collector
// marks two objects per trace and scans none of the span data. The
// records are decoded (into spanRec) only to answer a read.
//
// A record is, in order (integers little-endian, strings a uvarint length
// then the bytes):
//
//	u32 length of the whole record
//	[16]trace id, [8]span id, [8]parent span id
//	u8 flags (recParent, recRemote, recUTC, recHasService; the status code
//	   in bits 4-5), u8 kind
//	i64 start, i64 end (Unix nanoseconds; recZeroTime for the zero time)
//	u32 spanBytes, the memory estimate the byte cap counts
//	name, service, status description, scope name (strings)
//	uvarint attribute count, attributes
//	uvarint event count, events: name, i64 time, uvarint count, attributes
//
// A record is at most maxRecordBytes (appendBounded cuts a larger span);
// its counts are uvarints, padded to a fixed width when appendBounded
// writes them. Times are clamped to the range of int64 nanoseconds (see
// minNanosSec); a time keeps its instant and whether it was in UTC, any
// other location reads back as time.Local (the SDK's spans are local).
//
// An attribute is its key (string), its attribute.Type (u8) and its value:
// 8 bytes for BOOL, INT64 and FLOAT64, a string for STRING, nothing for
// EMPTY, and for the other types two strings, Value.String and
// Value.AsString (the only two renderings the view reads).
const (
	recOffTrace   = 4
	recOffSpan    = 20
	recOffParent  = 28
	recOffFlags   = 36
	recOffKind    = 37
	recOffStart   = 38
	recOffEnd     = 46
	recOffBytes   = 54
	recOffStrings = 58

	recParent     = 1 << 0 // the parent span id is valid
	recRemote     = 1 << 1 // the parent is remote
	recUTC        = 1 << 2 // the times are in UTC (else local)
	recHasService = 1 << 3 // the resource has a non-empty service.name
	recCodeShift  = 4

	// recZeroTime stands for the zero time.Time.
	recZeroTime = math.MinInt64
)

// The int64 nanoseconds of a record cover 1677-09-21T00:12:43.145224193Z
// to 2262-04-11T23:47:16.854775807Z (where time.Time.UnixNano is defined).
// A time outside that range is clamped to its nearer end: it is shown as
// that instant, never as a wrapped-around one nor as the zero time (which
// keeps its own value, recZeroTime, just below the range), and no time
// makes the view panic. Times within minNanosSec and maxNanosSec (Unix
// seconds) take the fast path.
const (
	minNanosSec = math.MinInt64 / 1_000_000_000 // -9223372036
	maxNanosSec = math.MaxInt64 / 1_000_000_000 // 9223372036
)

// timeNanos returns t as Unix nanoseconds, recZeroTime for the zero time,
// clamped to [recZeroTime+1, math.MaxInt64] (see minNanosSec). The zero
// time is outside the fast path's seconds.
func timeNanos(t time.Time) int64 {
	if s := t.Unix(); s > minNanosSec && s < maxNanosSec {
		return s*1e9 + int64(t.Nanosecond())
	}
	return clampNanos(t)
}

// clampNanos returns timeNanos(t) for a time outside the fast path. It
// compares times, not t.Unix(), which wraps around for times within a few
// thousand years of time.Time's own ends.
func clampNanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return recZeroTime
	case !t.After(time.Unix(0, recZeroTime+1)):
		return recZeroTime + 1
	case !t.Before(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// nanosTime is the inverse of timeNanos: a local time, or UTC when utc.
func nanosTime(ns int64, utc bool) time.Time {
	if ns == recZeroTime {
		return time.Time{}
	}
	t := time.Unix(0, ns)
	if utc {
		t = t.UTC()
	}
	return t
}

// stamp is a time as the store keeps it, without a pointer: u is the Unix
// nanoseconds with the sign bit flipped, so that the zero stamp is the zero
// time and stamps order as unsigned integers; utc tells UTC from local.
type stamp struct {
	u   uint64
	utc bool
}

func mkStamp(ns int64, utc bool) stamp { return stamp{u: uint64(ns) ^ 1<<63, utc: utc} }

func (s stamp) ns() int64           { return int64(s.u ^ 1<<63) }
func (s stamp) time() time.Time     { return nanosTime(s.ns(), s.utc) }
func (s stamp) before(o stamp) bool { return s.u < o.u }
func (s stamp) after(o stamp) bool  { return s.u > o.u }
func (s stamp) sub(o stamp) time.Duration {
	if s.u == 0 || o.u == 0 {
		return s.time().Sub(o.time())
	}
	return subNS(s.ns(), o.ns())
}

// unix returns the time in Unix seconds, as time.Time.Unix.
func (s stamp) unix() int64 {
	ns := s.ns()
	if ns == recZeroTime {
		return time.Time{}.Unix()
	}
	sec := ns / 1e9
	if ns%1e9 < 0 {
		sec--
	}
	return sec
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// appendAttrs encodes kvs and returns their part of the memory estimate
// (attrsBytes).
func appendAttrs(b []byte, kvs []attribute.KeyValue) ([]byte, int) {
	b = binary.AppendUvarint(b, uint64(len(kvs)))
	n := 0
	for _, kv := range kvs {
		n += 64 + len(kv.Key)
		b = appendStr(b, string(kv.Key))
		t := kv.Value.Type()
		b = append(b, byte(t))
		switch t {
		case attribute.STRING:
			s := kv.Value.AsString()
			n += len(s)
			b = appendStr(b, s)
		case attribute.BOOL:
			v := uint64(0)
			if kv.Value.AsBool() {
				v = 1
			}
			b = appendU64(b, v)
		case attribute.INT64:
			b = appendU64(b, uint64(kv.Value.AsInt64()))
		case attribute.FLOAT64:
			b = appendU64(b, math.Float64bits(kv.Value.AsFloat64()))
		case attribute.EMPTY:
		default:
			if t == attribute.STRINGSLICE {
				for _, s := range kv.Value.AsStringSlice() {
					n += 16 + len(s)
				}
			} else {
				n += 64 // other slices and maps: a fixed guess
			}
			b = appendStr(b, kv.Value.String())
			b = appendStr(b, kv.Value.AsString())
		}
	}
	return b, n
}

// spanFields is what a record holds of a span, before it is encoded: the
// SDK's spans (setSpan) and the OTLP receiver (otlp_convert.go) fill it.
// flags holds recParent and recRemote; links only count in the memory
// estimate.
type spanFields struct {
	tid        trace.TraceID
	sid, pid   trace.SpanID
	flags      byte
	kind       trace.SpanKind
	code       codes.Code
	start, end time.Time
	name, desc string
	scope      string
	attrs      []attribute.KeyValue
	events     []sdktrace.Event
	links      []sdktrace.Link
}

// setParent sets the parent's fields from p.
func (f *spanFields) setParent(p trace.SpanContext) {
	f.pid = p.SpanID()
	if p.IsValid() {
		f.flags |= recParent
	}
	if p.IsRemote() {
		f.flags |= recRemote
	}
}

// setSpan sets f from sp, of span context sc. Each getter of the SDK's
// span copies the whole snapshot, so each is called once.
func (f *spanFields) setSpan(sp sdktrace.ReadOnlySpan, sc trace.SpanContext) {
	f.tid, f.sid = sc.TraceID(), sc.SpanID()
	f.setParent(sp.Parent())
	st := sp.Status()
	f.code, f.desc = st.Code, st.Description
	f.kind = sp.SpanKind()
	f.start, f.end = sp.StartTime(), sp.EndTime()
	f.name = sp.Name()
	f.scope = sp.InstrumentationScope().Name
	f.attrs, f.events, f.links = sp.Attributes(), sp.Events(), sp.Links()
}

// appendSpan encodes sp, of service svc (hasService: named by the
// resource), as one record.
func appendSpan(b []byte, sp sdktrace.ReadOnlySpan, svc string, hasService bool) []byte {
	var f spanFields
	f.setSpan(sp, sp.SpanContext())
	return appendFields(b, &f, svc, hasService)
}

// maxRecordBytes bounds one record, far below what its u32 length holds:
// a span whose record would be longer is encoded by appendBounded instead.
// No span of ordinary size comes near it; a span reaches it with about
// 1 MiB of attribute and event values (the OTLP receiver's limits allow
// that within a request of MaxOTLPBody). The store's byte cap counts at
// least a record's length (finishRecord).
const maxRecordBytes = 1 << 20

// Cuts appendBounded applies: OTLP's (otlp_convert.go), so that a span too
// large for one record is shown as an OTLP sender's span would be.
const (
	boundedValueLen = otlpMaxValueLen
	boundedNameLen  = otlpMaxNameLen
	// boundedCountLen is the width of a count appendBounded writes before
	// it knows how many items fit (a padded uvarint, up to 2^35).
	boundedCountLen = 5
)

// appendFields encodes f, of service svc, as one record of at most
// maxRecordBytes.
func appendFields(b []byte, f *spanFields, svc string, hasService bool) []byte {
	return appendFieldsMax(b, f, svc, hasService, maxRecordBytes)
}

// appendHead appends a record's fixed part (its length, the memory
// estimate and the strings left to fill) and returns the offset of the
// estimate.
func appendHead(b []byte, f *spanFields, hasService bool) ([]byte, int) {
	b = append(b, 0, 0, 0, 0)
	b = append(b, f.tid[:]...)
	b = append(b, f.sid[:]...)
	b = append(b, f.pid[:]...)
	flags := f.flags | byte(f.code&3)<<recCodeShift
	if f.start.Location() == time.UTC || f.start.IsZero() && f.end.Location() == time.UTC {
		flags |= recUTC
	}
	if hasService {
		flags |= recHasService
	}
	b = append(b, flags, byte(f.kind))
	b = appendU64(b, uint64(timeNanos(f.start)))
	b = appendU64(b, uint64(timeNanos(f.end)))
	estAt := len(b)
	return append(b, 0, 0, 0, 0), estAt
}

// finishRecord writes the length of the record that starts at at and its
// memory estimate est. The estimate is at least the record's own length:
// the record is what the store holds.
func finishRecord(b []byte, at, estAt, est int) []byte {
	est = max(est, len(b)-at)
	binary.LittleEndian.PutUint32(b[estAt:], uint32(min(est, math.MaxUint32)))
	binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at))
	return b
}

// appendFieldsMax encodes f as one record of at most limit bytes (limit
// >= minRecordLimit): as it is when it fits, else by appendBounded.
func appendFieldsMax(b []byte, f *spanFields, svc string, hasService bool, limit int) []byte {
	at := len(b)
	b, estAt := appendHead(b, f, hasService)
	b = appendStr(b, f.name)
	b = appendStr(b, svc)
	b = appendStr(b, f.desc)
	b = appendStr(b, f.scope)
	est := 480 + len(f.name) + len(f.desc)
	var n int
	b, n = appendAttrs(b, f.attrs)
	est += n
	b = binary.AppendUvarint(b, uint64(len(f.events)))
	for i := range f.events {
		e := &f.events[i]
		b = appendStr(b, e.Name)
		b = appendU64(b, uint64(timeNanos(e.Time)))
		b, n = appendAttrs(b, e.Attributes)
		est += 96 + len(e.Name) + n
	}
	est += linksBytes(f.links)
	b = finishRecord(b, at, estAt, est)
	if len(b)-at > limit {
		return appendBounded(b[:at], f, svc, hasService, at+limit)
	}
	return b
}

func linksBytes(links []sdktrace.Link) int {
	n := 0
	for i := range links {
		n += 128 + attrsBytes(links[i].Attributes)
	}
	return n
}

// minRecordLimit is the smallest limit appendBounded accepts: room for the
// fixed part, four cut strings and two counts.
const minRecordLimit = recOffStrings + 3*(boundedNameLen+2) + boundedValueLen + 3 + 2*boundedCountLen

// appendBounded encodes f as one record that ends at most at len limit of
// b: its strings cut as the OTLP receiver cuts them (values at 16 KiB,
// names and keys at 1 KiB, at a rune boundary, made valid UTF-8), then its
// attributes, events and their attributes, in order, as many as fit. The
// memory estimate counts what is kept.
func appendBounded(b []byte, f *spanFields, svc string, hasService bool, limit int) []byte {
	at := len(b)
	b, estAt := appendHead(b, f, hasService)
	name, desc := otlpText(f.name, boundedNameLen), otlpText(f.desc, boundedValueLen)
	b = appendStr(b, name)
	b = appendStr(b, otlpText(svc, boundedNameLen))
	b = appendStr(b, desc)
	b = appendStr(b, otlpText(f.scope, boundedNameLen))
	est := 480 + len(name) + len(desc)
	var n int
	// The attributes leave room for the event count.
	b, n = appendAttrsBounded(b, f.attrs, limit-boundedCountLen)
	est += n
	countAt := len(b)
	b = append(b, make([]byte, boundedCountLen)...)
	kept := 0
	for i := range f.events {
		e := &f.events[i]
		mark := len(b)
		ename := otlpText(e.Name, boundedNameLen)
		b = appendStr(b, ename)
		b = appendU64(b, uint64(timeNanos(e.Time)))
		if len(b)+boundedCountLen > limit {
			b = b[:mark]
			break
		}
		b, n = appendAttrsBounded(b, e.Attributes, limit)
		est += 96 + len(ename) + n
		kept++
	}
	putPaddedUvarint(b[countAt:], uint64(kept))
	est += linksBytes(f.links)
	return finishRecord(b, at, estAt, est)
}

// scalarBits returns the 8 bytes appendAttrs encodes for a BOOL, INT64 or
// FLOAT64 value.
func scalarBits(v attribute.Value) uint64 {
	switch v.Type() {
	case attribute.BOOL:
		if v.AsBool() {
			return 1
		}
	case attribute.INT64:
		return uint64(v.AsInt64())
	case attribute.FLOAT64:
		return math.Float64bits(v.AsFloat64())
	}
	return 0
}

// putPaddedUvarint writes v as a uvarint of exactly len(b) bytes (which
// binary.Uvarint reads like a minimal one); v < 1<<(7*len(b)).
func putPaddedUvarint(b []byte, v uint64) {
	for i := range len(b) - 1 {
		b[i] = byte(v) | 0x80
		v >>= 7
	}
	b[len(b)-1] = byte(v)
}

// appendAttrsBounded encodes kvs as appendAttrs does, their strings cut,
// as many as end by len limit (at least a padded count's room), and
// returns their part of the memory estimate.
func appendAttrsBounded(b []byte, kvs []attribute.KeyValue, limit int) ([]byte, int) {
	countAt := len(b)
	b = append(b, make([]byte, boundedCountLen)...)
	kept, n := 0, 0
	for _, kv := range kvs {
		mark := len(b)
		key := otlpText(string(kv.Key), boundedNameLen)
		b = appendStr(b, key)
		t := kv.Value.Type()
		b = append(b, byte(t))
		m := 64 + len(key)
		switch t {
		case attribute.STRING:
			s := otlpText(kv.Value.AsString(), boundedValueLen)
			m += len(s)
			b = appendStr(b, s)
		case attribute.BOOL, attribute.INT64, attribute.FLOAT64:
			b = appendU64(b, scalarBits(kv.Value))
		case attribute.EMPTY:
		default:
			text := otlpText(kv.Value.String(), boundedValueLen)
			str := otlpText(kv.Value.AsString(), boundedValueLen)
			m += 64 + len(text)
			b = appendStr(b, text)
			b = appendStr(b, str)
		}
		if len(b) > limit {
			b = b[:mark]
			break
		}
		n += m
		kept++
	}
	putPaddedUvarint(b[countAt:countAt+boundedCountLen], uint64(kept))
	return b, n
}

// rec is one encoded span record (the slice may run past its end).
type rec []byte

func (r rec) size() int { return int(binary.LittleEndian.Uint32(r)) }
func (r rec) traceID() (id trace.TraceID) {
	copy(id[:], r[recOffTrace:])
	return id
}
func (r rec) spanID() (id trace.SpanID) {
	copy(id[:], r[recOffSpan:])
	return id
}
func (r rec) parentID() (id trace.SpanID) {
	copy(id[:], r[recOffParent:])
	return id
}
func (r rec) flags() byte          { return r[recOffFlags] }
func (r rec) hasParent() bool      { return r.flags()&recParent != 0 }
func (r rec) isLocalRoot() bool    { return r.flags()&(recParent|recRemote) != recParent }
func (r rec) code() codes.Code     { return codes.Code(r.flags() >> recCodeShift & 3) }
func (r rec) kind() trace.SpanKind { return trace.SpanKind(r[recOffKind]) }
func (r rec) startNS() int64       { return int64(binary.LittleEndian.Uint64(r[recOffStart:])) }
func (r rec) endNS() int64         { return int64(binary.LittleEndian.Uint64(r[recOffEnd:])) }
func (r rec) utc() bool            { return r.flags()&recUTC != 0 }
func (r rec) start() stamp         { return mkStamp(r.startNS(), r.utc()) }
func (r rec) end() stamp           { return mkStamp(r.endNS(), r.utc()) }
func (r rec) bytes() int           { return int(binary.LittleEndian.Uint32(r[recOffBytes:])) }
func (r rec) hasServiceName() bool { return r.flags()&recHasService != 0 }
func (r rec) dur() time.Duration   { return durNS(r.startNS(), r.endNS()) }

// durNS returns end - start as time.Time.Sub does (zero times included),
// never below zero.
func durNS(start, end int64) time.Duration {
	if start == recZeroTime || end == recZeroTime {
		return max(nanosTime(end, false).Sub(nanosTime(start, false)), 0)
	}
	return max(subNS(end, start), 0)
}

// subNS returns a - b, saturated as time.Time.Sub saturates: the clamped
// times span more than an int64 of nanoseconds.
func subNS(a, b int64) time.Duration {
	d := a - b
	switch {
	case a >= b && d < 0:
		return math.MaxInt64
	case a < b && d >= 0:
		return math.MinInt64
	}
	return time.Duration(d)
}

// str reads the string at off, returning its bytes and the offset after it.
func (r rec) str(off int) ([]byte, int) {
	n := int(r[off])
	if n < 0x80 {
		off++
	} else {
		u, k := binary.Uvarint(r[off:])
		n, off = int(u), off+k
	}
	return r[off : off+n], off + n
}

// nameBytes and serviceBytes return the span's name and service without
// copying them.
func (r rec) nameBytes() []byte {
	s, _ := r.str(recOffStrings)
	return s
}

func (r rec) serviceBytes() []byte {
	_, off := r.str(recOffStrings)
	s, _ := r.str(off)
	return s
}

func (r rec) name() string    { return string(r.nameBytes()) }
func (r rec) service() string { return string(r.serviceBytes()) }

// recs calls f for each record of buf, until f returns false.
func recs(buf []byte, f func(r rec) bool) {
	for off := 0; off < len(buf); {
		r := rec(buf[off:])
		if !f(r) {
			return
		}
		off += r.size()
	}
}

// spanAttr is a decoded attribute: text is what Value.String returns, str
// what Value.AsString returns.
type spanAttr struct {
	key, text, str string
}

// spanEv is a decoded event.
type spanEv struct {
	name  string
	time  time.Time
	attrs []spanAttr
}

// spanRec is a decoded record: what the page and the findings read of a
// span.
type spanRec struct {
	traceID           trace.TraceID
	id, parent        trace.SpanID
	hasParent, remote bool
	kind              trace.SpanKind
	code              codes.Code
	start, end        time.Time
	name, service     string
	desc, scope       string
	attrs             []spanAttr
	events            []spanEv
}

// dur returns the span's duration, never below zero.
func (s *spanRec) dur() time.Duration { return max(s.end.Sub(s.start), 0) }

func (r rec) decodeAttrs(off int) ([]spanAttr, int) {
	n, k := binary.Uvarint(r[off:])
	off += k
	if n == 0 {
		return nil, off
	}
	out := make([]spanAttr, n)
	for i := range out {
		var key, s []byte
		key, off = r.str(off)
		a := spanAttr{key: string(key)}
		t := attribute.Type(r[off])
		off++
		switch t {
		case attribute.STRING:
			s, off = r.str(off)
			a.text = string(s)
			a.str = a.text
		case attribute.BOOL:
			a.text = attribute.BoolValue(r[off] != 0).String()
			off += 8
		case attribute.INT64:
			a.text = attribute.Int64Value(int64(binary.LittleEndian.Uint64(r[off:]))).String()
			off += 8
		case attribute.FLOAT64:
			a.text = attribute.Float64Value(math.Float64frombits(binary.LittleEndian.Uint64(r[off:]))).String()
			off += 8
		case attribute.EMPTY:
		default:
			s, off = r.str(off)
			a.text = string(s)
			s, off = r.str(off)
			a.str = string(s)
		}
		out[i] = a
	}
	return out, off
}

// decode returns the span the record holds.
func (r rec) decode() spanRec {
	utc := r.utc()
	s := spanRec{
		traceID: r.traceID(), id: r.spanID(), parent: r.parentID(),
		hasParent: r.hasParent(), remote: r.flags()&recRemote != 0,
		kind: r.kind(), code: r.code(), start: r.start().time(), end: r.end().time(),
	}
	var b []byte
	off := recOffStrings
	b, off = r.str(off)
	s.name = string(b)
	b, off = r.str(off)
	s.service = string(b)
	b, off = r.str(off)
	s.desc = string(b)
	b, off = r.str(off)
	s.scope = string(b)
	s.attrs, off = r.decodeAttrs(off)
	n, k := binary.Uvarint(r[off:])
	off += k
	for range n {
		var e spanEv
		b, off = r.str(off)
		e.name = string(b)
		e.time = nanosTime(int64(binary.LittleEndian.Uint64(r[off:])), utc)
		off += 8
		e.attrs, off = r.decodeAttrs(off)
		s.events = append(s.events, e)
	}
	return s
}

// decodeAll decodes every record of buf.
func decodeAll(buf []byte, n int) []spanRec {
	out := make([]spanRec, 0, n)
	recs(buf, func(r rec) bool {
		out = append(out, r.decode())
		return true
	})
	return out
}
