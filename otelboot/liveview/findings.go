package liveview

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/otelkit/otelkit/internal/durbucket"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"
)

// Findings read the dashboard the way section 8 of the spec does. They are
// computed on demand, at most once per findingsTTL (a read within it gets
// the cached answer), from what the view already keeps: the kept traces
// (bottleneck, failing call, N+1, example traces), the per-name recent
// durations (latency band) and a per-name ring of 5-second counts (spike).
// One computation is linear in the kept spans, which the trace caps bound;
// the state carried between computations (first seen, band baselines) is
// capped at maxFindingStates entries.

// The finding kinds of /api/findings.
const (
	kindBottleneck  = "bottleneck"
	kindFailingCall = "failing_call"
	kindSpike       = "spike"
	kindLatencyBand = "latency_band"
	kindNPlusOne    = "n_plus_one"
)

const (
	// findingsTTL is how long a computed answer is served again.
	findingsTTL = time.Second
	// findingsTick is the period of the computation that logs findings
	// (Config.LogFindings).
	findingsTick = 5 * time.Second
	// maxFindingTraces is the number of example traces per finding.
	maxFindingTraces = 5
	// maxFindings caps the answer; maxFindingStates the remembered ones.
	maxFindings      = 200
	maxFindingStates = 400
	// findingMemory is how long a finding that has ended (a spike, an
	// error burst) stays listed, and how long any finding is remembered
	// (its first_seen, whether it was logged) after it was last seen.
	findingMemory = 5 * time.Minute

	// bottleneckMinTraces is the number of kept traces of a route needed
	// to name its bottleneck; bottleneckMinShare the share of the slow
	// tail's time (traces at or above the route's p95) the child must
	// account for, bottleneckMinSelf the share the route's self time must
	// (higher: on a loaded machine waiting for a CPU counts as self time);
	// bottleneckMinP95 the p95 below which a route is too fast to have one
	// (the spec's Redis-read band).
	bottleneckMinTraces = 5
	bottleneckMinShare  = 0.5
	bottleneckMinSelf   = 0.75
	bottleneckMinP95    = time.Duration(1 << 20)

	// nPlusOneMin is the number of sibling spans running the same
	// statement shape in sequence that make an N+1.
	nPlusOneMin = 5

	// burstGap separates two error bursts of the same call; burstMin is
	// the number of errors that make a burst.
	burstGap = time.Minute
	burstMin = 3

	// Spikes: counts per rateSlotSec-second slot, rateSlots of them per
	// span name. The recent rate is over the current and the previous
	// slot; the baseline over the spikeBaselineSlots before them, never
	// the first slot the name was seen in (start-up), and at least
	// spikeMinBaseline slots of it. A spike is a recent rate at least
	// spikeFactor times the baseline (or spikeFactor times spikeFloor per
	// second when the baseline is lower), with at least spikeMinSpans
	// spans (spikeMinErrors errors) in the recent slots.
	rateSlotSec        = 5
	rateSlots          = 72
	spikeBaselineSlots = 60
	spikeMinBaseline   = 6
	spikeFactor        = 3.0
	spikeFloor         = 0.05
	spikeMinSpans      = 20
	spikeMinErrors     = 5

	// bandMinSamples is the number of spans of a route before its band is
	// read; a move needs a band change and a p50 at least bandMoveFactor
	// from the baseline's; a band held for findingMemory becomes the new
	// baseline.
	bandMinSamples = 20
	bandMoveFactor = 2.0
)

// bandNames names the spec's latency bands (internal/durbucket.SpecBands).
var bandNames = [...]string{"cached data", "a Redis read", "a DB query", "a complex query", "an external call"}

// rateSlot counts the spans and errors of one slot.
type rateSlot struct {
	idx           int64
	spans, errors uint32
}

// rateRing is a ring of per-slot counts of one span name.
type rateRing struct {
	first int64 // index of the first slot seen, 0 before any
	slots [rateSlots]rateSlot
}

func (r *rateRing) add(sec int64, isErr bool) {
	idx := sec / rateSlotSec
	if r.first == 0 {
		r.first = idx
	}
	sl := &r.slots[idx%rateSlots]
	if sl.idx != idx {
		if sl.idx > idx {
			return // older than the ring
		}
		*sl = rateSlot{idx: idx}
	}
	sl.spans++
	if isErr {
		sl.errors++
	}
}

func (r *rateRing) at(idx int64) rateSlot {
	if idx < 0 {
		return rateSlot{}
	}
	if sl := r.slots[idx%rateSlots]; sl.idx == idx {
		return sl
	}
	return rateSlot{}
}

