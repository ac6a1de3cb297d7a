package liveview

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// gen writes traces with explicit timestamps into a view.
type gen struct {
	tp *sdktrace.TracerProvider
	tr trace.Tracer
}

func newGen(v *View) *gen {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(v.SpanProcessor()))
	return &gen{tp: tp, tr: tp.Tracer("findings-test")}
}

// child is one child span of a request: name, offset from the root's
// start, duration, attributes and whether it fails.
type child struct {
	name   string
	at, d  time.Duration
	attrs  []attribute.KeyValue
	failed string // error.type when it fails
}

// request ends a server span route at start lasting d, with children; the
// root fails when a child fails.
func (g *gen) request(route string, start time.Time, d time.Duration, kids ...child) trace.TraceID {
	ctx, root := g.tr.Start(context.Background(), route, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start))
	failed := false
	for _, k := range kids {
		_, c := g.tr.Start(ctx, k.name, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start.Add(k.at)),
			trace.WithAttributes(k.attrs...))
		if k.failed != "" {
			failed = true
			c.SetAttributes(attribute.String("error.type", k.failed))
			c.SetStatus(codes.Error, k.failed)
		}
		c.End(trace.WithTimestamp(start.Add(k.at + k.d)))
	}
	if failed {
		root.SetStatus(codes.Error, "child failed")
	}
	root.End(trace.WithTimestamp(start.Add(d)))
	return root.SpanContext().TraceID()
}

func redisCmd(text string, at, d time.Duration) child {
	return child{name: "redis " + strings.Fields(text)[0], at: at, d: d, attrs: []attribute.KeyValue{
		attribute.String("db.system", "redis"), attribute.String("db.statement", text)}}
}

func sqlQuery(text string, at, d time.Duration) child {
	return child{name: "sqlite.query", at: at, d: d, attrs: []attribute.KeyValue{
		attribute.String("db.system", "sqlite"), attribute.String("db.statement", text)}}
}

// demoTraffic sends the demo's normal shape from start for secs seconds at
// perSec requests per second: a Redis route sending a pipeline of two
// commands and two single commands, a DB route, an external call and a
// health check, all succeeding.
func demoTraffic(g *gen, start time.Time, secs, perSec int) {
	n := 0
	for s := 0; s < secs; s++ {
		for i := 0; i < perSec; i++ {
			at := start.Add(time.Duration(s)*time.Second + time.Duration(i)*time.Second/time.Duration(perSec))
			switch n % 4 {
			case 0:
				g.request("GET /logs/redis", at, 1200*time.Microsecond,
					redisCmd("SET logs:last ?", 100*time.Microsecond, 400*time.Microsecond),
					redisCmd("GET logs:last", 550*time.Microsecond, 400*time.Microsecond),
					child{name: "redis pipeline", at: 1000 * time.Microsecond, d: 150 * time.Microsecond, attrs: []attribute.KeyValue{
						attribute.String("db.system", "redis"), attribute.String("db.statement", "LPUSH logs ?\nLTRIM logs 0 99")}})
			case 1:
				g.request("GET /db/messages", at, 6*time.Millisecond,
					sqlQuery("SELECT id, content FROM messages ORDER BY id DESC LIMIT 10", time.Millisecond, 3*time.Millisecond))
			case 2:
				g.request("GET /external/data", at, 40*time.Millisecond,
					child{name: "HTTP GET", at: time.Millisecond, d: 36 * time.Millisecond})
			case 3:
				g.request("GET /healthz", at, 60*time.Microsecond)
			}
			n++
		}
	}
}

// checkSeenOrder checks the rule every finding obeys: it was first seen no
// later than it was last seen, and both are set.
func checkSeenOrder(t *testing.T, fs []finding) {
	t.Helper()
	for _, f := range fs {
		if f.FirstSeen.IsZero() || f.LastSeen.IsZero() || f.FirstSeen.After(f.LastSeen) {
			t.Errorf("%s %s: first_seen %v, last_seen %v", f.Kind, f.Route, f.FirstSeen, f.LastSeen)
		}
	}
}

func kinds(fs []finding, kind string) []finding {
	var out []finding
	for _, f := range fs {
		if f.Kind == kind && !(kind == kindLatencyBand && f.Numbers["moved"] == 0) {
			out = append(out, f)
		}
	}
	return out
}

