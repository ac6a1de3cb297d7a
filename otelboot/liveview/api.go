package liveview

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/otelkit/otelkit/internal/durbucket"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// intParam reads a positive integer query parameter, clamped to [1, hi].
func intParam(r *http.Request, name string, def, hi int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 1 {
		return def
	}
	return min(n, hi)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// windowParams reads window (seconds, at most 15 minutes) and step
// (seconds per column; by default the window in 60 columns).
func windowParams(r *http.Request) (window, step int) {
	window = intParam(r, "window", 300, seriesSeconds)
	step = intParam(r, "step", max(1, window/60), window)
	return window, step
}

// ratesResponse is the JSON of /api/rates: spans and errors per column of
// Step seconds over the last Window seconds, oldest first, plus the totals
// since the view started.
type ratesResponse struct {
	Service      string    `json:"service"`
	Now          int64     `json:"now"`
	Window       int       `json:"window"`
	Step         int       `json:"step"`
	Start        int64     `json:"start"`
	Spans        []uint64  `json:"spans"`
	Errors       []uint64  `json:"errors"`
	SpanRate     []float64 `json:"span_rate"`
	ErrorRate    []float64 `json:"error_rate"`
	WindowSpans  uint64    `json:"window_spans"`
	WindowErrors uint64    `json:"window_errors"`
	TotalSpans   uint64    `json:"total_spans"`
	TotalErrors  uint64    `json:"total_errors"`
}

func (v *View) apiRates(w http.ResponseWriter, r *http.Request) {
	window, step := windowParams(r)
	now := v.now().Unix()
	v.lockStore()
	sv := v.store.forService(r.URL.Query().Get("service"))
	cols := sv.window(now, window, step)
	resp := ratesResponse{
		Service: v.store.service, Now: now, Window: window, Step: step,
		TotalSpans: sv.spans, TotalErrors: sv.errors,
	}
	v.store.mu.Unlock()
	if len(cols) > 0 {
		resp.Start = cols[0].Start
	}
	for _, c := range cols {
		resp.Spans = append(resp.Spans, c.Spans)
		resp.Errors = append(resp.Errors, c.Errors)
		resp.SpanRate = append(resp.SpanRate, float64(c.Spans)/float64(step))
		resp.ErrorRate = append(resp.ErrorRate, float64(c.Errors)/float64(step))
		resp.WindowSpans += c.Spans
		resp.WindowErrors += c.Errors
	}
	writeJSON(w, resp)
}

// heatmapResponse is the JSON of /api/heatmap: for each column of Step
// seconds, the count of spans per duration bucket. Bucket i lies below
// BoundsNS[i] and at or above BoundsNS[i-1]; the last bucket is unbounded.
// Bands indexes BoundsNS at the spec's latency bands.
type heatmapResponse struct {
	Now      int64      `json:"now"`
	Window   int        `json:"window"`
	Step     int        `json:"step"`
	Start    int64      `json:"start"`
	BoundsNS []int64    `json:"bounds_ns"`
	Labels   []string   `json:"labels"`
	Bands    []int      `json:"bands"`
	Columns  [][]uint64 `json:"columns"`
	Total    uint64     `json:"total"`
}

func (v *View) apiHeatmap(w http.ResponseWriter, r *http.Request) {
	window, step := windowParams(r)
	now := v.now().Unix()
	v.lockStore()
	cols := v.store.forService(r.URL.Query().Get("service")).window(now, window, step)
	v.store.mu.Unlock()
	resp := heatmapResponse{
		Now: now, Window: window, Step: step,
		BoundsNS: durbucket.BoundsNanos(), Labels: durbucket.Labels(),
		Bands:   specBandIndexes(),
		Columns: make([][]uint64, len(cols)),
	}
	if len(cols) > 0 {
		resp.Start = cols[0].Start
	}
	for i, c := range cols {
		resp.Columns[i] = append([]uint64(nil), c.Buckets[:]...)
		resp.Total += c.Spans
	}
	writeJSON(w, resp)
}

// spanStats is one row of /api/spans. Percentiles are over the last 256
// spans of the name.
type spanStats struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Count    uint64    `json:"count"`
	Errors   uint64    `json:"errors"`
	P50MS    float64   `json:"p50_ms"`
	P95MS    float64   `json:"p95_ms"`
	P99MS    float64   `json:"p99_ms"`
	LastSeen time.Time `json:"last_seen"`
	Buckets  []uint64  `json:"buckets"`
}