// Finding is one reading of the dashboard, as /api/findings returns it.
type finding struct {
	Kind      string             `json:"kind"`
	Service   string             `json:"service"`
	Route     string             `json:"route"`
	Child     string             `json:"child"`
	Summary   string             `json:"summary"`
	Numbers   map[string]float64 `json:"numbers"`
	Traces    []string           `json:"traces"`
	FirstSeen time.Time          `json:"first_seen"`
	LastSeen  time.Time          `json:"last_seen"`

	key    string // identity across computations
	sticky bool   // stays listed for findingMemory after it ends
	quiet  bool   // a reading, not a warning: never logged
	rank   int    // sort order of the kind
}

// findingsResponse is the JSON of /api/findings.
type findingsResponse struct {
	Findings []finding `json:"findings"`
}

// findingState is what is remembered of a finding between computations.
type findingState struct {
	first, lastActive time.Time
	logged            bool
	f                 finding
}

// bandState is a route's latency-band baseline.
type bandState struct {
	band      int
	p50       time.Duration
	candidate int // band of a move not yet made the baseline, -1 if none
	since     time.Time
}

// findingsState is guarded by mu; a computation holds it throughout.
type findingsState struct {
	mu      sync.Mutex
	at      time.Time
	cached  []finding
	states  map[string]*findingState
	bands   map[string]*bandState
	stopLog chan struct{}
}

// keptTrace is a copy, taken under the store lock, of what findings read
// of a kept trace (the spans are immutable snapshots).
type keptTrace struct {
	id      trace.TraceID
	service string // the root's service, as tracked
	route   string
	root    *spanRec
	spans   []*spanRec
}

// routeStats is a copy of the aggregates of a server span name.
type routeStats struct {
	service  string
	name     string
	count    uint64
	p50, p95 time.Duration
	rate     rateRing
}

// apiFindings answers /api/findings; service=<name> keeps the findings of
// one service (as /api/services names it).
func (v *View) apiFindings(w http.ResponseWriter, r *http.Request) {
	fs := v.findings()
	if svc := r.URL.Query().Get("service"); svc != "" {
		kept := []finding{}
		for _, f := range fs {
			if f.Service == svc {
				kept = append(kept, f)
			}
		}
		fs = kept
	}
	writeJSON(w, findingsResponse{Findings: fs})
}

// findings returns the current findings, computing them when the cached
// answer is older than findingsTTL. It returns the findings that appeared
// since the last computation as well.
func (v *View) findings() []finding {
	out, _ := v.computeFindings(false, false)
	return out
}

// computeFindings returns the findings and, when logging, those not logged
// yet (marking them logged). force skips the cache.
func (v *View) computeFindings(force, logging bool) (all, unlogged []finding) {
	fs := &v.fstate
	fs.mu.Lock()
	defer fs.mu.Unlock()
	now := v.now()
	if !force && !logging && fs.cached != nil && now.Sub(fs.at) < findingsTTL && !now.Before(fs.at) {
		return fs.cached, nil
	}
	traces, routes, multi := v.snapshotForFindings()
	// Findings are read per service (a trace belongs to its root's
	// service), so two services' routes of the same name never mix; the
	// service is part of a finding's identity and, while several are
	// tracked, of its summary.
	type part struct {
		traces []keptTrace
		routes []routeStats
	}
	parts := map[string]*part{}
	partOf := func(svc string) *part {
		p := parts[svc]
		if p == nil {
			p = &part{}
			parts[svc] = p
		}
		return p
	}
	for _, t := range traces {
		p := partOf(t.service)
		p.traces = append(p.traces, t)
	}
	for _, r := range routes {
		p := partOf(r.service)
		p.routes = append(p.routes, r)
	}
	svcs := make([]string, 0, len(parts))
	for svc := range parts {
		svcs = append(svcs, svc)
	}
	sort.Strings(svcs)
	cur := make([]finding, 0, 16)
	for _, svc := range svcs {
		p := parts[svc]
		from := len(cur)
		cur = append(cur, bottlenecks(p.traces, p.routes)...)
		cur = append(cur, nPlusOnes(p.traces)...)
		cur = append(cur, failingCalls(p.traces)...)
		cur = append(cur, spikes(p.traces, p.routes, now)...)
		cur = append(cur, fs.latencyBands(svc, p.traces, p.routes, now)...)
		for i := from; i < len(cur); i++ {
			f := &cur[i]
			f.Service, f.key = svc, svc+"|"+f.key
			if multi {
				f.Summary = svc + " · " + f.Summary
			}
		}
	}

	if fs.states == nil {
		fs.states = make(map[string]*findingState)
	}
	active := make(map[string]bool, len(cur))
	for i := range cur {
		f := &cur[i]
		active[f.key] = true
		if f.LastSeen.IsZero() {
			f.LastSeen = now
		}
		st := fs.states[f.key]
		if st == nil {
			st = &findingState{first: f.FirstSeen}
			if st.first.IsZero() {
				st.first = now
			}
			fs.states[f.key] = st
		}
		// The rule: first_seen <= last_seen. A finding first seen at the
		// time of the analysis (now) whose evidence is older was first seen
		// no later than that evidence.
		if st.first.After(f.LastSeen) {
			st.first = f.LastSeen
		}
		if f.FirstSeen.IsZero() || f.Kind != kindFailingCall && st.first.Before(f.FirstSeen) || f.FirstSeen.After(f.LastSeen) {
			f.FirstSeen = st.first
		}
		if logging && !f.quiet && !st.logged {
			st.logged = true
			unlogged = append(unlogged, *f)
		}
		st.lastActive = now
		st.f = *f
	}
	for k, st := range fs.states {
		if active[k] {
			continue
		}
		if now.Sub(st.lastActive) > findingMemory {
			delete(fs.states, k)
			continue
		}
		if st.f.sticky {
			cur = append(cur, st.f)
		}
	}
	if len(fs.states) > maxFindingStates {
		fs.trimStates()
	}
	sort.SliceStable(cur, func(i, j int) bool {
		if cur[i].rank != cur[j].rank {
			return cur[i].rank < cur[j].rank
		}
		if !cur[i].LastSeen.Equal(cur[j].LastSeen) {
			return cur[i].LastSeen.After(cur[j].LastSeen)
		}
		return cur[i].key < cur[j].key
	})
	if len(cur) > maxFindings {
		cur = cur[:maxFindings]
	}
	fs.cached, fs.at = cur, now
	return cur, unlogged
}