// clock is a settable clock for View.now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func newTestView(start time.Time) (*View, *gen, *clock) {
	v := New(Config{})
	c := &clock{t: start}
	v.now = c.now
	return v, newGen(v), c
}

// The rule: on the demo's normal traffic (a pipeline and single Redis
// commands per request, a steady rate, from start-up on) no warning fires:
// no spike, N+1, failing call or band move, at any time; the readings
// (bands, bottlenecks) are there.
func TestFindingsQuietOnDemoTraffic(t *testing.T) {
	start := time.Now().Truncate(time.Minute).Add(-10 * time.Minute)
	v, g, c := newTestView(start)
	for s := 0; s < 180; s += 5 {
		demoTraffic(g, start.Add(time.Duration(s)*time.Second), 5, 8)
		c.set(start.Add(time.Duration(s+5) * time.Second))
		fs, _ := v.computeFindings(true, false)
		checkSeenOrder(t, fs)
		for _, kind := range []string{kindSpike, kindNPlusOne, kindFailingCall, kindLatencyBand} {
			if got := kinds(fs, kind); len(got) > 0 {
				t.Fatalf("at %d s: %s on normal traffic: %+v", s+5, kind, got)
			}
		}
	}
	fs := v.findings()
	bands := map[string]float64{}
	for _, f := range fs {
		if f.Kind == kindLatencyBand {
			bands[f.Route] = f.Numbers["band_ms"]
		}
	}
	want := map[string]float64{"GET /logs/redis": 16.777, "GET /db/messages": 16.777, "GET /external/data": 67.109, "GET /healthz": 0.262}
	for r, b := range want {
		if bands[r] != b {
			t.Errorf("band of %s = %v ms, want %v (all: %v)", r, bands[r], b, bands)
		}
	}
	var bn []string
	for _, f := range kinds(fs, kindBottleneck) {
		bn = append(bn, f.Route+" -> "+f.Child)
	}
	if got := strings.Join(bn, "; "); !strings.Contains(got, "GET /external/data -> HTTP GET") || strings.Contains(got, "healthz") {
		t.Errorf("bottlenecks: %s", got)
	}
}

// The rule: a route whose slow tail spends at least half its time in one
// child names that child with its share; a route spending it in its own
// code names self time (child ""); time split evenly, or a route faster
// than the Redis-read band, names none.
func TestFindingBottleneck(t *testing.T) {
	start := time.Now().Add(-time.Minute)
	v, g, _ := newTestView(start.Add(time.Minute))
	for i := 0; i < 20; i++ {
		at := start.Add(time.Duration(i) * time.Second)
		ext := 200 * time.Millisecond
		if i >= 18 {
			ext = 400 * time.Millisecond // the p95 traces
		}
		g.request("GET /external/data", at, ext+20*time.Millisecond,
			redisCmd("GET cache", time.Millisecond, time.Millisecond),
			child{name: "HTTP GET", at: 10 * time.Millisecond, d: ext})
		g.request("GET /cpu", at, 50*time.Millisecond, redisCmd("GET k", 0, time.Millisecond))
		g.request("GET /even", at, 30*time.Millisecond,
			child{name: "A", d: 10 * time.Millisecond}, child{name: "B", at: 10 * time.Millisecond, d: 10 * time.Millisecond},
			child{name: "C", at: 20 * time.Millisecond, d: 10 * time.Millisecond})
		g.request("GET /healthz", at, 100*time.Microsecond, child{name: "check", d: 90 * time.Microsecond})
	}
	got := map[string]finding{}
	for _, f := range kinds(v.findings(), kindBottleneck) {
		got[f.Route] = f
	}
	checkSeenOrder(t, v.findings())
	ext, ok := got["GET /external/data"]
	if !ok || ext.Child != "HTTP GET" || ext.Numbers["share_pct"] < 90 || len(ext.Traces) == 0 ||
		!strings.HasPrefix(ext.Summary, "GET /external/data: 95 % of p95 in HTTP GET") {
		t.Errorf("external: %+v", ext)
	}
	if cpu, ok := got["GET /cpu"]; !ok || cpu.Child != "" || cpu.Numbers["self_ms"] < 40 {
		t.Errorf("cpu: %+v", cpu)
	}
	for _, r := range []string{"GET /even", "GET /healthz"} {
		if f, ok := got[r]; ok {
			t.Errorf("%s: unexpected bottleneck %+v", r, f)
		}
	}
}

