package liveview

import (
	"slices"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// serviceNameKey is the resource attribute shown in the page's title.
const serviceNameKey = attribute.Key("service.name")

const (
	// seriesSeconds is the length of the rate and heatmap series.
	seriesSeconds = 15 * 60
	// recentDurations is how many recent durations per span name feed the
	// percentiles of the span table.
	recentDurations = 256
	// maxNames caps the distinct span names tracked; further names are
	// counted under otherName.
	maxNames  = 500
	otherName = "(other)"
	// maxSpansPerTrace caps the spans kept for one trace.
	maxSpansPerTrace = 2000
	// slowMinSamples is the number of spans of a name seen before the
	// adaptive slow threshold applies.
	slowMinSamples = 20
	// maxFreeEntries bounds the evicted trace entries kept for reuse, and
	// maxFreeBuf the record buffer one of them keeps.
	maxFreeEntries = 256
	maxFreeBuf     = 1 << 10
)

// traceEntry is one kept trace. Entries sit on one of two lists, ordered by
// the time they were first seen: normal traces, and traces kept longer
// (errors or slow). Its spans are records (record.go) in one pointer-free
// buffer.
type traceEntry struct {
	id        trace.TraceID
	buf       []byte // the spans' records, in the order they ended
	nspans    int
	root      int    // offset in buf of the local root, -1 while it has not ended, rootInExtra
	extra     []byte // the local root's record when the span cap dropped it
	rootStart stamp
	start     stamp
	end       stamp
	errors    int
	slow      bool
	dropped   int
	bytes     int
	kept      bool

	prev, next int32 // slab indexes in the trace's list, 0 for none
}

func (t *traceEntry) kind() string {
	switch {
	case t.errors > 0:
		return "error"
	case t.slow:
		return "slow"
	}
	return ""
}

// rootInExtra is traceEntry.root when the local root is in extra.
const rootInExtra = -2

// rootRec returns the record of the local root, false while it has not
// ended.
func (t *traceEntry) rootRec() (rec, bool) {
	switch {
	case t.root >= 0:
		return rec(t.buf[t.root:]), true
	case t.root == rootInExtra:
		return rec(t.extra), true
	}
	return nil, false
}

// first returns the record of the span shown as the trace's name: its
// local root, or the earliest span while the root has not ended.
func (t *traceEntry) first() rec {
	if r, ok := t.rootRec(); ok {
		return r
	}
	var f rec
	recs(t.buf, func(r rec) bool {
		if f == nil || r.start().before(f.start()) {
			f = r
		}
		return true
	})
	return f
}

// spans decodes the trace's spans.
func (t *traceEntry) spans() []spanRec { return decodeAll(t.buf, t.nspans) }

// traceList is an intrusive doubly linked list of traces (slab indexes),
// oldest at head.
type traceList struct {
	head, tail int32
	n, bytes   int
}

func (s *store) pushBack(l *traceList, i int32) {
	t := &s.slab[i]
	t.prev, t.next = l.tail, 0
	if l.tail != 0 {
		s.slab[l.tail].next = i
	} else {
		l.head = i
	}
	l.tail = i
	l.n++
	l.bytes += t.bytes
}

func (s *store) remove(l *traceList, i int32) {
	t := &s.slab[i]
	if t.prev != 0 {
		s.slab[t.prev].next = t.next
	} else {
		l.head = t.next
	}
	if t.next != 0 {
		s.slab[t.next].prev = t.prev
	} else {
		l.tail = t.prev
	}
	t.prev, t.next = 0, 0
	l.n--
	l.bytes -= t.bytes
}

// nameStats aggregates the spans of one name.
type nameStats struct {
	kind     trace.SpanKind
	count    uint64
	errors   uint64
	buckets  [numBuckets]uint64
	lastSeen stamp
	recent   [recentDurations]time.Duration
	nrecent  int      // total written to recent
	rate     rateRing // counts per few seconds, for spikes (findings.go)
}

// slowBucket returns the bucket above which a span of this name is slow:
// the bucket holding the 95th percentile. ok is false with too few samples.
// observe counts one span of the name: its duration d in bucket b, ended
// at end.
func (n *nameStats) observe(b int, d time.Duration, end stamp, isErr bool) {
	n.count++
	if isErr {
		n.errors++
	}
	n.buckets[b]++
	n.recent[n.nrecent%recentDurations] = d
	n.nrecent++
	n.rate.add(end.unix(), isErr)
	if end.after(n.lastSeen) {
		n.lastSeen = end
	}
}

func (n *nameStats) slowBucket() (b int, ok bool) {
	if n.count < slowMinSamples {
		return 0, false
	}
	rank := n.count - n.count/20 // ceil-ish of 0.95*count
	var cum uint64
	for i, c := range n.buckets {
		cum += c
		if cum >= rank {
			return i, true
		}
	}
	return numBuckets - 1, true
}

// quantiles returns p50, p95 and p99 of the recent durations.
func (n *nameStats) quantiles() (p50, p95, p99 time.Duration) {
	k := min(n.nrecent, recentDurations)
	if k == 0 {
		return 0, 0, 0
	}
	d := make([]time.Duration, k)
	copy(d, n.recent[:k])
	slices.Sort(d)
	q := func(p float64) time.Duration {
		i := int(p*float64(k)+0.999999) - 1 // nearest rank
		return d[max(0, min(i, k-1))]
	}
	return q(0.50), q(0.95), q(0.99)
}

// store holds everything the view shows except logs. All fields are guarded
// by mu.
type store struct {
	mu sync.Mutex

	maxTraces   int
	traceBudget int
	slow        time.Duration

	// The kept traces are entries of slab (index 0 unused), indexed by
	// traces: neither holds a pointer but the entries' buffers, so the
	// garbage collector scans little and the store's writes need no
	// barriers.
	slab        []traceEntry
	traces      traceIndex
	normal      traceList
	kept        traceList
	evicted     uint64
	free        []int32 // evicted entries, for reuse
	series      series
	names       map[string]*nameStats
	totalSpans  uint64
	totalErrors uint64
	service     string
	svc         serviceIndex // per-service aggregates (services.go)
	scratch     []byte       // ingestOne's record
}

func newStore(maxTraces, traceBudget int, slow time.Duration) *store {
	return &store{
		maxTraces:   maxTraces,
		traceBudget: traceBudget,
		slow:        slow,
		slab:        make([]traceEntry, 1, 64),
		traces:      newTraceIndex(),
		series:      newSeries(seriesSeconds),
		names:       make(map[string]*nameStats),
	}
}

// ingest adds ended spans. The caller holds s.mu.
func (s *store) ingest(batch []sdktrace.ReadOnlySpan) {
	for _, sp := range batch {
		s.ingestOne(sp)
	}
}

// ingestRecs adds the spans of the records of buf. The caller holds s.mu.
func (s *store) ingestRecs(buf []byte) {
	for off := 0; off < len(buf); {
		r := rec(buf[off:])
		s.ingestRec(r)
		off += r.size()
	}
}

// ingestOne encodes sp (record.go) and adds it; the store keeps the record
// only.
func (s *store) ingestOne(sp sdktrace.ReadOnlySpan) {
	svc, has := s.svc.serviceOf(sp)
	s.scratch = appendSpan(s.scratch[:0], sp, svc, has)
	s.ingestRec(rec(s.scratch))
}

// ingestRec adds the span of record r. The caller holds s.mu.
func (s *store) ingestRec(r rec) {
	start, end := r.start(), r.end()
	d := r.dur()
	b := bucketOf(d)
	isErr := r.code() == codes.Error
	s.ingestService(r, end, d, b, isErr)

	s.totalSpans++
	if isErr {
		s.totalErrors++
	}
	s.series.add(end.unix(), b, isErr)
	if s.service == "" && r.hasServiceName() {
		s.service = r.service()
	}

	nameB := r.nameBytes()
	ns := s.names[string(nameB)]
	if ns == nil {
		name := string(nameB)
		if len(s.names) >= maxNames {
			name = otherName
			ns = s.names[name]
		}
		if ns == nil {
			ns = &nameStats{kind: r.kind()}
			s.names[name] = ns
		}
	}
	slow := false
	if s.slow > 0 {
		slow = d >= s.slow
	} else if sb, ok := ns.slowBucket(); ok {
		slow = b > sb
	}
	ns.observe(b, d, end, isErr)

	s.addToTrace(r, start, end, isErr, slow)
}

func (s *store) addToTrace(r rec, start, end stamp, isErr, slow bool) {
	id := r.traceID()
	i := s.traces.get(id)
	if i == 0 {
		i = s.newEntry()
		t := &s.slab[i]
		t.id, t.start, t.end = id, start, end
		s.traces.put(id, i)
		s.pushBack(&s.normal, i)
	}
	t := &s.slab[i]
	list := &s.normal
	if t.kept {
		list = &s.kept
	}
	at := len(t.buf)
	if t.nspans >= maxSpansPerTrace {
		t.dropped++
		at = rootInExtra
	} else {
		n := r.bytes()
		t.buf = append(t.buf, r[:r.size()]...)
		t.nspans++
		t.bytes += n
		list.bytes += n
	}
	if r.isLocalRoot() && (t.root == -1 || start.before(t.rootStart)) {
		t.root, t.rootStart = at, start
		if at == rootInExtra {
			t.extra = append(t.extra[:0], r[:r.size()]...)
		}
	}
	if start.before(t.start) {
		t.start = start
	}
	if end.after(t.end) {
		t.end = end
	}
	if isErr {
		t.errors++
	}
	t.slow = t.slow || slow
	if (isErr || slow) && !t.kept {
		s.remove(&s.normal, i)
		t.kept = true
		s.pushBack(&s.kept, i)
	}
	for s.normal.n+s.kept.n > s.maxTraces || s.normal.bytes+s.kept.bytes > s.traceBudget {
		s.evictOne()
	}
}

// evictOne drops the oldest normal trace, unless the traces kept longer
// (errors, slow) already use half of a cap or no normal trace is left: then
// it drops the oldest of those.
func (s *store) evictOne() {
	i := s.normal.head
	if s.kept.head != 0 && (i == 0 || s.kept.n > s.maxTraces/2 || s.kept.bytes > s.traceBudget/2) {
		i = s.kept.head
	}
	victim := &s.slab[i]
	if victim.kept {
		s.remove(&s.kept, i)
	} else {
		s.remove(&s.normal, i)
	}
	s.traces.del(victim.id)
	s.evicted++
	buf := victim.buf[:0]
	if cap(buf) > maxFreeBuf || len(s.free) >= maxFreeEntries {
		buf = nil // do not keep a large buffer, nor many
	}
	*victim = traceEntry{buf: buf}
	s.free = append(s.free, i)
}

// newEntry returns the slab index of an empty trace entry, reusing an
// evicted one when it can: at steady state (the store full) a new trace
// costs no allocation.
func (s *store) newEntry() int32 {
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		s.slab = append(s.slab, traceEntry{})
		i = int32(len(s.slab) - 1)
	}
	s.slab[i].root = -1
	return i
}