// trimStates drops the least recently active states beyond the cap.
func (fs *findingsState) trimStates() {
	type kv struct {
		k string
		t time.Time
	}
	all := make([]kv, 0, len(fs.states))
	for k, st := range fs.states {
		all = append(all, kv{k, st.lastActive})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
	for _, e := range all[:len(all)-maxFindingStates] {
		delete(fs.states, e.k)
	}
}

// snapshotForFindings copies, under the store lock, the kept traces and
// the aggregates of server span names, each with its service, and reports
// whether more than one service is tracked.
func (v *View) snapshotForFindings() ([]keptTrace, []routeStats, bool) {
	raws, buf, routes, multi := v.copyForFindings()
	// The records are decoded off the store lock, into one array for all
	// the traces.
	n := 0
	for _, rt := range raws {
		n += rt.nspans
	}
	recsAll := make([]spanRec, 0, n)
	all := make([]*spanRec, 0, n)
	traces := make([]keptTrace, 0, len(raws))
	for _, rt := range raws {
		start := len(all)
		var root *spanRec
		for off := rt.from; off < rt.to; {
			r := rec(buf[off:])
			recsAll = append(recsAll, r.decode())
			sp := &recsAll[len(recsAll)-1]
			all = append(all, sp)
			if off == rt.root {
				root = sp
			}
			off += r.size()
		}
		if root == nil { // the span cap dropped it: it is not among the spans
			d := rec(rt.extra).decode()
			root = &d
		}
		traces = append(traces, keptTrace{id: rt.id, service: rt.service, route: root.name, root: root,
			spans: all[start:len(all):len(all)]})
	}
	return traces, routes, multi
}

// rawTrace is a kept trace as copyForFindings copies it: its records are
// buf[from:to], its root's at root (or in extra when the span cap dropped
// it); service is the root's service, as tracked.
type rawTrace struct {
	id             trace.TraceID
	service        string
	nspans         int
	from, to, root int
	extra          []byte
}

// copyForFindings copies, under the store lock, the records of the kept
// traces whose local root has ended and the aggregates of server span
// names, each with its service, and reports whether more than one service
// is tracked.
func (v *View) copyForFindings() ([]rawTrace, []byte, []routeStats, bool) {
	v.lockStore()
	defer v.store.mu.Unlock()
	s := v.store
	size := 0
	s.eachTrace(func(t *traceEntry) { size += len(t.buf) })
	buf := make([]byte, 0, size)
	raws := make([]rawTrace, 0, s.traces.len())
	for _, t := range s.tracesNewestFirst() {
		// A finding's route is the name of the trace's local root. While
		// the root has not ended the trace has no route yet and findings
		// skip it (its spans are read again once the root ends).
		rr, ok := t.rootRec()
		if !ok {
			continue
		}
		rt := rawTrace{id: t.id, service: s.svc.tracked(rr.service()), nspans: t.nspans, from: len(buf), root: -1}
		buf = append(buf, t.buf...)
		rt.to = len(buf)
		if t.root >= 0 {
			rt.root = rt.from + t.root
		} else {
			rt.extra = append([]byte(nil), rr[:rr.size()]...)
		}
		raws = append(raws, rt)
	}
	var routes []routeStats
	add := func(svc, name string, ns *nameStats) {
		if ns.kind != trace.SpanKindServer || name == otherName {
			return
		}
		p50, p95, _ := ns.quantiles()
		routes = append(routes, routeStats{service: svc, name: name, count: ns.count, p50: p50, p95: p95, rate: ns.rate})
	}
	if !s.svc.multi {
		for name, ns := range s.names {
			add(s.svc.first, name, ns)
		}
	} else {
		for k, ns := range s.svc.names {
			add(k.service, k.name, ns)
		}
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].service != routes[j].service {
			return routes[i].service < routes[j].service
		}
		return routes[i].name < routes[j].name
	})
	return raws, buf, routes, s.svc.multi
}