// The rule: one parent running the same statement shape at least five
// times in sequence is an N+1, with its count and time; four times, five
// concurrent calls, or the same count spread over distinct statements is
// not.
func TestFindingNPlusOne(t *testing.T) {
	start := time.Now().Add(-time.Minute)
	v, g, _ := newTestView(start.Add(time.Minute))
	seq := func(n int, shape func(i int) string) []child {
		var kids []child
		for i := 0; i < n; i++ {
			kids = append(kids, sqlQuery(shape(i), time.Duration(i)*2*time.Millisecond, 1500*time.Microsecond))
		}
		return kids
	}
	item := func(i int) string { return fmt.Sprintf("SELECT name, price FROM items WHERE id = %d", i+1) }
	id := g.request("GET /orders", start, 30*time.Millisecond, seq(12, item)...)
	g.request("GET /four", start, 30*time.Millisecond, seq(4, item)...)
	g.request("GET /distinct", start, 30*time.Millisecond, seq(6, func(i int) string { return fmt.Sprintf("SELECT * FROM t%c", 'a'+i) })...)
	var conc []child
	for i := 0; i < 6; i++ {
		conc = append(conc, sqlQuery(item(i), 0, 5*time.Millisecond))
	}
	g.request("GET /fanout", start, 30*time.Millisecond, conc...)
	var redisLoop []child
	for i := 0; i < 7; i++ {
		redisLoop = append(redisLoop, redisCmd(fmt.Sprintf("HGET user:%d name", i), time.Duration(i)*time.Millisecond, 500*time.Microsecond))
	}
	g.request("GET /users", start, 10*time.Millisecond, redisLoop...)

	fs := kinds(v.findings(), kindNPlusOne)
	byRoute := map[string]finding{}
	for _, f := range fs {
		byRoute[f.Route] = f
	}
	o := byRoute["GET /orders"]
	if o.Child != "SELECT name, price FROM items WHERE id = ?" || o.Numbers["count"] != 12 || o.Numbers["total_ms"] != 18 ||
		len(o.Traces) != 1 || o.Traces[0] != id.String() {
		t.Errorf("orders: %+v", o)
	}
	if u := byRoute["GET /users"]; u.Child != "HGET" || u.Numbers["count"] != 7 {
		t.Errorf("users: %+v", u)
	}
	if len(fs) != 2 {
		t.Errorf("want 2 N+1 findings, got %+v", fs)
	}
}

