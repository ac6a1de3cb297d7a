package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/otelkit/otelkit/examples/demo/app"
	"github.com/otelkit/otelkit/otelboot"
	"github.com/otelkit/otelkit/otelboot/liveview"
)

// lvChromium finds the browser: OTELKIT_CHROMIUM, else Debian's chromium.
func lvChromium() string {
	if p := os.Getenv("OTELKIT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// lvBrowser starts headless Chromium at bin for the test, at a laptop-sized
// window, and returns its context; the browser stops when the test ends.
func lvBrowser(t *testing.T, bin string) context.Context {
	t.Helper()
	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1100),
	)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	return ctx
}

func TestLiveViewInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	bin := lvChromium()
	if bin == "" {
		t.Skip("no chromium binary found (install Debian's chromium package, or set OTELKIT_CHROMIUM): browser test skipped")
	}

	// Telemetry goes only to the view: no collector is needed.
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"} {
		t.Setenv(k, "none")
	}
	t.Setenv("OTELKIT_VIEW_ADDR", "")

	const token = "browser-test-token"
	view := liveview.New(liveview.Config{Token: token})
	shutdown, err := otelboot.Start(context.Background(),
		otelboot.WithServiceName("hyunwoo"),
		otelboot.WithServiceVersion("1.0.0"),
		otelboot.WithLiveView(view),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })

	// The external API: the first call is slow (the trace the test opens),
	// every third call fails.
	var calls atomic.Int64
	ext := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n := calls.Add(1); {
		case n == 1:
			time.Sleep(300 * time.Millisecond)
		case n%3 == 0:
			http.Error(w, "upstream failure", http.StatusInternalServerError)
			return
		default:
			time.Sleep(15 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"value":42}`)
	}))
	t.Cleanup(ext.Close)

	// The demo on embedded backends (SQLite, in-process Redis and Kafka).
	actx, acancel := context.WithTimeout(context.Background(), time.Minute)
	defer acancel()
	a, err := app.New(actx, app.Config{
		Addr:           "127.0.0.1:0",
		SQLitePath:     filepath.Join(t.TempDir(), "demo.db"),
		AdminUser:      "lv_admin",
		AdminPassword:  "lv-admin-pw-9182",
		BcryptCost:     4, // bcrypt.MinCost: logins stay fast
		ExternalAPIURL: ext.URL,
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
	base, err := view.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = view.Shutdown(context.Background()) })

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
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, body := do("POST", "/login", "", `{"username":"lv_admin","password":"lv-admin-pw-9182"}`)
	var login struct{ Token string }
	if err := json.Unmarshal(body, &login); code != http.StatusOK || err != nil || login.Token == "" {
		t.Fatalf("login: %d %s", code, body)
	}
	session := login.Token
	if code, body := do("GET", "/external/data", session, ""); code != http.StatusOK {
		t.Fatalf("first external call: %d %s", code, body)
	}
	// Traffic for as long as the test runs; the external calls fail one
	// time in three (502 from the demo, errors on its spans).
	trafficCtx, stopTraffic := context.WithCancel(context.Background())
	trafficDone := make(chan struct{})
	go func() {
		defer close(trafficDone)
		paths := []string{"GET /db/messages", "POST /db/message", "GET /logs/redis", "GET /external/data", "GET /healthz"}
		for i := 0; trafficCtx.Err() == nil; i++ {
			method, path, _ := strings.Cut(paths[i%len(paths)], " ")
			body := ""
			if method == "POST" {
				body = fmt.Sprintf(`{"content":"message %d"}`, i)
			}
			do(method, path, session, body)
			time.Sleep(30 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { stopTraffic(); <-trafficDone })

	// Start the browser without a deadline, then bound the test.
	ctx := lvBrowser(t, bin)
	tctx, tcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer tcancel()

	// The page without the token says one is required.
	if err := chromedp.Do(tctx, chromedp.Navigate(base)); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil || !strings.Contains(text, "token is required") {
		t.Errorf("page without token: %q, %v", text, err)
	}

	// With the token, the three panels fill.
	if err := chromedp.Do(tctx, chromedp.Navigate(base+"?token="+token)); err != nil {
		t.Fatal(err)
	}
	totals, err := chromedp.Run(tctx, chromedp.Poll[[]int](`(function () {
		const t = ['panel-rate', 'panel-errors', 'panel-heatmap'].map(id => +document.getElementById(id).dataset.total);
		const drawn = document.querySelectorAll('#chart-rate rect.bar').length > 0 &&
			document.querySelectorAll('#chart-errors circle.dot').length > 0 &&
			document.querySelectorAll('#chart-heatmap rect').length > 0;
		return t.every(n => n > 0) && drawn && document.querySelectorAll('#traces tbody tr').length > 0 ? t : null;
	})()`, chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(45*time.Second)))
	if err != nil {
		status, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
		t.Fatalf("panels did not fill: %v (status %q)", err, status)
	}
	t.Logf("panel totals in window: spans %d, errors %d, heatmap %d", totals[0], totals[1], totals[2])
	if totals[1] >= totals[0] {
		t.Errorf("panel totals: %d errors for %d spans", totals[1], totals[0])
	}
	// The demo's slog records reach the view with their trace ids.
	if n, err := chromedp.Run(tctx, chromedp.Poll[int](`document.querySelectorAll('#logs tbody td a').length || null`,
		chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Errorf("no log record with a trace link: %v", err)
	} else {
		t.Logf("recent logs with a trace link: %d", n)
	}
	bands, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#chart-heatmap text.band-label')).map(e => e.textContent)`))
	if err != nil || !slices.Equal(bands, []string{"262µs", "1.05ms", "16.8ms", "67.1ms", "268ms"}) {
		t.Errorf("heatmap band labels %q, %v", bands, err)
	}
	if badge, _ := chromedp.Run(tctx, chromedp.Evaluate[bool](`!document.getElementById('token-badge').hidden`)); !badge {
		t.Error("the page does not say a token is required")
	}
	// Narrow the window to one minute (one bar per second) for the picture.
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[chromedp.Void](`(function () {
		const w = document.getElementById('window');
		w.value = '60';
		w.dispatchEvent(new Event('change'));
	})()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](`document.querySelectorAll('#chart-rate rect.bar').length >= 3`,
		chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Errorf("one-minute window: fewer than 3 bars: %v", err)
	}
	// The findings panel reads the dashboard: the external call failing one
	// time in three is a failing call under its route.
	finding, err := chromedp.Run(tctx, chromedp.Poll[string](`(function () {
		const li = document.querySelector('#findings li.finding[data-kind="failing_call"][data-child="HTTP GET"]');
		return li && li.dataset.route === 'GET /external/data' && li.querySelectorAll('a.trace-link').length > 0 ?
			li.querySelector('.summary').textContent : null;
	})()`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		all, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.getElementById('findings-panel').innerText`))
		t.Errorf("findings panel shows no failing call of HTTP GET under GET /external/data: %v\n%s", err, all)
	} else {
		t.Logf("finding: %s", finding)
	}
	// A click on a heatmap cell lists the traces that fell in it.
	cellText, err := chromedp.Run(tctx, chromedp.Evaluate[string](`(function () {
		const cells = Array.from(document.querySelectorAll('#chart-heatmap rect.cell'));
		const xs = [...new Set(cells.map(c => +c.getAttribute('x')))].sort((a, b) => a - b);
		const x = xs.length > 1 ? xs[xs.length - 2] : xs[0];
		const c = cells.find(c => +c.getAttribute('x') === x);
		c.dispatchEvent(new MouseEvent('click', { bubbles: true }));
		return c.querySelector('title').textContent;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	listed, err := chromedp.Run(tctx, chromedp.Poll[int](`(function () {
		const f = document.getElementById('cell-filter');
		const n = document.querySelectorAll('#traces tbody tr.trace-row').length;
		return !f.hidden && document.getElementById('traces').dataset.cell && n > 0 ? n : null;
	})()`, chromedp.WithPollingTimeout(15*time.Second)))
	var cellSpans int
	if m := regexp.MustCompile(`: (\d+) spans`).FindStringSubmatch(cellText); m == nil {
		t.Errorf("cell title %q: no span count", cellText)
	} else if cellSpans, err = strconv.Atoi(m[1]); err != nil {
		t.Errorf("cell title %q: %v", cellText, err)
	}
	switch {
	case err != nil:
		t.Errorf("heatmap cell %q: no traces listed: %v", cellText, err)
	case listed > cellSpans:
		t.Errorf("heatmap cell %q lists %d traces, more than its spans", cellText, listed)
	default:
		t.Logf("heatmap cell %q lists %d traces", cellText, listed)
	}
	dir := t.TempDir()
	lvScreenshot(t, tctx, filepath.Join(dir, "dashboard.png"), "/tmp/liveview.png")
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('cell-clear').click()`)); err != nil {
		t.Fatal(err)
	}

	// Open the slowest trace from the list sorted by duration.
	if err := chromedp.Do(tctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](`(function () {
				// The external calls only: on a loaded machine another
				// request can outlast the first, slow, external call.
				document.getElementById('f-name').value = 'GET /external/data';
				const s = document.getElementById('f-sort');
				s.value = 'duration';
				s.dispatchEvent(new Event('input'));
			})()`)(ctx, tg)
			return err
		}),
	); err != nil {
		t.Fatal(err)
	}
	slowest := lvSlowestTrace(t, base, token)
	first, err := chromedp.Run(tctx, chromedp.Poll[string](`(function () {
		const r = document.querySelector('#traces tbody tr');
		return r && r.dataset.traceId === '`+slowest+`' ? r.dataset.traceId : null;
	})()`, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		t.Fatalf("slowest trace %s not first when sorted by duration: %v", slowest, err)
	}
	if err := chromedp.Do(tctx,
		// The row found above, by id: the list refreshes every few
		// seconds, and a refresh between the poll and the click can put
		// another trace first.
		chromedp.Click(chromedp.CSS(`#traces tbody tr[data-trace-id="`+first+`"] a.trace-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#waterfall .span-row`)),
	); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name   string `json:"name"`
		Indent string `json:"indent"`
		Error  bool   `json:"error"`
	}
	rows, err := chromedp.Run(tctx, chromedp.Evaluate[[]row](`Array.from(document.querySelectorAll('#waterfall .span-row')).map(r => ({
		name: r.querySelector('.span-name').textContent,
		indent: r.querySelector('.span-label').style.paddingLeft,
		error: r.classList.contains('error'),
	}))`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("waterfall of %s: %+v", first, rows)
	// The server span first, its children (the session lookup in Redis,
	// the external call...) below it.
	if len(rows) < 3 || rows[0] != (row{"GET /external/data", "8px", false}) {
		t.Fatalf("waterfall rows %+v: want the server span GET /external/data first", rows)
	}
	names := map[string]int{}
	for i, r := range rows[1:] {
		if r.Indent == "8px" {
			t.Errorf("row %d %q is not under the server span", i+1, r.Name)
		}
		names[r.Name]++
	}
	for _, want := range []string{"redis.command", "HTTP GET"} {
		if names[want] == 0 {
			t.Errorf("waterfall lacks %s: %+v", want, rows)
		}
	}
	// A span's attributes open with a click: the external call's URL.
	extHost := strings.TrimPrefix(ext.URL, "http://")
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll('#waterfall .span-row')).find(r => r.querySelector('.span-name').textContent === 'HTTP GET').click()`)); err != nil {
		t.Fatal(err)
	}
	details, err := chromedp.Run(tctx, chromedp.Poll[string](`(function () {
		const d = Array.from(document.querySelectorAll('#waterfall .span-details')).find(e => !e.hidden);
		return d ? d.innerText : null;
	})()`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || !strings.Contains(details, extHost) {
		t.Errorf("HTTP GET details %q (want the URL of %s), %v", details, extHost, err)
	}
	logs, err := chromedp.Run(tctx, chromedp.Evaluate[int](`document.querySelectorAll('#trace-logs tbody tr:not(:has(td.muted))').length`))
	t.Logf("log lines on the trace page: %d (%v)", logs, err)
	lvScreenshot(t, tctx, filepath.Join(dir, "trace.png"), "/tmp/liveview-trace.png")
}

// lvScreenshot saves a full-page PNG to path and, best effort, to also.
func lvScreenshot(t *testing.T, ctx context.Context, path, also string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Error(err)
	}
	_ = os.WriteFile(also, png, 0o644)
	t.Logf("screenshot %s (%d bytes)", path, len(png))
}

// lvSlowestTrace asks the view's API, as a script would, for the slowest
// kept trace.
func lvSlowestTrace(t *testing.T, base, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"api/traces?sort=duration&limit=1&name=GET+%2Fexternal%2Fdata", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Traces []struct {
			TraceID    string  `json:"trace_id"`
			Name       string  `json:"name"`
			DurationMS float64 `json:"duration_ms"`
		} `json:"traces"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Traces) == 0 {
		t.Fatalf("api/traces: %d, %v, %+v", resp.StatusCode, err, out)
	}
	if tr := out.Traces[0]; tr.Name != "GET /external/data" || tr.DurationMS < 300 {
		t.Fatalf("slowest trace %+v: want the first GET /external/data (300 ms)", tr)
	}
	return out.Traces[0].TraceID
}