func spanDur(s *spanRec) time.Duration { return s.dur() }

func durMS(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func pct(x float64) float64 { return math.Round(x*1000) / 10 }

// interval is a span's time, for unions.
type interval struct{ a, b time.Time }

// unionWithin returns the total length of the union of ivs clipped to
// [lo, hi]. It sorts ivs.
func unionWithin(ivs []interval, lo, hi time.Time) time.Duration {
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].a.Before(ivs[j].a) })
	var total time.Duration
	var curA, curB time.Time
	open := false
	for _, iv := range ivs {
		a, b := iv.a, iv.b
		if a.Before(lo) {
			a = lo
		}
		if b.After(hi) {
			b = hi
		}
		if !b.After(a) {
			continue
		}
		if open && !a.After(curB) {
			if b.After(curB) {
				curB = b
			}
			continue
		}
		if open {
			total += curB.Sub(curA)
		}
		curA, curB, open = a, b, true
	}
	if open {
		total += curB.Sub(curA)
	}
	return total
}

// childrenOf indexes the spans of a trace by parent span id.
func childrenOf(spans []*spanRec) map[trace.SpanID][]*spanRec {
	m := make(map[trace.SpanID][]*spanRec, len(spans))
	for _, s := range spans {
		if s.hasParent {
			m[s.parent] = append(m[s.parent], s)
		}
	}
	return m
}

// bottlenecks names, per route (the name of a trace's local root server
// span), the direct child span name (or the root's self time) that
// accounts for at least bottleneckMinShare of the time of the route's slow
// tail: the kept traces at or above the route's p95. A child name's time in
// a trace is the union of its spans' intervals within the root, so
// concurrent calls are not counted twice; self time is the root's time not
// covered by any child.
func bottlenecks(traces []keptTrace, routes []routeStats) []finding {
	p95 := make(map[string]time.Duration, len(routes))
	for _, r := range routes {
		p95[r.name] = r.p95
	}
	type sample struct {
		id       trace.TraceID
		dur      time.Duration
		end      time.Time
		self     time.Duration
		children map[string]time.Duration
	}
	byRoute := map[string][]sample{}
	for _, t := range traces {
		r := t.root
		if r == nil || r.kind != trace.SpanKindServer {
			continue
		}
		lo, hi := r.start, r.end
		sm := sample{id: t.id, dur: spanDur(r), end: hi, children: map[string]time.Duration{}}
		var all []interval
		perName := map[string][]interval{}
		rid := r.id
		for _, s := range t.spans {
			if !s.hasParent || s.parent != rid || s == r {
				continue
			}
			iv := interval{s.start, s.end}
			all = append(all, iv)
			perName[s.name] = append(perName[s.name], iv)
		}
		sm.self = max(sm.dur-unionWithin(all, lo, hi), 0)
		for name, ivs := range perName {
			sm.children[name] = unionWithin(ivs, lo, hi)
		}
		byRoute[r.name] = append(byRoute[r.name], sm)
	}
	var out []finding
	for route, ss := range byRoute {
		if len(ss) < bottleneckMinTraces {
			continue
		}
		sort.Slice(ss, func(i, j int) bool { return ss[i].dur > ss[j].dur })
		q := p95[route]
		if q == 0 {
			q = ss[len(ss)/20].dur
		}
		tail := ss[:1]
		for i := range ss {
			if ss[i].dur >= q {
				tail = ss[:i+1]
			}
		}
		if q < bottleneckMinP95 {
			continue
		}
		var total, self time.Duration
		sums := map[string]time.Duration{}
		var latest time.Time
		for _, sm := range tail {
			total += sm.dur
			self += sm.self
			for n, d := range sm.children {
				sums[n] += d
			}
			if sm.end.After(latest) {
				latest = sm.end
			}
		}
		if total <= 0 {
			continue
		}
		top, topD := "", self
		for n, d := range sums {
			if d > topD || d == topD && top != "" && n < top {
				top, topD = n, d
			}
		}
		share := float64(topD) / float64(total)
		if share < bottleneckMinShare || top == "" && share < bottleneckMinSelf {
			continue
		}
		where := "in " + top
		if top == "" {
			where = "in its own code (self time, not in child spans)"
		}
		k := float64(len(tail))
		f := finding{
			Kind: kindBottleneck, Route: route, Child: top,
			Summary: fmt.Sprintf("%s: %.0f %% of p95 %s (p95 %s, %d slow traces)", route, share*100, where,
				formatDuration(q), len(tail)),
			Numbers: map[string]float64{
				"share_pct": pct(share), "p95_ms": durMS(q), "child_ms": durMS(time.Duration(float64(topD) / k)),
				"self_ms": durMS(time.Duration(float64(self) / k)), "tail_traces": k, "traces": float64(len(ss)),
			},
			LastSeen: latest, key: kindBottleneck + "|" + route + "|" + top, rank: 4,
		}
		for _, sm := range tail[:min(len(tail), maxFindingTraces)] {
			f.Traces = append(f.Traces, sm.id.String())
		}
		out = append(out, f)
	}
	return out
}