// spansResponse is the JSON of /api/spans, sorted by name.
type spansResponse struct {
	Spans       []spanStats `json:"spans"`
	TotalSpans  uint64      `json:"total_spans"`
	TotalErrors uint64      `json:"total_errors"`
}

func (v *View) apiSpans(w http.ResponseWriter, r *http.Request) {
	v.lockStore()
	sv := v.store.forService(r.URL.Query().Get("service"))
	resp := spansResponse{
		Spans:      make([]spanStats, 0, len(sv.names)),
		TotalSpans: sv.spans, TotalErrors: sv.errors,
	}
	for name, n := range sv.names {
		p50, p95, p99 := n.quantiles()
		resp.Spans = append(resp.Spans, spanStats{
			Name: name, Kind: n.kind.String(), Count: n.count, Errors: n.errors,
			P50MS: ms(p50), P95MS: ms(p95), P99MS: ms(p99), LastSeen: n.lastSeen.time(),
			Buckets: append([]uint64(nil), n.buckets[:]...),
		})
	}
	v.store.mu.Unlock()
	sort.Slice(resp.Spans, func(i, j int) bool { return resp.Spans[i].Name < resp.Spans[j].Name })
	writeJSON(w, resp)
}

// traceSummary is one row of /api/traces.
type traceSummary struct {
	TraceID    string    `json:"trace_id"`
	Name       string    `json:"name"`
	Start      time.Time `json:"start"`
	DurationMS float64   `json:"duration_ms"`
	Spans      int       `json:"spans"`
	Errors     int       `json:"errors"`
	Status     string    `json:"status"`
	Kept       string    `json:"kept,omitempty"`
	Service    string    `json:"service,omitempty"`
}

// tracesResponse is the JSON of /api/traces: the kept traces matching the
// filters name (a substring of any span name, any case), status ("ok" or
// "error"), min_ms and the heatmap cell or bar from, to, min_ns, max_ns
// (exemplars.go), newest first or, with sort=duration, slowest first.
type tracesResponse struct {
	Traces  []traceSummary `json:"traces"`
	Matched int            `json:"matched"`
	Kept    int            `json:"kept"`
	Evicted uint64         `json:"evicted"`
}

func (v *View) apiTraces(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := strings.ToLower(q.Get("name"))
	status := q.Get("status")
	minMS, _ := strconv.ParseFloat(q.Get("min_ms"), 64)
	limit := intParam(r, "limit", 100, 1000)
	service := q.Get("service")
	cell := parseCellFilter(q) // exemplars.go

	v.lockStore()
	all := v.store.tracesNewestFirst()
	resp := tracesResponse{Traces: []traceSummary{}, Kept: len(all), Evicted: v.store.evicted}
	for _, t := range all {
		d := t.end.sub(t.start)
		switch {
		case status == "error" && t.errors == 0,
			status == "ok" && t.errors > 0,
			ms(d) < minMS,
			name != "" && !t.hasName(name),
			service != "" && !v.store.traceHasService(t, service),
			!cell.match(t):
			continue
		}
		st := "ok"
		if t.errors > 0 {
			st = "error"
		}
		first := t.first()
		resp.Traces = append(resp.Traces, traceSummary{
			TraceID: t.id.String(), Name: first.name(), Start: t.start.time(),
			DurationMS: ms(d), Spans: t.nspans, Errors: t.errors, Status: st, Kept: t.kind(),
			Service: first.service(),
		})
	}
	v.store.mu.Unlock()
	resp.Matched = len(resp.Traces)
	if q.Get("sort") == "duration" {
		sort.SliceStable(resp.Traces, func(i, j int) bool { return resp.Traces[i].DurationMS > resp.Traces[j].DurationMS })
	}
	if len(resp.Traces) > limit {
		resp.Traces = resp.Traces[:limit]
	}
	writeJSON(w, resp)
}

func (t *traceEntry) hasName(lower string) bool {
	found := false
	recs(t.buf, func(r rec) bool {
		found = strings.Contains(strings.ToLower(string(r.nameBytes())), lower)
		return !found
	})
	return found
}