func TestNormalizeStatement(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT * FROM t WHERE id = 42", "SELECT * FROM t WHERE id = ?"},
		{"select a from t where name = 'o''x' and b=\"y\"", "select a from t where name = ? and b=?"},
		{"SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (?)"},
		{"SELECT *\n  FROM t2 WHERE x = $1", "SELECT * FROM t2 WHERE x = ?"},
		{"SELECT col1 FROM t", "SELECT col1 FROM t"},
		{"UPDATE t SET v = 1.5 WHERE id = ?", "UPDATE t SET v = ? WHERE id = ?"},
	} {
		if got := normalizeStatement(c.in); got != c.want {
			t.Errorf("normalizeStatement(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := normalizeStatement(strings.Repeat("SELECT x FROM t; ", 100)); len(got) > 170 {
		t.Errorf("not bounded: %d bytes", len(got))
	}
}

// The rule: the failing call is the error span at the end of the chain of
// errors (not the server span it makes fail), grouped by name and error
// type, with its routes, count and first and last seen; fewer than three
// errors in a burst are no finding.
func TestFindingFailingCall(t *testing.T) {
	start := time.Now().Truncate(time.Second).Add(-time.Minute)
	v, g, _ := newTestView(start.Add(time.Minute))
	for i := 0; i < 6; i++ {
		route := "GET /external/data"
		if i == 5 {
			route = "GET /dashboard"
		}
		g.request(route, start.Add(time.Duration(i)*time.Second), 50*time.Millisecond,
			child{name: "HTTP GET", d: 40 * time.Millisecond, failed: "500"})
	}
	for i := 0; i < 2; i++ {
		g.request("GET /db/messages", start.Add(time.Duration(i)*time.Second), 5*time.Millisecond,
			child{name: "sqlite.query", d: time.Millisecond, failed: "*net.OpError"})
	}
	fs := kinds(v.findings(), kindFailingCall)
	if len(fs) != 1 {
		t.Fatalf("want one failing call, got %+v", fs)
	}
	f := fs[0]
	if f.Route != "GET /external/data" || f.Child != "HTTP GET" || f.Numbers["errors"] != 6 || f.Numbers["routes"] != 2 ||
		!strings.Contains(f.Summary, "fails with 500 under GET /external/data, GET /dashboard") || len(f.Traces) != 5 {
		t.Errorf("finding: %+v", f)
	}
	if !f.FirstSeen.Equal(start.Add(40*time.Millisecond)) || !f.LastSeen.Equal(start.Add(5*time.Second+40*time.Millisecond)) {
		t.Errorf("first %v last %v", f.FirstSeen, f.LastSeen)
	}
}

// The rule: a span rate (error rate) three times its baseline, with
// enough spans, is a spike of that route; no baseline (start-up) means no
// spike, whatever the rate; the spike stays listed for a while after it
// ends.
func TestFindingSpike(t *testing.T) {
	start := time.Now().Truncate(time.Minute).Add(-10 * time.Minute)
	v, g, c := newTestView(start)
	burst := func(route string, from time.Time, secs, perSec int, failed bool) {
		for s := 0; s < secs; s++ {
			for i := 0; i < perSec; i++ {
				var kids []child
				if failed {
					kids = append(kids, child{name: "HTTP GET", d: time.Millisecond, failed: "timeout"})
				}
				g.request(route, from.Add(time.Duration(s)*time.Second+time.Duration(i)*time.Millisecond), 2*time.Millisecond, kids...)
			}
		}
	}
	// Start-up at a high rate: no baseline, no spike.
	burst("GET /x", start, 20, 10, false)
	for _, s := range []int{5, 12, 20} {
		c.set(start.Add(time.Duration(s) * time.Second))
		if got := kinds(mustCompute(v), kindSpike); len(got) > 0 {
			t.Fatalf("spike at start-up (%d s): %+v", s, got)
		}
	}
	// A steady 2/s, then 20/s for 10 s.
	burst("GET /x", start.Add(20*time.Second), 60, 2, false)
	c.set(start.Add(80 * time.Second))
	if got := kinds(mustCompute(v), kindSpike); len(got) > 0 {
		t.Fatalf("spike on steady traffic: %+v", got)
	}
	burst("GET /x", start.Add(80*time.Second), 9, 20, false)
	c.set(start.Add(89 * time.Second))
	got := kinds(mustCompute(v), kindSpike)
	if len(got) != 1 || got[0].Route != "GET /x" || got[0].Numbers["factor"] < 3 || got[0].Numbers["span_rate"] < 10 || len(got[0].Traces) == 0 {
		t.Fatalf("spike: %+v", got)
	}
	first := got[0].FirstSeen
	// Ended: listed still, with its first seen.
	c.set(start.Add(120 * time.Second))
	got = kinds(mustCompute(v), kindSpike)
	if len(got) != 1 || !got[0].FirstSeen.Equal(first) {
		t.Fatalf("spike not kept after it ended: %+v", got)
	}
	// Error rate: errors after an error-free baseline.
	burst("GET /y", start.Add(60*time.Second), 60, 1, false)
	burst("GET /y", start.Add(120*time.Second), 8, 2, true)
	c.set(start.Add(128 * time.Second))
	var errSpike []finding
	for _, f := range kinds(mustCompute(v), kindSpike) {
		if f.Route == "GET /y" {
			errSpike = append(errSpike, f)
		}
	}
	if len(errSpike) != 1 || errSpike[0].Numbers["error_rate"] < 1 {
		t.Fatalf("error spike: %+v", errSpike)
	}
	// Long after: forgotten.
	c.set(start.Add(20 * time.Minute))
	if got := kinds(mustCompute(v), kindSpike); len(got) > 0 {
		t.Errorf("spike kept forever: %+v", got)
	}
}

func mustCompute(v *View) []finding {
	fs, _ := v.computeFindings(true, false)
	return fs
}

// The rule: each route's p50 is placed in the spec's band holding it
// (upper bounds inclusive); a p50 moving to another band by at least 2× is
// a move against the route's baseline, until held for five minutes.
func TestFindingLatencyBand(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		band int
	}{
		{0, 0}, {1 << 18, 0}, {1<<18 + 1, 1}, {1 << 20, 1}, {1<<20 + 1, 2}, {1 << 24, 2}, {1 << 26, 3}, {1 << 28, 4}, {1<<28 + 1, 5}, {time.Minute, 5},
	} {
		if got := bandOf(c.d); got != c.band {
			t.Errorf("bandOf(%v) = %d, want %d", c.d, got, c.band)
		}
	}
	start := time.Now().Truncate(time.Minute).Add(-time.Hour)
	v, g, c := newTestView(start)
	send := func(from time.Time, n int, d time.Duration) {
		for i := 0; i < n; i++ {
			g.request("GET /items", from.Add(time.Duration(i)*100*time.Millisecond), d)
		}
	}
	send(start, 300, 800*time.Microsecond)
	c.set(start.Add(30 * time.Second))
	band := func() finding {
		for _, f := range mustCompute(v) {
			if f.Kind == kindLatencyBand && f.Route == "GET /items" {
				return f
			}
		}
		t.Fatal("no band finding")
		return finding{}
	}
	if f := band(); f.Numbers["band_ms"] != 1.049 || f.Numbers["moved"] != 0 || !strings.Contains(f.Summary, "1.05ms band (a Redis read)") {
		t.Errorf("placed: %+v", f)
	}
	send(start.Add(40*time.Second), 300, 50*time.Millisecond)
	c.set(start.Add(90 * time.Second))
	f := band()
	if f.Numbers["moved"] != 1 || f.Numbers["band_ms"] != 67.109 || f.Numbers["baseline_band_ms"] != 1.049 ||
		!strings.Contains(f.Summary, "moved from the 1.05ms band (a Redis read) to the 67.1ms band (a complex query)") {
		t.Errorf("moved: %+v", f)
	}
	c.set(start.Add(90*time.Second + findingMemory))
	if f := band(); f.Numbers["moved"] != 0 || f.Numbers["baseline_band_ms"] != 67.109 {
		t.Errorf("not rebased after %v: %+v", findingMemory, f)
	}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// The rule: /api/findings answers the documented shape, under the same
// guard as the other endpoints.
func TestAPIFindingsShape(t *testing.T) {
	start := time.Now().Truncate(time.Second).Add(-time.Minute)
	v, g, _ := newTestView(start.Add(time.Minute))
	for i := 0; i < 25; i++ {
		g.request("GET /external/data", start.Add(time.Duration(i)*time.Second), 300*time.Millisecond,
			child{name: "HTTP GET", d: 290 * time.Millisecond, failed: "500"})
	}
	var raw struct {
		Findings []map[string]any `json:"findings"`
	}
	getJSON(t, v.Handler(), "/api/findings", &raw)
	if len(raw.Findings) < 3 {
		t.Fatalf("findings: %+v", raw.Findings)
	}
	seen := map[string]bool{}
	for _, f := range raw.Findings {
		for _, k := range []string{"kind", "service", "route", "child", "summary", "numbers", "traces", "first_seen", "last_seen"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding lacks %q: %v", k, f)
			}
		}
		if len(f) != 9 {
			t.Errorf("finding has extra keys: %v", f)
		}
		seen[f["kind"].(string)] = true
		for _, id := range f["traces"].([]any) {
			if !hex32.MatchString(id.(string)) {
				t.Errorf("trace id %v", id)
			}
		}
		if n := len(f["traces"].([]any)); n > maxFindingTraces {
			t.Errorf("%d traces", n)
		}
		for _, k := range []string{"first_seen", "last_seen"} {
			if _, err := time.Parse(time.RFC3339, f[k].(string)); err != nil {
				t.Errorf("%s: %v", k, err)
			}
		}
	}
	for _, k := range []string{kindBottleneck, kindFailingCall, kindLatencyBand} {
		if !seen[k] {
			t.Errorf("no %s finding in %v", k, raw.Findings)
		}
	}
	// The guard: a token is required when set, and a foreign Host refused.
	vt := New(Config{Token: "tok"})
	rec := newRecorder(vt.Handler(), localRequest(http.MethodGet, "/api/findings"))
	if rec != http.StatusUnauthorized {
		t.Errorf("without token: %d", rec)
	}
	req := localRequest(http.MethodGet, "/api/findings")
	req.Host = "evil.example"
	if code := newRecorder(v.Handler(), req); code != http.StatusMisdirectedRequest {
		t.Errorf("foreign host: %d", code)
	}
}