// statementShape returns the statement a database span runs with its
// literals replaced by '?' (numbers, quoted strings, IN lists), or the
// command name of a Redis command; "" for a span that is not a database
// call.
func statementShape(s *spanRec) string {
	var text, system string
	for _, a := range s.attrs {
		switch a.key {
		case "db.statement", "db.query.text":
			if text == "" {
				text = a.str
			}
		case "db.system", "db.system.name":
			system = a.str
		}
	}
	if text == "" {
		return ""
	}
	if system == "redis" {
		cmd, _, _ := strings.Cut(strings.TrimSpace(text), " ")
		if strings.Contains(text, "\n") {
			return "" // a pipeline: one round trip whatever its commands
		}
		return strings.ToUpper(cmd)
	}
	return normalizeStatement(text)
}

// normalizeStatement replaces literals by '?' and collapses whitespace and
// lists of placeholders, keeping at most 160 bytes.
func normalizeStatement(q string) string {
	var b strings.Builder
	space := false
	put := func(c byte) {
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(c)
	}
	for i := 0; i < len(q) && b.Len() < 160; i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for ; j < len(q); j++ {
				if q[j] == '\\' {
					j++
				} else if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j++ // a doubled quote stays inside the literal
						continue
					}
					break
				}
			}
			i = j
			put('?')
		case c >= '0' && c <= '9' && (i == 0 || !isIdent(q[i-1])):
			for i+1 < len(q) && (q[i+1] >= '0' && q[i+1] <= '9' || q[i+1] == '.') {
				i++
			}
			put('?')
		case c == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			for i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
				i++
			}
			put('?')
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			space = true
		default:
			put(c)
		}
	}
	out := b.String()
	for strings.Contains(out, "?, ?") || strings.Contains(out, "?,?") {
		out = strings.ReplaceAll(strings.ReplaceAll(out, "?, ?", "?"), "?,?", "?")
	}
	return out
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// nPlusOnes finds traces in which one parent runs the same statement shape
// at least nPlusOneMin times in sequence (each call starting after the
// previous one of the shape ended), grouped by route and shape.
func nPlusOnes(traces []keptTrace) []finding {
	type agg struct {
		route, shape   string
		traces         int
		maxCount       int
		worstTotal     time.Duration
		worstParentPct float64
		ids            []string
		first, last    time.Time
	}
	groups := map[string]*agg{}
	for _, t := range traces {
		byID := make(map[trace.SpanID]*spanRec, len(t.spans))
		for _, s := range t.spans {
			byID[s.id] = s
		}
		seen := map[string]bool{}
		for pid, kids := range childrenOf(t.spans) {
			if len(kids) < nPlusOneMin {
				continue
			}
			shapes := map[string][]*spanRec{}
			for _, k := range kids {
				if sh := statementShape(k); sh != "" {
					shapes[sh] = append(shapes[sh], k)
				}
			}
			for sh, ss := range shapes {
				if len(ss) < nPlusOneMin {
					continue
				}
				sort.Slice(ss, func(i, j int) bool { return ss[i].start.Before(ss[j].start) })
				seq, run := 1, 1
				var total time.Duration
				for i, s := range ss {
					total += spanDur(s)
					if i > 0 {
						if !s.start.Before(ss[i-1].end) {
							run++
						} else {
							run = 1
						}
						seq = max(seq, run)
					}
				}
				if seq < nPlusOneMin {
					continue
				}
				key := t.route + "|" + sh
				g := groups[key]
				if g == nil {
					g = &agg{route: t.route, shape: sh}
					groups[key] = g
				}
				if !seen[key] {
					seen[key] = true
					g.traces++
					if len(g.ids) < maxFindingTraces {
						g.ids = append(g.ids, t.id.String())
					}
				}
				if seq > g.maxCount || seq == g.maxCount && total > g.worstTotal {
					g.maxCount, g.worstTotal = seq, total
					g.worstParentPct = 0
					if p := byID[pid]; p != nil && spanDur(p) > 0 {
						g.worstParentPct = pct(float64(total) / float64(spanDur(p)))
					}
				}
				a, b := ss[0].start, ss[len(ss)-1].end
				if g.first.IsZero() || a.Before(g.first) {
					g.first = a
				}
				if b.After(g.last) {
					g.last = b
				}
			}
		}
	}
	out := make([]finding, 0, len(groups))
	for key, g := range groups {
		f := finding{
			Kind: kindNPlusOne, Route: g.route, Child: g.shape,
			Summary: fmt.Sprintf("%s: N+1, one parent runs %s %d times in sequence (%s in all, %.0f %% of the parent) in %d kept trace(s)",
				g.route, g.shape, g.maxCount, formatDuration(g.worstTotal), g.worstParentPct, g.traces),
			Numbers: map[string]float64{
				"count": float64(g.maxCount), "total_ms": durMS(g.worstTotal), "parent_pct": g.worstParentPct,
				"mean_ms": durMS(g.worstTotal / time.Duration(g.maxCount)), "traces": float64(g.traces),
			},
			Traces: g.ids, FirstSeen: g.first, LastSeen: g.last,
			key: kindNPlusOne + "|" + key, rank: 2,
		}
		out = append(out, f)
	}
	return out
}

