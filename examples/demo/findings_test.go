package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/otelkit/otelkit/examples/demo/app"
	"github.com/otelkit/otelkit/otelboot"
	"github.com/otelkit/otelkit/otelboot/liveview"
)

// finding is one entry of the live view's GET /api/findings.
type finding struct {
	Kind      string             `json:"kind"`
	Route     string             `json:"route"`
	Child     string             `json:"child"`
	Summary   string             `json:"summary"`
	Numbers   map[string]float64 `json:"numbers"`
	Traces    []string           `json:"traces"`
	FirstSeen time.Time          `json:"first_seen"`
	LastSeen  time.Time          `json:"last_seen"`
}

func (f finding) String() string {
	return fmt.Sprintf("%s route=%q child=%q %q %v traces=%d %s..%s", f.Kind, f.Route, f.Child, f.Summary,
		f.Numbers, len(f.Traces), f.FirstSeen.Format("15:04:05.000"), f.LastSeen.Format("15:04:05.000"))
}

// The shape of the demo run of TestFindingsOnDemo. The live view's clock is
// the wall clock, and the spans' own end times (the SDK's clock) fill its
// rate slots, so the phases take real time: the spike needs its baseline,
// about 35 s of steady traffic, and the rest happens inside it.
const (
	fdBaseRate      = 6                       // requests/s of steady traffic
	fdBurstFactor   = 2                       // the burst adds this many times the steady rate, all on fdBurstRoute
	fdBeforeFailure = 8 * time.Second         // steady traffic before the external API fails
	fdFailing       = 3 * time.Second         // the external API fails for this long
	fdUsers         = 12                      // users listed by the N+1 request (plus the admin)
	fdUpstream      = 300 * time.Millisecond  // the external API's answer time when it works: the spec's band, and the call dominates its route
	fdDetect        = 20 * time.Second        // how long after the burst starts the findings may take
	fdSlack         = 1500 * time.Millisecond // clock slack on first_seen / last_seen

	// The live view's spike baseline (otelboot/liveview, findings.go):
	// counts per fdSlotSec-second slot, never the first slot a route is
	// seen in, at least fdBaselineSlots slots before the recent two.
	fdSlotSec       = 5
	fdBaselineSlots = 6

	fdBurstRoute = "GET /db/messages"   // the route of the burst
	fdExtRoute   = "GET /external/data" // the route that calls the external API
	fdNPlusOne   = "GET /admin/users"   // the route run with ?n_plus_one=true
	fdCountStmt  = "SELECT COUNT(*) FROM messages WHERE user_id = ?"
	fdClientSpan = "HTTP GET" // the external call's client span
)