// The rule: with Config.LogFindings each finding that is a warning is
// logged once at WARN through the global logger provider, the readings
// (latency band placements) never.
func TestLogFindingsOnce(t *testing.T) {
	prev := otel.GetLoggerProvider()
	t.Cleanup(func() { otel.SetLoggerProvider(prev) })
	rec := &recordingProcessor{}
	otel.SetLoggerProvider(sdklog.NewLoggerProvider(sdklog.WithProcessor(rec)))

	start := time.Now().Truncate(time.Second).Add(-time.Minute)
	v, g, c := newTestView(start.Add(time.Minute))
	for i := 0; i < 10; i++ {
		g.request("GET /external/data", start.Add(time.Duration(i)*time.Second), 300*time.Millisecond,
			child{name: "HTTP GET", d: 290 * time.Millisecond, failed: "500"})
	}
	v.findings() // computed by a read first: still logged after
	v.logNewFindings()
	c.set(start.Add(2 * time.Minute))
	v.logNewFindings()
	got := rec.bodies()
	if len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "HTTP GET fails with 500") {
		t.Errorf("logged %q, want the failing call and the bottleneck once each", got)
	}
	for _, s := range rec.severities() {
		if s != "WARN" {
			t.Errorf("severity %q", s)
		}
	}
}

