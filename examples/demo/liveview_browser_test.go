package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

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

// lvService is a small traced service shaped like the demo's endpoints: a
// server span per request with mysql.query, redis.command and HTTP GET
// children, some failing, and a log line per request; its only span and
// log processors are the live view's.
type lvService struct {
	tp     *sdktrace.TracerProvider
	lp     *sdklog.LoggerProvider
	tracer trace.Tracer
	logger otellog.Logger
}

func newLVService(v *liveview.View) *lvService {
	res := resource.NewSchemaless(attribute.String("service.name", "hyunwoo"), attribute.String("service.version", "1.0.0"))
	s := &lvService{
		tp: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(v.SpanProcessor()), sdktrace.WithResource(res)),
		lp: sdklog.NewLoggerProvider(sdklog.WithProcessor(v.LogProcessor()), sdklog.WithResource(res)),
	}
	s.tracer = s.tp.Tracer("liveview-browser-test")
	s.logger = s.lp.Logger("liveview-browser-test")
	return s
}

func (s *lvService) child(ctx context.Context, name string, d time.Duration, attrs ...attribute.KeyValue) error {
	_, sp := s.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	defer sp.End()
	time.Sleep(d)
	return nil
}

func (s *lvService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.URL.Path
	ctx, sp := s.tracer.Start(r.Context(), r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.method", r.Method), attribute.String("http.route", route)))
	defer sp.End()
	w.Header().Set("X-Trace-Id", sp.SpanContext().TraceID().String())

	status := http.StatusOK
	var err error
	switch route {
	case "/items":
		_ = s.child(ctx, "redis.command", time.Millisecond, attribute.String("db.system", "redis"), attribute.String("db.statement", "GET items"))
		_ = s.child(ctx, "mysql.query", 3*time.Millisecond, attribute.String("db.system", "mysql"), attribute.String("db.statement", "SELECT id, name FROM items"))
	case "/fail":
		_, db := s.tracer.Start(ctx, "mysql.query", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.String("db.system", "mysql")))
		err = errors.New("dial tcp 127.0.0.1:3306: connection refused")
		db.RecordError(err)
		db.SetStatus(codes.Error, err.Error())
		db.End()
		status = http.StatusInternalServerError
	case "/report": // the slowest: a DB query, a cache read and an external call
		_ = s.child(ctx, "mysql.query", 20*time.Millisecond, attribute.String("db.system", "mysql"), attribute.String("db.statement", "SELECT * FROM orders"))
		_ = s.child(ctx, "redis.command", 2*time.Millisecond, attribute.String("db.system", "redis"), attribute.String("db.statement", "SET report"))
		_ = s.child(ctx, "HTTP GET", 120*time.Millisecond, attribute.String("http.url", "http://api.example/rates"))
	}
	sp.SetAttributes(attribute.Int("http.status_code", status))
	var rec otellog.Record
	rec.SetTimestamp(time.Now())
	rec.SetBody(attribute.StringValue(r.Method + " " + route + " " + http.StatusText(status)))
	rec.SetSeverity(otellog.SeverityInfo)
	rec.SetSeverityText("INFO")
	if err != nil {
		sp.SetStatus(codes.Error, err.Error())
		rec.SetSeverity(otellog.SeverityError)
		rec.SetSeverityText("ERROR")
	}
	s.logger.Emit(ctx, rec)
	w.WriteHeader(status)
}

func TestLiveViewInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	bin := lvChromium()
	if bin == "" {
		t.Skip("no chromium binary found (install Debian's chromium package, or set OTELKIT_CHROMIUM): browser test skipped")
	}

	const token = "browser-test-token"
	view := liveview.New(liveview.Config{Token: token})
	svc := newLVService(view)
	t.Cleanup(func() {
		_ = svc.tp.Shutdown(context.Background())
		_ = svc.lp.Shutdown(context.Background())
	})
	app := httptest.NewServer(svc)
	t.Cleanup(app.Close)
	base, err := view.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = view.Shutdown(context.Background()) })

	get := func(path string) string {
		resp, err := http.Get(app.URL + path)
		if err != nil {
			t.Error(err)
			return ""
		}
		resp.Body.Close()
		return resp.Header.Get("X-Trace-Id")
	}
	slowest := get("/report")
	// Traffic: steady requests, one in five failing, for as long as the test runs.
	trafficCtx, stopTraffic := context.WithCancel(context.Background())
	trafficDone := make(chan struct{})
	go func() {
		defer close(trafficDone)
		for i := 0; trafficCtx.Err() == nil; i++ {
			if i%5 == 4 {
				get("/fail")
			} else {
				get("/items")
			}
			time.Sleep(40 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { stopTraffic(); <-trafficDone })

	ctx, cancel := chromedp.NewExecAllocator(context.Background(),
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
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()
	// Start the browser without a deadline, then bound the test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer tcancel()

	// The page without the token says one is required.
	if err := chromedp.Do(tctx, chromedp.Navigate(base)); err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil || !strings.Contains(body, "token is required") {
		t.Errorf("page without token: %q, %v", body, err)
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
	if totals[1] >= totals[0] || totals[2] != totals[0] {
		t.Errorf("panel totals disagree: %v", totals)
	}
	bands, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#chart-heatmap text.band-label')).map(e => e.textContent)`))
	if err != nil || !slices.Equal(bands, []string{"262µs", "1.05ms", "16.8ms", "67.1ms", "268ms"}) {
		t.Errorf("heatmap band labels %q, %v", bands, err)
	}
	if badge, _ := chromedp.Run(tctx, chromedp.Evaluate[bool](`!document.getElementById('token-badge').hidden`)); !badge {
		t.Error("the page does not say a token is required")
	}
	dir := t.TempDir()
	lvScreenshot(t, tctx, filepath.Join(dir, "dashboard.png"), "/tmp/liveview.png")

	// Open the slowest trace from the list sorted by duration.
	if err := chromedp.Do(tctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](`(function () {
				const s = document.getElementById('f-sort');
				s.value = 'duration';
				s.dispatchEvent(new Event('input'));
			})()`)(ctx, tg)
			return err
		}),
	); err != nil {
		t.Fatal(err)
	}
	first, err := chromedp.Run(tctx, chromedp.Poll[string](`(function () {
		const r = document.querySelector('#traces tbody tr');
		return r && r.dataset.traceId === '`+slowest+`' ? r.dataset.traceId : null;
	})()`, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		t.Fatalf("slowest trace %s not first when sorted by duration: %v", slowest, err)
	}
	if err := chromedp.Do(tctx,
		chromedp.Click(chromedp.CSS(`#traces tbody tr:first-child a.trace-link`)),
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
	want := []row{{"GET /report", "8px", false}, {"mysql.query", "24px", false}, {"redis.command", "24px", false}, {"HTTP GET", "24px", false}}
	if !slices.Equal(rows, want) {
		t.Errorf("waterfall rows %+v, want %+v", rows, want)
	}
	// A span's attributes open with a click.
	if err := chromedp.Do(tctx, chromedp.Click(chromedp.CSS(`#waterfall .span-row:nth-of-type(2)`))); err != nil {
		t.Fatal(err)
	}
	details, err := chromedp.Run(tctx, chromedp.Poll[string](`(function () {
		const d = Array.from(document.querySelectorAll('#waterfall .span-details')).find(e => !e.hidden);
		return d ? d.innerText : null;
	})()`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || !strings.Contains(details, "SELECT * FROM orders") {
		t.Errorf("mysql.query details %q, %v", details, err)
	}
	logs, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.getElementById('trace-logs').innerText`))
	if err != nil || !strings.Contains(logs, "GET /report OK") {
		t.Errorf("trace log lines %q, %v", logs, err)
	}
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