// errorType returns what names the failure of an error span: error.type,
// else the exception.type of its first exception event, else "error".
func errorType(s *spanRec) string {
	for _, a := range s.attrs {
		if a.key == "error.type" {
			return a.text
		}
	}
	for _, e := range s.events {
		for _, a := range e.attrs {
			if a.key == "exception.type" {
				return a.text
			}
		}
	}
	return "error"
}

// failingCalls groups the failing calls of the kept traces: the error
// spans none of whose children failed (the end of the chain of errors),
// by span name and error type, split into bursts at gaps longer than
// burstGap; the latest burst of each with at least burstMin errors is a
// finding.
func failingCalls(traces []keptTrace) []finding {
	type hit struct {
		at    time.Time
		route string
		id    trace.TraceID
	}
	hits := map[[2]string][]hit{}
	for _, t := range traces {
		failedChild := map[trace.SpanID]bool{}
		for _, s := range t.spans {
			if s.code == codes.Error && s.hasParent {
				failedChild[s.parent] = true
			}
		}
		for _, s := range t.spans {
			if s.code != codes.Error || failedChild[s.id] {
				continue
			}
			k := [2]string{s.name, errorType(s)}
			hits[k] = append(hits[k], hit{at: s.end, route: t.route, id: t.id})
		}
	}
	var out []finding
	for k, hs := range hits {
		sort.Slice(hs, func(i, j int) bool { return hs[i].at.Before(hs[j].at) })
		start := len(hs) - 1
		for start > 0 && hs[start].at.Sub(hs[start-1].at) <= burstGap {
			start--
		}
		burst := hs[start:]
		if len(burst) < burstMin {
			continue
		}
		perRoute := map[string]int{}
		for _, h := range burst {
			perRoute[h.route]++
		}
		rs := make([]string, 0, len(perRoute))
		for r := range perRoute {
			rs = append(rs, r)
		}
		sort.Slice(rs, func(i, j int) bool {
			if perRoute[rs[i]] != perRoute[rs[j]] {
				return perRoute[rs[i]] > perRoute[rs[j]]
			}
			return rs[i] < rs[j]
		})
		under := strings.Join(rs[:min(len(rs), 3)], ", ")
		if len(rs) > 3 {
			under += fmt.Sprintf(" and %d more", len(rs)-3)
		}
		first, last := burst[0].at, burst[len(burst)-1].at
		f := finding{
			Kind: kindFailingCall, Route: rs[0], Child: k[0],
			Summary: fmt.Sprintf("%s fails with %s under %s: %d errors from %s to %s UTC", k[0], k[1], under,
				len(burst), first.UTC().Format(time.TimeOnly), last.UTC().Format(time.TimeOnly)),
			Numbers: map[string]float64{
				"errors": float64(len(burst)), "routes": float64(len(rs)),
				"duration_s": math.Round(last.Sub(first).Seconds()*10) / 10,
			},
			FirstSeen: first, LastSeen: last,
			key: kindFailingCall + "|" + k[0] + "|" + k[1], sticky: true, rank: 0,
		}
		seen := map[trace.TraceID]bool{}
		for i := len(burst) - 1; i >= 0 && len(f.Traces) < maxFindingTraces; i-- {
			if !seen[burst[i].id] {
				seen[burst[i].id] = true
				f.Traces = append(f.Traces, burst[i].id.String())
			}
		}
		out = append(out, f)
	}
	return out
}