// newRecorder serves req and returns the status code.
func newRecorder(h http.Handler, req *http.Request) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

type recordingProcessor struct {
	mu   sync.Mutex
	recs []sdklog.Record
}

func (p *recordingProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	p.mu.Lock()
	p.recs = append(p.recs, r.Clone())
	p.mu.Unlock()
	return nil
}
func (*recordingProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (*recordingProcessor) Shutdown(context.Context) error                         { return nil }
func (*recordingProcessor) ForceFlush(context.Context) error                       { return nil }

func (p *recordingProcessor) bodies() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, r := range p.recs {
		out = append(out, r.Body().AsString())
	}
	return out
}

func (p *recordingProcessor) severities() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, r := range p.recs {
		out = append(out, r.SeverityText())
	}
	return out
}

// The rule: a heatmap cell (a second range and a bucket) or a bar (a
// second range) lists exactly the kept traces with a span that ended in
// the range and, for a cell, lasted within the bucket, upper bound
// inclusive.
func TestTracesInCell(t *testing.T) {
	start := time.Now().Truncate(time.Second).Add(-time.Minute)
	v, g, _ := newTestView(start.Add(time.Minute))
	// Trace a: root 2 ms ending in second 0; its child of exactly 2^20 ns.
	a := g.request("GET /a", start, 2*time.Millisecond, child{name: "c", d: 1 << 20})
	// Trace b: root 2^20+1 ns ending in second 1.
	b := g.request("GET /b", start.Add(time.Second), 1<<20+1)
	// Trace c: 100 µs in second 2.
	cc := g.request("GET /c", start.Add(2*time.Second), 100*time.Microsecond)
	s0 := start.Unix()
	bucket := func(i int) string { // the heatmap's bucket i
		return fmt.Sprintf("&min_ns=%d&max_ns=%d", bucketUpper(i-1), bucketUpper(i))
	}
	b20 := bucketOf(1 << 20)
	for _, c := range []struct {
		q    string
		want []trace.TraceID
	}{
		{fmt.Sprintf("from=%d&to=%d", s0, s0+1), []trace.TraceID{a}},
		{fmt.Sprintf("from=%d&to=%d", s0, s0+3), []trace.TraceID{cc, b, a}},
		{fmt.Sprintf("from=%d&to=%d", s0, s0+3) + bucket(b20), []trace.TraceID{a}},
		{fmt.Sprintf("from=%d&to=%d", s0, s0+3) + bucket(b20+1), []trace.TraceID{b, a}},
		{fmt.Sprintf("from=%d&to=%d", s0+1, s0+3) + bucket(b20+1), []trace.TraceID{b}},
		{fmt.Sprintf("max_ns=%d", 1<<17), []trace.TraceID{cc}},
		{fmt.Sprintf("from=%d", s0+5), nil},
	} {
		var resp tracesResponse
		getJSON(t, v.Handler(), "/api/traces?"+c.q, &resp)
		var got, want []string
		for _, tr := range resp.Traces {
			got = append(got, tr.TraceID)
		}
		for _, id := range c.want {
			want = append(want, id.String())
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", c.q, got, want)
		}
	}
}