// TestFindingsOnDemo is issue 18's demo-level test: the demo, on embedded
// backends with its live view, driven with steady traffic, a request shape
// that makes an N+1 (GET /admin/users?n_plus_one=true: one COUNT per user),
// an external API that fails for a while and a burst of load several times
// the steady rate. Through GET /api/findings: n_plus_one on GET /admin/users
// with the COUNT statement as child, failing_call on GET /external/data with
// HTTP GET as child inside the failure window, spike on the burst's route
// from the burst on, bottleneck on GET /external/data in HTTP GET; before
// the failure and the burst, neither a failing call nor a spike.
func TestFindingsOnDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the demo for about 20 s of wall-clock time")
	}
	// Telemetry goes only to the view: no collector is needed.
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"} {
		t.Setenv(k, "none")
	}
	t.Setenv("OTELKIT_VIEW_ADDR", "")

	view := liveview.New(liveview.Config{})
	shutdown, err := otelboot.Start(context.Background(),
		otelboot.WithServiceName("hyunwoo"),
		otelboot.WithServiceVersion("1.0.0"),
		otelboot.WithLiveView(view),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })

	// The external API: answers in fdUpstream, or 503 while failing is set.
	var failing atomic.Bool
	ext := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
			return
		}
		select {
		case <-time.After(fdUpstream):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"value":42}`)
	}))
	t.Cleanup(ext.Close)

	actx, acancel := context.WithTimeout(context.Background(), time.Minute)
	defer acancel()
	a, err := app.New(actx, app.Config{
		Addr:           "127.0.0.1:0",
		SQLitePath:     filepath.Join(t.TempDir(), "demo.db"),
		AdminUser:      "fd_admin",
		AdminPassword:  "fd-admin-pw-5531",
		BcryptCost:     4, // bcrypt.MinCost: logins stay fast
		ExternalAPIURL: ext.URL,
		KafkaReadWait:  time.Second,
		Out:            io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	demo := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		demo.Close()
		_ = a.Close()
	})
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}
	t.Cleanup(client.CloseIdleConnections)

	var transportErrs atomic.Int64
	do := func(method, path, bearer, body string) (int, []byte) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, demo.URL+path, rd)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := client.Do(req)
		if err != nil {
			transportErrs.Add(1)
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	login := func(name, pw string) string {
		t.Helper()
		code, body := do("POST", "/login", "", `{"username":"`+name+`","password":"`+pw+`"}`)
		var out struct{ Token string }
		if err := json.Unmarshal(body, &out); code != http.StatusOK || err != nil || out.Token == "" {
			t.Fatalf("login %s: %d %s", name, code, body)
		}
		return out.Token
	}
	admin := login("fd_admin", "fd-admin-pw-5531")
	var user string
	for i := range fdUsers {
		name, pw := fmt.Sprintf("fd_user%d", i), fmt.Sprintf("fd-user-pw-%d-x", i)
		if code, body := do("POST", "/register", "", `{"username":"`+name+`","password":"`+pw+`"}`); code != http.StatusCreated {
			t.Fatalf("register %s: %d %s", name, code, body)
		}
		if i == 0 {
			user = login(name, pw)
		}
	}
	for i := range 5 {
		if code, body := do("POST", "/db/message", user, fmt.Sprintf(`{"content":"message %d"}`, i)); code != http.StatusCreated {
			t.Fatalf("post message: %d %s", code, body)
		}
	}
	// The N+1 request answers what the plain one does.
	code, plain := do("GET", "/admin/users", admin, "")
	code2, np := do("GET", "/admin/users?n_plus_one=true", admin, "")
	if code != http.StatusOK || code2 != http.StatusOK || string(plain) != string(np) {
		t.Fatalf("GET /admin/users: %d %s\n?n_plus_one=true: %d %s", code, plain, code2, np)
	}

	// Steady traffic from here to the end of the test: a request every
	// 1/fdBaseRate s, in turn on the burst's route, the external API's and
	// the N+1 one, plus the burst while it lasts.
	steady := []struct{ method, path, bearer string }{
		{"GET", "/db/messages?limit=20", user},
		{"GET", "/external/data", user},
		{"GET", "/db/messages?limit=20", user},
		{"GET", "/external/data", user},
		{"GET", "/admin/users?n_plus_one=true", admin},
		{"GET", "/db/messages/search?q=message", user},
	}
	var burstOn atomic.Bool
	var sent, burstSent atomic.Int64
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	drive := func(rate int, on func() bool, pick func(i int) (string, string, string), count *atomic.Int64) {
		wg.Go(func() {
			tick := time.NewTicker(time.Second / time.Duration(rate))
			defer tick.Stop()
			sem := make(chan struct{}, 32)
			var inflight sync.WaitGroup
			defer inflight.Wait()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if !on() {
					continue
				}
				select {
				case sem <- struct{}{}:
				default:
					continue // the service is slower than the rate: skip a beat
				}
				method, path, bearer := pick(i)
				count.Add(1)
				inflight.Go(func() {
					defer func() { <-sem }()
					do(method, path, bearer, "")
				})
			}
		})
	}
	stopped := false
	stopTraffic := func() {
		if !stopped {
			stopped = true
			stop()
			wg.Wait()
		}
	}
	t.Cleanup(stopTraffic)
	// The burst's route is seen first now: the spike baseline counts from
	// the slot after this one.
	if code, body := do("GET", "/db/messages?limit=20", user, ""); code != http.StatusOK {
		t.Fatalf("GET /db/messages: %d %s", code, body)
	}
	start := time.Now()
	firstSlot := start.Unix() / fdSlotSec
	// The first slot the baseline is complete in; the burst starts a
	// little into it, once steady traffic was read against that baseline.
	baselineReady := time.Unix((firstSlot+2+fdBaselineSlots)*fdSlotSec, 0)
	drive(fdBaseRate, func() bool { return true }, func(i int) (string, string, string) {
		s := steady[i%len(steady)]
		return s.method, s.path, s.bearer
	}, &sent)
	drive(fdBaseRate*fdBurstFactor, burstOn.Load, func(int) (string, string, string) {
		return "GET", "/db/messages?limit=20", user
	}, &burstSent)

	// Steady traffic only: nothing has failed and nothing has jumped yet.
	time.Sleep(fdBeforeFailure)
	for _, f := range fdFindings(t, view) {
		if f.Kind == "failing_call" || f.Kind == "spike" {
			t.Errorf("after %v of steady traffic, before any failure or burst: %v", time.Since(start).Round(time.Millisecond), f)
		}
	}

	// The external API fails for a while, then recovers.
	failStart := time.Now()
	failing.Store(true)
	time.Sleep(fdFailing)
	failing.Store(false)
	failEnd := time.Now()

	// Steady traffic until the baseline is long enough; the span rate has
	// not jumped anywhere (the failure may show as an error-rate spike of
	// the external route: errors did jump).
	time.Sleep(time.Until(baselineReady.Add(300 * time.Millisecond)))
	for _, f := range fdFindings(t, view) {
		if _, ok := f.Numbers["span_rate"]; f.Kind == "spike" && (ok || f.Route == fdBurstRoute) {
			t.Errorf("span-rate spike under steady traffic: %v", f)
		}
	}

	// The burst, on until the findings are there.
	burstStart := time.Now()
	burstOn.Store(true)
	// The findings, polled until each expected one is there.
	type want struct {
		kind, route, child string
		check              func(f finding) string // "" when f is right
	}
	wants := []want{
		{"n_plus_one", fdNPlusOne, fdCountStmt, func(f finding) string {
			if n := maxNumber(f); n < fdUsers {
				return fmt.Sprintf("its numbers %v do not count the %d+ COUNT statements of one request", f.Numbers, fdUsers+1)
			}
			return ""
		}},
		{"failing_call", fdExtRoute, fdClientSpan, func(f finding) string {
			if f.FirstSeen.Before(failStart.Add(-fdSlack)) || f.LastSeen.After(failEnd.Add(fdSlack)) || f.LastSeen.Before(f.FirstSeen) {
				return fmt.Sprintf("seen %s..%s, outside the failure window %s..%s", f.FirstSeen.Format(time.StampMilli),
					f.LastSeen.Format(time.StampMilli), failStart.Format(time.StampMilli), failEnd.Format(time.StampMilli))
			}
			return ""
		}},
		{"spike", fdBurstRoute, "", func(f finding) string {
			if f.FirstSeen.Before(burstStart.Add(-fdSlack)) {
				return fmt.Sprintf("first seen %s, before the burst started at %s", f.FirstSeen.Format(time.StampMilli), burstStart.Format(time.StampMilli))
			}
			return ""
		}},
		{"bottleneck", fdExtRoute, fdClientSpan, nil},
	}
	var got []finding
	missing := wants
	deadline := time.Now().Add(fdDetect)
	for {
		got = fdFindings(t, view)
		missing = missing[:0:0]
		for _, w := range wants {
			if fdMatch(got, w.kind, w.route, w.child) == nil {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	burstOn.Store(false)
	burstEnd := time.Now()
	if len(missing) == 0 {
		// The page, under steady traffic: the panel shows the findings.
		fdBrowser(t, view)
	}
	stopTraffic()
	t.Logf("%v in all; sent %d steady and %d burst requests (%.0f/s in the burst), %d transport errors",
		time.Since(start).Round(time.Millisecond), sent.Load(), burstSent.Load(),
		float64(burstSent.Load())/burstEnd.Sub(burstStart).Seconds(), transportErrs.Load())
	for _, f := range got {
		t.Logf("finding: %v", f)
	}
	for _, w := range missing {
		t.Errorf("no %s finding with route %q and child %q", w.kind, w.route, w.child)
	}
	for _, w := range wants {
		f := fdMatch(got, w.kind, w.route, w.child)
		if f == nil {
			continue
		}
		if f.Summary == "" || len(f.Numbers) == 0 {
			t.Errorf("%s: no summary or no numbers: %v", w.kind, *f)
		}
		if w.check != nil {
			if msg := w.check(*f); msg != "" {
				t.Errorf("%s: %s: %v", w.kind, msg, *f)
			}
		}
		// Each example trace is one the view keeps, under the route.
		if len(f.Traces) == 0 {
			t.Errorf("%s: no example trace: %v", w.kind, *f)
		}
		for _, id := range f.Traces {
			if name := fdTraceRoot(t, view, id); name != w.route {
				t.Errorf("%s: example trace %s has root %q, want %q", w.kind, id, name, w.route)
			}
		}
	}
	// The N+1 and the failing call name one route each: the steady
	// traffic's other routes make no N+1 (the API log's two-command
	// pipeline included) and fail nowhere else. Read once the traffic has
	// stopped and the view's cached answer (one second) has expired, so
	// that every trace is complete: a snapshot taken while an N+1 request
	// runs holds a trace whose server span has not ended yet.
	time.Sleep(1100 * time.Millisecond)
	for _, f := range fdFindings(t, view) {
		switch {
		case f.Kind == "n_plus_one" && f.Route != fdNPlusOne:
			t.Errorf("N+1 on a route that runs no statement twice: %v", f)
		case f.Kind == "failing_call" && f.Route != fdExtRoute:
			t.Errorf("failing call on a route that never failed: %v", f)
		}
	}
}

// fdMatch returns the first finding of kind on route whose child is child
// (any child when child is empty), or nil.
func fdMatch(fs []finding, kind, route, child string) *finding {
	for i, f := range fs {
		if f.Kind == kind && f.Route == route && (child == "" || f.Child == child) {
			return &fs[i]
		}
	}
	return nil
}

// maxNumber is the largest of f's numbers.
func maxNumber(f finding) float64 {
	m := 0.0
	for _, v := range f.Numbers {
		m = max(m, v)
	}
	return m
}

// fdGet answers a GET on the view's handler, from loopback.
func fdGet(t *testing.T, view *liveview.View, path string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Host = "127.0.0.1"
	rec := httptest.NewRecorder()
	view.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// fdFindings reads GET /api/findings.
func fdFindings(t *testing.T, view *liveview.View) []finding {
	t.Helper()
	code, body := fdGet(t, view, "/api/findings")
	var out struct {
		Findings []finding `json:"findings"`
	}
	if err := json.Unmarshal(body, &out); code != http.StatusOK || err != nil {
		t.Fatalf("GET /api/findings: %d %v %.300s", code, err, body)
	}
	return out.Findings
}

// fdTraceRoot returns the name of the root span of a kept trace, "" when the
// view does not have it.
func fdTraceRoot(t *testing.T, view *liveview.View, id string) string {
	t.Helper()
	code, body := fdGet(t, view, "/api/traces/"+id)
	if code != http.StatusOK {
		return ""
	}
	var tr struct {
		Spans []struct {
			Name     string `json:"name"`
			ParentID string `json:"parent_id"`
		} `json:"spans"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Errorf("GET /api/traces/%s: %v", id, err)
		return ""
	}
	for _, s := range tr.Spans {
		if s.ParentID == "" {
			return s.Name
		}
	}
	return ""
}