// keyValue is an attribute as the page shows it.
type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func kvs(attrs []attribute.KeyValue) []keyValue {
	out := make([]keyValue, len(attrs))
	for i, a := range attrs {
		out[i] = keyValue{Key: string(a.Key), Value: a.Value.String()}
	}
	return out
}

// spanKVs is kvs for the attributes of a decoded span.
func spanKVs(attrs []spanAttr) []keyValue {
	out := make([]keyValue, len(attrs))
	for i, a := range attrs {
		out[i] = keyValue{Key: a.key, Value: a.text}
	}
	return out
}

// spanEvent is an event of a span.
type spanEvent struct {
	Name       string     `json:"name"`
	Time       time.Time  `json:"time"`
	OffsetMS   float64    `json:"offset_ms"`
	Attributes []keyValue `json:"attributes"`
}

// spanDetail is one span of /api/traces/{id}, in tree order.
type spanDetail struct {
	SpanID        string      `json:"span_id"`
	ParentID      string      `json:"parent_id,omitempty"`
	Name          string      `json:"name"`
	Kind          string      `json:"kind"`
	Scope         string      `json:"scope,omitempty"`
	Service       string      `json:"service,omitempty"`
	Depth         int         `json:"depth"`
	Start         time.Time   `json:"start"`
	OffsetMS      float64     `json:"offset_ms"`
	DurationMS    float64     `json:"duration_ms"`
	Status        string      `json:"status"`
	StatusMessage string      `json:"status_message,omitempty"`
	Attributes    []keyValue  `json:"attributes"`
	Events        []spanEvent `json:"events"`
}

// traceDetail is the JSON of /api/traces/{id}: the waterfall of the trace
// and its log records.
type traceDetail struct {
	TraceID      string       `json:"trace_id"`
	Name         string       `json:"name"`
	Start        time.Time    `json:"start"`
	DurationMS   float64      `json:"duration_ms"`
	Errors       int          `json:"errors"`
	DroppedSpans int          `json:"dropped_spans"`
	Spans        []spanDetail `json:"spans"`
	Logs         []logRecord  `json:"logs"`
}

func (v *View) apiTrace(w http.ResponseWriter, r *http.Request) {
	id, err := trace.TraceIDFromHex(r.PathValue("id"))
	if err != nil {
		writeJSONStatus(w, http.StatusBadRequest, map[string]string{"error": "bad trace id"})
		return
	}
	v.lockStore()
	t := v.store.entry(id)
	var (
		spans []spanRec
		resp  traceDetail
	)
	if t != nil {
		spans = t.spans()
		resp = traceDetail{
			TraceID: id.String(), Name: t.first().name(), Start: t.start.time(),
			DurationMS: ms(t.end.sub(t.start)), Errors: t.errors, DroppedSpans: t.dropped,
		}
	}
	v.store.mu.Unlock()
	if t == nil {
		writeJSONStatus(w, http.StatusNotFound, map[string]string{"error": "trace not kept (evicted or unknown)"})
		return
	}
	resp.Spans = waterfall(spans, resp.Start)
	resp.Logs = v.logRecords(id, nil, 1000)
	writeJSON(w, resp)
}

// waterfall orders spans as a tree (parents before children, siblings by
// start time) with their depth.
func waterfall(spans []spanRec, t0 time.Time) []spanDetail {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	byID := make(map[trace.SpanID]bool, len(spans))
	for i := range spans {
		byID[spans[i].id] = true
	}
	children := make(map[trace.SpanID][]*spanRec)
	var roots []*spanRec
	for i := range spans {
		s := &spans[i]
		if s.hasParent && byID[s.parent] {
			children[s.parent] = append(children[s.parent], s)
		} else {
			roots = append(roots, s)
		}
	}
	out := make([]spanDetail, 0, len(spans))
	var walk func(s *spanRec, depth int)
	walk = func(s *spanRec, depth int) {
		out = append(out, toSpanDetail(s, depth, t0))
		for _, c := range children[s.id] {
			walk(c, depth+1)
		}
	}
	for _, s := range roots {
		walk(s, 0)
	}
	return out
}