// The rule: a statement shape keeps no literal: a marker planted in a
// quoted string or as a number never reaches it, and it stays bounded.
func FuzzNormalizeStatement(f *testing.F) {
	for _, s := range []string{"SELECT * FROM t WHERE a = 'x' AND b = 1", `UPDATE t SET p = "q\"r"`, "x = ''''", "IN (1,2,3)", "$1 $22"} {
		f.Add(s, "plantedSecret")
	}
	f.Fuzz(func(t *testing.T, prefix, marker string) {
		if len(marker) < 3 || strings.Trim(marker, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return // a distinctive marker of letters
		}
		for _, q := range []string{prefix + " = '" + marker + "'", prefix + ` = "` + marker + `"`} {
			if strings.Count(prefix, "'")%2 == 1 || strings.Count(prefix, `"`)%2 == 1 || strings.Contains(prefix, `\`) {
				continue // the literal would not start where planted
			}
			got := normalizeStatement(q)
			if strings.Contains(got, marker) && !strings.Contains(normalizeStatement(prefix), marker) {
				t.Errorf("normalizeStatement(%q) = %q keeps the literal", q, got)
			}
			if len(got) > 170 {
				t.Errorf("%d bytes", len(got))
			}
		}
	})
}

// BenchmarkFindings measures one computation of the findings over a full
// store: the default 1000 traces of the demo's shapes (about 3,000 spans).
func BenchmarkFindings(b *testing.B) {
	start := time.Now().Truncate(time.Minute).Add(-10 * time.Minute)
	v, g, c := newTestView(start)
	demoTraffic(g, start, 125, 8)
	c.set(start.Add(125 * time.Second))
	b.ReportAllocs()
	for b.Loop() {
		v.computeFindings(true, false)
	}
}

// The rule: a finding's route is the name of the trace's local root; a
// trace whose root has not ended yet (a request still running) gives no
// finding of any kind, and once the root ends its findings carry the
// root's name. Checked on every kind: N+1, failing call, bottleneck,
// spike and latency band (the last two read server span names).
func TestFindingsWaitForTheRoot(t *testing.T) {
	start := time.Now().Add(-time.Minute)
	v, g, _ := newTestView(start.Add(time.Minute))
	ctx, root := g.tr.Start(context.Background(), "GET /admin/users", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(start))
	// The session lookup starts first, so it is the earliest span.
	_, c := g.tr.Start(ctx, "redis GET", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start),
		trace.WithAttributes(attribute.String("db.system", "redis"), attribute.String("db.statement", "GET session:1")))
	c.End(trace.WithTimestamp(start.Add(time.Millisecond)))
	for i := 0; i < 8; i++ {
		at := start.Add(time.Duration(2+2*i) * time.Millisecond)
		_, c := g.tr.Start(ctx, "sqlite.query", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(at),
			trace.WithAttributes(attribute.String("db.system", "sqlite"),
				attribute.String("db.statement", fmt.Sprintf("SELECT COUNT(*) FROM messages WHERE user_id = %d", i))))
		c.End(trace.WithTimestamp(at.Add(time.Millisecond)))
	}
	for i := 0; i < 4; i++ {
		at := start.Add(time.Duration(20+i) * time.Millisecond)
		_, c := g.tr.Start(ctx, "redis GET", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(at))
		c.SetAttributes(attribute.String("error.type", "timeout"))
		c.SetStatus(codes.Error, "timeout")
		c.End(trace.WithTimestamp(at.Add(time.Millisecond)))
	}
	if fs := mustCompute(v); len(fs) != 0 {
		t.Fatalf("the root has not ended, want no findings, got %+v", fs)
	}
	root.End(trace.WithTimestamp(start.Add(40 * time.Millisecond)))
	fs := mustCompute(v)
	for _, kind := range []string{kindNPlusOne, kindFailingCall} {
		if got := kinds(fs, kind); len(got) != 1 {
			t.Errorf("%s: want 1 finding once the root ended, got %+v", kind, got)
		}
	}
	for _, f := range fs {
		if f.Route != "GET /admin/users" {
			t.Errorf("%s: route %q, want the root's name", f.Kind, f.Route)
		}
	}
}

// newServiceGen writes traces of service svc into v.
func newServiceGen(v *View, svc string) *gen {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(v.SpanProcessor()),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", svc))))
	return &gen{tp: tp, tr: tp.Tracer("findings-test")}
}

// The rule: findings are read per service. Two services with a route of
// the same name never share a finding (each finding names its service,
// and its summary does while several services are tracked), and
// /api/findings?service= keeps one service's findings (none for a
// service the view has not seen).
func TestFindingsPerService(t *testing.T) {
	start := time.Now().Add(-time.Minute)
	v, _, _ := newTestView(start.Add(time.Minute))
	shop, billing := newServiceGen(v, "shop"), newServiceGen(v, "billing")
	fail := child{name: "HTTP GET", at: time.Millisecond, d: 2 * time.Millisecond, failed: "500"}
	// Each service fails twice under GET /x: fewer than burstMin each, so
	// mixing them would make one failing call of four errors.
	for i := 0; i < 2; i++ {
		shop.request("GET /x", start.Add(time.Duration(i)*time.Second), 5*time.Millisecond, fail)
		billing.request("GET /x", start.Add(time.Duration(i)*time.Second), 5*time.Millisecond, fail)
	}
	// billing alone has an N+1 under GET /x; shop runs the query 3 times.
	var loop []child
	for i := 0; i < 6; i++ {
		loop = append(loop, sqlQuery(fmt.Sprintf("SELECT * FROM items WHERE id = %d", i), time.Duration(i)*2*time.Millisecond, time.Millisecond))
	}
	billing.request("GET /x", start.Add(3*time.Second), 20*time.Millisecond, loop...)
	for i := 0; i < 3; i++ {
		shop.request("GET /x", start.Add(3*time.Second), 20*time.Millisecond, loop[:3]...)
	}
	get := func(q string) []finding {
		var r findingsResponse
		getJSON(t, v.Handler(), "/api/findings"+q, &r)
		return r.Findings
	}
	all := get("")
	if fc := kinds(all, kindFailingCall); len(fc) != 0 {
		t.Errorf("failing calls mix the two services' GET /x: %+v", fc)
	}
	np := kinds(all, kindNPlusOne)
	if len(np) != 1 || np[0].Service != "billing" || np[0].Route != "GET /x" || !strings.HasPrefix(np[0].Summary, "billing · ") {
		t.Errorf("want one N+1 of billing's GET /x naming billing, got %+v", np)
	}
	for _, f := range all {
		if f.Service != "shop" && f.Service != "billing" {
			t.Errorf("finding without its service: %+v", f)
		}
	}
	if got := kinds(get("?service=billing"), kindNPlusOne); len(got) != 1 {
		t.Errorf("service=billing: want its N+1, got %+v", got)
	}
	for _, f := range get("?service=shop") {
		if f.Service != "shop" {
			t.Errorf("service=shop lists %+v", f)
		}
	}
	if got := get("?service=nobody"); len(got) != 0 {
		t.Errorf("service=nobody: want none, got %+v", got)
	}
	// Once a third failure of billing comes, billing alone has a burst.
	billing.request("GET /x", start.Add(4*time.Second), 5*time.Millisecond, fail)
	fc := kinds(mustCompute(v), kindFailingCall)
	if len(fc) != 1 || fc[0].Service != "billing" || fc[0].Numbers["errors"] != 3 {
		t.Errorf("want billing's failing call of 3 errors, got %+v", fc)
	}
}