// fdBrowser opens the view's page in Chromium (when there is one) and
// checks that the findings panel lists the N+1, the failing call and the
// spike with their routes, and that a click on a heatmap cell lists the
// traces that fell in it. It saves a screenshot of the page to
// /tmp/liveview-findings.png (docs/liveview-findings.png is one).
func fdBrowser(t *testing.T, view *liveview.View) {
	t.Helper()
	bin := lvChromium()
	if bin == "" {
		t.Log("no chromium binary found (install Debian's chromium package, or set OTELKIT_CHROMIUM): the page is not checked")
		return
	}
	base, err := view.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = view.Shutdown(context.Background()) })
	// Start the browser without a deadline, then bound the test.
	ctx := lvBrowser(t, bin)
	tctx, tcancel := context.WithTimeout(ctx, time.Minute)
	defer tcancel()
	if err := chromedp.Do(tctx, chromedp.Navigate(base)); err != nil {
		t.Fatal(err)
	}
	// A one-minute window (one bar per second) shows the burst best.
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[chromedp.Void](`(function () {
		const w = document.getElementById('window');
		w.value = '60';
		w.dispatchEvent(new Event('change'));
	})()`)); err != nil {
		t.Fatal(err)
	}
	// Each wanted [kind, route, child] once it is listed.
	type item struct {
		Kind  string `json:"kind"`
		Route string `json:"route"`
		Child string `json:"child"`
	}
	wanted := []item{{"n_plus_one", fdNPlusOne, fdCountStmt}, {"failing_call", fdExtRoute, fdClientSpan}, {"spike", fdBurstRoute, ""}}
	js, _ := json.Marshal(wanted)
	listed, err := chromedp.Run(tctx, chromedp.Poll[[]item](`(function () {
		const want = `+string(js)+`;
		const items = Array.from(document.querySelectorAll('#findings li.finding')).map(li => ({
			kind: li.dataset.kind, route: li.dataset.route, child: li.dataset.child || '',
		}));
		const ok = want.every(w => items.some(i => i.kind === w.kind && i.route === w.route && i.child === w.child));
		const drawn = document.querySelectorAll('#chart-heatmap rect.cell').length > 0 &&
			document.querySelectorAll('#chart-rate rect.bar').length >= 10;
		return ok && drawn ? items : null;
	})()`, chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		got, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.getElementById('findings').innerText`))
		t.Errorf("the findings panel does not list %v: %v\n%s", wanted, err, got)
		return
	}
	t.Logf("findings panel: %+v", listed)
	lvScreenshot(t, tctx, filepath.Join(t.TempDir(), "findings.png"), "/tmp/liveview-findings.png")

	// The rule: nothing in the findings panel (the findings, the latency
	// band strip) reaches past the panel's right edge, on a laptop-width
	// screen and on a narrower one.
	for _, width := range []int64{1280, 800} {
		if err := chromedp.Do(tctx, chromedp.EmulateViewport(width, 1000)); err != nil {
			t.Fatal(err)
		}
		past, err := chromedp.Run(tctx, chromedp.Poll[[]string](`(function () {
			const panel = document.getElementById('findings-panel');
			if (!document.querySelector('#bands span.band')) return null;
			const right = panel.getBoundingClientRect().right;
			return Array.from(panel.querySelectorAll('*'))
				.filter(e => e.getBoundingClientRect().right > right + 0.5)
				.map(e => e.tagName.toLowerCase() + '.' + e.className + ' "' + e.textContent.slice(0, 50) + '" right ' +
					Math.round(e.getBoundingClientRect().right) + ' > ' + Math.round(right));
		})()`, chromedp.WithPollingTimeout(15*time.Second)))
		if err != nil {
			t.Errorf("width %d: no latency band strip: %v", width, err)
			continue
		}
		lvScreenshot(t, tctx, filepath.Join(t.TempDir(), "findings-narrow.png"), fmt.Sprintf("/tmp/liveview-findings-%d.png", width))
		if len(past) > 0 {
			t.Errorf("width %d: %d element(s) of the findings panel run past its right edge: %q", width, len(past), past)
		}
	}

	// A click on the most recent heatmap cell lists its traces.
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[chromedp.Void](`(function () {
		const cells = document.querySelectorAll('#chart-heatmap rect.cell');
		cells[cells.length - 1].dispatchEvent(new MouseEvent('click', { bubbles: true }));
	})()`)); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(tctx, chromedp.Poll[int](`(function () {
		const tb = document.getElementById('traces');
		const n = tb.querySelectorAll('tbody tr.trace-row').length;
		return tb.dataset.cell && n > 0 ? n : null;
	})()`, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		t.Errorf("a heatmap cell click lists no trace: %v", err)
	} else {
		t.Logf("heatmap cell click: %d traces listed", rows)
	}
}