func toSpanDetail(s *spanRec, depth int, t0 time.Time) spanDetail {
	d := spanDetail{
		SpanID: s.id.String(), Name: s.name, Kind: s.kind.String(),
		Scope: s.scope, Service: s.service, Depth: depth, Start: s.start,
		OffsetMS: ms(s.start.Sub(t0)), DurationMS: ms(s.end.Sub(s.start)),
		Status: "unset", StatusMessage: s.desc,
		Attributes: spanKVs(s.attrs), Events: []spanEvent{},
	}
	switch s.code {
	case codes.Error:
		d.Status = "error"
	case codes.Ok:
		d.Status = "ok"
	}
	if s.hasParent {
		d.ParentID = s.parent.String()
	}
	for _, e := range s.events {
		d.Events = append(d.Events, spanEvent{
			Name: e.name, Time: e.time, OffsetMS: ms(e.time.Sub(t0)), Attributes: spanKVs(e.attrs),
		})
	}
	return d
}

// logRecord is one log record of /api/logs and /api/traces/{id}.
type logRecord struct {
	Time         time.Time  `json:"time"`
	Severity     int        `json:"severity"`
	SeverityText string     `json:"severity_text,omitempty"`
	Body         string     `json:"body"`
	Scope        string     `json:"scope,omitempty"`
	Service      string     `json:"service,omitempty"`
	TraceID      string     `json:"trace_id,omitempty"`
	SpanID       string     `json:"span_id,omitempty"`
	Attributes   []keyValue `json:"attributes"`
}

// logsResponse is the JSON of /api/logs: the most recent records, oldest
// first, optionally only those of trace_id.
type logsResponse struct {
	Logs []logRecord `json:"logs"`
}

func (v *View) apiLogs(w http.ResponseWriter, r *http.Request) {
	var id trace.TraceID
	if s := r.URL.Query().Get("trace_id"); s != "" {
		var err error
		if id, err = trace.TraceIDFromHex(s); err != nil {
			writeJSONStatus(w, http.StatusBadRequest, map[string]string{"error": "bad trace id"})
			return
		}
	}
	writeJSON(w, logsResponse{Logs: v.logRecords(id, v.serviceMatcher(r.URL.Query().Get("service")), intParam(r, "limit", 200, 10000))})
}

// logRecords returns the last limit records of trace id (any when id is
// invalid) and of the services service accepts (any when nil), oldest
// first.
func (v *View) logRecords(id trace.TraceID, service func(string) bool, limit int) []logRecord {
	out := []logRecord{}
	v.logs.each(func(e *logEntry) bool {
		if id.IsValid() && e.traceID != id || service != nil && !service(e.service) {
			return true
		}
		lr := logRecord{
			Time: e.time, Severity: e.severity, SeverityText: e.sevText, Body: e.body,
			Scope: e.scope, Service: e.service, Attributes: kvs(e.attrs),
		}
		if e.traceID.IsValid() {
			lr.TraceID = e.traceID.String()
		}
		if e.spanID.IsValid() {
			lr.SpanID = e.spanID.String()
		}
		out = append(out, lr)
		return true
	})
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// infoResponse is the JSON of /api/info.
type infoResponse struct {
	Service       string `json:"service"`
	TokenRequired bool   `json:"token_required"`
	MaxTraces     int    `json:"max_traces"`
	MaxBytes      int    `json:"max_bytes"`
	Traces        int    `json:"traces"`
	TraceBytes    int    `json:"trace_bytes"`
	Evicted       uint64 `json:"evicted"`
	Logs          int    `json:"logs"`
	LogBytes      int    `json:"log_bytes"`
}

func (v *View) apiInfo(w http.ResponseWriter, _ *http.Request) {
	v.lockStore()
	resp := infoResponse{
		Service: v.store.service, TokenRequired: v.cfg.Token != "",
		MaxTraces: v.cfg.MaxTraces, MaxBytes: v.cfg.MaxBytes,
		Traces: v.store.traces.len(), TraceBytes: v.store.normal.bytes + v.store.kept.bytes,
		Evicted: v.store.evicted,
	}
	v.store.mu.Unlock()
	v.logs.mu.Lock()
	resp.Logs, resp.LogBytes = v.logs.n, v.logs.bytes
	v.logs.mu.Unlock()
	writeJSON(w, resp)
}