// newestTraces returns up to maxFindingTraces ids of kept traces of route,
// newest root end first, whose root satisfies keep (nil: any).
func newestTraces(traces []keptTrace, route string, keep func(*spanRec) bool) []string {
	var ts []keptTrace
	for _, t := range traces {
		if t.root != nil && t.root.name == route && (keep == nil || keep(t.root)) {
			ts = append(ts, t)
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].root.end.After(ts[j].root.end) })
	out := []string{}
	for _, t := range ts[:min(len(ts), maxFindingTraces)] {
		out = append(out, t.id.String())
	}
	return out
}

// spikes compares, per route, the span rate and the error rate of the
// recent slots with their baseline (see the constants).
func spikes(traces []keptTrace, routes []routeStats, now time.Time) []finding {
	cur := now.Unix() / rateSlotSec
	recentSec := float64(rateSlotSec + now.Unix()%rateSlotSec + 1)
	var out []finding
	for _, r := range routes {
		if r.rate.first == 0 {
			continue
		}
		from := max(r.rate.first+1, cur-1-spikeBaselineSlots)
		nb := cur - 1 - from
		if nb < spikeMinBaseline {
			continue
		}
		var bs, be float64
		for i := from; i < cur-1; i++ {
			sl := r.rate.at(i)
			bs += float64(sl.spans)
			be += float64(sl.errors)
		}
		a, b := r.rate.at(cur), r.rate.at(cur-1)
		rs, re := float64(a.spans+b.spans), float64(a.errors+b.errors)
		baseSec := float64(nb * rateSlotSec)
		lo := (now.Unix()/rateSlotSec - 1) * rateSlotSec
		inRecent := func(s *spanRec) bool { return s.end.Unix() >= lo }
		check := func(metric string, recent, base float64, minCount float64, unit string) {
			rate, baseRate := recent/recentSec, base/baseSec
			if recent < minCount || rate < spikeFactor*max(baseRate, spikeFloor) {
				return
			}
			factor := rate / max(baseRate, spikeFloor)
			f := finding{
				Kind: kindSpike, Route: r.name,
				Summary: fmt.Sprintf("%s: %s %.1f %s over the last %.0f s, %.1f× its baseline of %.2f %s over %.0f s",
					r.name, strings.ReplaceAll(metric, "_", " "), rate, unit, recentSec, factor, baseRate, unit, baseSec),
				Numbers: map[string]float64{
					metric: math.Round(rate*100) / 100, "baseline_" + metric: math.Round(baseRate*1000) / 1000,
					"factor": math.Round(factor*10) / 10, "window_s": recentSec, "baseline_s": baseSec,
				},
				Traces: newestTraces(traces, r.name, inRecent),
				key:    kindSpike + "|" + r.name + "|" + metric, sticky: true, rank: 1,
			}
			out = append(out, f)
		}
		check("span_rate", rs, bs, spikeMinSpans, "span/s")
		check("error_rate", re, be, spikeMinErrors, "error/s")
	}
	return out
}

// bandOf returns the index of the spec's band a duration falls in: band i
// holds the durations above band i-1 and up to band i, as the heatmap's
// bucket rows between the bold lines; len(SpecBands) is above the last.
func bandOf(d time.Duration) int {
	for i, e := range durbucket.SpecBands {
		if int64(d) <= int64(1)<<e {
			return i
		}
	}
	return len(durbucket.SpecBands)
}

func bandDuration(i int) time.Duration {
	return time.Duration(int64(1) << durbucket.SpecBands[min(i, len(durbucket.SpecBands)-1)])
}

func bandText(i int) string {
	if i >= len(durbucket.SpecBands) {
		return "above the " + formatDuration(bandDuration(i)) + " band (" + bandNames[len(bandNames)-1] + ")"
	}
	return "the " + formatDuration(bandDuration(i)) + " band (" + bandNames[i] + ")"
}