// entry returns the kept trace id, nil if there is none. The pointer is
// valid while s.mu is held and no span is added.
func (s *store) entry(id trace.TraceID) *traceEntry {
	if i := s.traces.get(id); i != 0 {
		return &s.slab[i]
	}
	return nil
}

// eachTrace calls f for each kept trace: the normal ones, then those kept
// longer, each oldest first.
func (s *store) eachTrace(f func(t *traceEntry)) {
	for _, l := range []*traceList{&s.normal, &s.kept} {
		for i := l.head; i != 0; i = s.slab[i].next {
			f(&s.slab[i])
		}
	}
}

// tracesNewestFirst returns the kept traces, most recently started first.
func (s *store) tracesNewestFirst() []*traceEntry {
	out := make([]*traceEntry, 0, s.traces.len())
	s.eachTrace(func(t *traceEntry) { out = append(out, t) })
	sort.Slice(out, func(i, j int) bool { return out[i].start.after(out[j].start) })
	return out
}

// spanBytes estimates the memory a kept span holds (the estimate the byte
// cap counts, as the SDK's snapshot and its attributes, events and links
// would take); appendSpan computes the same while it encodes the span.
func spanBytes(sp sdktrace.ReadOnlySpan) int {
	return rec(appendSpan(nil, sp, "", false)).bytes()
}

func attrsBytes(kvs []attribute.KeyValue) int {
	n := 0
	for _, kv := range kvs {
		n += 64 + len(kv.Key)
		switch kv.Value.Type() {
		case attribute.STRING:
			n += len(kv.Value.AsString())
		case attribute.STRINGSLICE:
			for _, s := range kv.Value.AsStringSlice() {
				n += 16 + len(s)
			}
		case attribute.BOOL, attribute.INT64, attribute.FLOAT64:
		default:
			n += 64 // other slices and maps: a fixed guess avoids copying them
		}
	}
	return n
}