// latencyBands places each route's p50 in a band and reports a move away
// from the route's baseline band: a different band with a p50 at least
// bandMoveFactor from the baseline's. A move held for findingMemory
// becomes the baseline. The caller holds fs.mu.
func (fs *findingsState) latencyBands(svc string, traces []keptTrace, routes []routeStats, now time.Time) []finding {
	if fs.bands == nil {
		fs.bands = make(map[string]*bandState)
	}
	var out []finding
	for _, r := range routes {
		if r.count < bandMinSamples || r.p50 <= 0 {
			continue
		}
		band := bandOf(r.p50)
		bk := svc + "|" + r.name
		bs := fs.bands[bk]
		if bs == nil {
			bs = &bandState{band: band, p50: r.p50, candidate: -1}
			fs.bands[bk] = bs
		}
		ratio := float64(r.p50) / float64(bs.p50)
		moved := band != bs.band && (ratio >= bandMoveFactor || ratio <= 1/bandMoveFactor)
		if moved {
			if bs.candidate != band {
				bs.candidate, bs.since = band, now
			} else if now.Sub(bs.since) >= findingMemory {
				*bs = bandState{band: band, p50: r.p50, candidate: -1}
				moved = false
			}
		} else {
			bs.candidate = -1
		}
		f := finding{
			Kind: kindLatencyBand, Route: r.name,
			Numbers: map[string]float64{
				"p50_ms": durMS(r.p50), "band_ms": durMS(bandDuration(band)), "moved": 0,
				"baseline_p50_ms": durMS(bs.p50), "baseline_band_ms": durMS(bandDuration(bs.band)),
			},
			Traces: newestTraces(traces, r.name, func(s *spanRec) bool { return bandOf(spanDur(s)) == band }),
			key:    kindLatencyBand + "|" + r.name, quiet: true, rank: 5,
		}
		if band > len(durbucket.SpecBands)-1 {
			f.Numbers["above"] = 1
		}
		f.Summary = fmt.Sprintf("%s: p50 %s, in %s", r.name, formatDuration(r.p50), bandText(band))
		if moved {
			f.Numbers["moved"] = 1
			f.Summary = fmt.Sprintf("%s moved from %s to %s: p50 %s, was %s", r.name, bandText(bs.band), bandText(band),
				formatDuration(r.p50), formatDuration(bs.p50))
			f.key += "|moved"
			f.quiet, f.rank = false, 3
			f.FirstSeen = bs.since
		}
		out = append(out, f)
	}
	if len(fs.bands) > maxNames*maxServices {
		clear(fs.bands) // names are capped by the store; this only guards
	}
	return out
}

// findingsScope is the scope of the WARN records of Config.LogFindings.
const findingsScope = "github.com/otelkit/otelkit/otelboot/liveview"

// logFindings emits one WARN record per finding through the OpenTelemetry
// global logger provider.
func logFindings(fs []finding) {
	if len(fs) == 0 {
		return
	}
	lg := otel.GetLoggerProvider().Logger(findingsScope)
	ctx := context.Background()
	for _, f := range fs {
		var r otellog.Record
		r.SetTimestamp(f.LastSeen)
		r.SetObservedTimestamp(time.Now())
		r.SetSeverity(otellog.SeverityWarn)
		r.SetSeverityText("WARN")
		r.SetBody(attribute.StringValue("live view finding: " + f.Summary))
		attrs := []attribute.KeyValue{
			attribute.String("otelkit.finding.kind", f.Kind),
			attribute.String("otelkit.finding.service", f.Service),
			attribute.String("otelkit.finding.route", f.Route),
			attribute.String("otelkit.finding.child", f.Child),
		}
		if len(f.Traces) > 0 {
			attrs = append(attrs, attribute.String("otelkit.finding.trace_id", f.Traces[0]))
		}
		names := make([]string, 0, len(f.Numbers))
		for n := range f.Numbers {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			attrs = append(attrs, attribute.Float64("otelkit.finding."+n, f.Numbers[n]))
		}
		r.AddAttributes(attrs...)
		lg.Emit(ctx, r)
	}
}

// startFindingsLog starts, when Config.LogFindings is set, the goroutine
// that computes the findings every findingsTick and logs those that
// appear; stopFindingsLog stops it.
func (v *View) startFindingsLog() {
	if !v.cfg.LogFindings {
		return
	}
	fs := &v.fstate
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.stopLog != nil {
		return
	}
	stop := make(chan struct{})
	fs.stopLog = stop
	go func() {
		tk := time.NewTicker(findingsTick)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				v.logNewFindings()
			}
		}
	}()
}

// logNewFindings computes the findings and logs those that appeared.
func (v *View) logNewFindings() {
	_, unlogged := v.computeFindings(true, true)
	logFindings(unlogged)
}

func (v *View) stopFindingsLog() {
	fs := &v.fstate
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.stopLog != nil {
		close(fs.stopLog)
		fs.stopLog = nil
	}
}
