package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelkit/otelkit/internal/testutil"
)

// The rule: every panel of the shipped Grafana dashboard returns data from
// a real Prometheus, whichever way the demo's metrics reach it: scraped
// directly from otelboot's Prometheus exporter (OTEL_METRICS_EXPORTER=
// prometheus), or through the shipped Collector config (OTLP in, its
// prometheus exporter out). Both must name series alike (duration_bucket,
// service_name label) for one dashboard to serve both.

// dashboardService is the demo's service name, which the dashboard's
// $service variable selects.
const dashboardService = "hyunwoo"

// promBinary returns Debian's (or any) prometheus binary, or skips.
func promBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus"
	}
	t.Skip("no prometheus binary in PATH or at /usr/bin/prometheus (apt-get install prometheus)")
	return ""
}

// dashboardQueries returns every panel target expr of dashboard.json, with
// the panel title, and the template variable query.
func dashboardQueries(t *testing.T) (exprs [][2]string, varQuery string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("deploy", "grafana", "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query struct {
					Query string `json:"query"`
				} `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no target", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Expr == "" {
				t.Errorf("panel %q has a target without expr", p.Title)
			}
			exprs = append(exprs, [2]string{p.Title, tg.Expr})
		}
	}
	if len(exprs) == 0 {
		t.Fatal("dashboard has no panel target")
	}
	for _, v := range d.Templating.List {
		if v.Name == "service" {
			varQuery = v.Query.Query
		}
	}
	if varQuery == "" {
		t.Fatal("dashboard has no $service variable query")
	}
	return exprs, varQuery
}

// grafanaVars replaces the Grafana variables the dashboard uses; a
// variable left over fails the test (it would reach Prometheus verbatim).
func grafanaVars(t *testing.T, expr string) string {
	t.Helper()
	r := strings.NewReplacer("${service}", dashboardService, "$service", dashboardService,
		"$__rate_interval", "15s", "$__interval", "15s", "$__range", "15s")
	out := r.Replace(expr)
	if strings.Contains(out, "$") {
		t.Fatalf("query %q uses a Grafana variable the test does not know", expr)
	}
	return out
}

// labelValuesRE parses label_values(metric, label).
var labelValuesRE = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)

// promProc is a running Prometheus.
type promProc struct {
	base string
	out  testutil.SyncBuffer
}

// startPrometheus runs Prometheus scraping target every second.
func startPrometheus(t *testing.T, bin, target string) *promProc {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: demo
    static_configs:
      - targets: [%q]
`, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &promProc{}
	addr := "127.0.0.1:" + rcFreePort(t)
	p.base = "http://" + addr
	startProc(t, "prometheus", &p.out, bin, "--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	waitHTTP(t, "prometheus", p.base+"/-/ready", &p.out)
	return p
}

// startProc starts a process killed at the test's end.
func startProc(t *testing.T, name string, out io.Writer, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
}

// waitHTTP polls u until it answers 200, within 20s.
func waitHTTP(t *testing.T, name, u string, out *testutil.SyncBuffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s never answered 200 (%v)\n%s", name, u, err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// promQuery evaluates q at now through /api/v1/query: whether one sample
// of the result is a number (not NaN), and the answer as text.
func promQuery(base, q string) (hasNumber bool, text string, err error) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return false, string(body), fmt.Errorf("decoding %s: %w", body, err)
	}
	if r.Status != "success" {
		return false, string(body), fmt.Errorf("query %q: %s", q, r.Error)
	}
	for _, s := range r.Data.Result {
		v, _ := s.Value[1].(string)
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) {
			hasNumber = true
		}
	}
	return hasNumber, string(body), nil
}

// driveTraffic sends requests to the demo until the test ends: a
// registration, logins (one refused), health checks.
func driveTraffic(t *testing.T, base string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	post := func(path, body string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	post("/register", `{"username":"dash","password":"dash-password-1"}`)
	go func() {
		defer close(done)
		tick := time.NewTicker(150 * time.Millisecond)
		defer tick.Stop()
		for {
			post("/login", `{"username":"dash","password":"dash-password-1"}`)
			post("/login", `{"username":"dash","password":"wrong-password"}`)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// checkDashboard evaluates every panel query (and the $service variable's
// label_values) through Prometheus until each returns a number, within 45s.
func checkDashboard(t *testing.T, prom *promProc, demoOut fmt.Stringer) {
	t.Helper()
	exprs, varQuery := dashboardQueries(t)
	m := labelValuesRE.FindStringSubmatch(varQuery)
	if m == nil {
		t.Fatalf("$service query %q is not label_values(metric, label)", varQuery)
	}
	deadline := time.Now().Add(45 * time.Second)
	pending := map[string]string{} // query -> panel
	for _, e := range exprs {
		pending[grafanaVars(t, e[1])] = e[0]
	}
	varOK := false
	last := map[string]string{}
	for len(pending) > 0 || !varOK {
		if !varOK {
			u := prom.base + "/api/v1/label/" + m[2] + "/values?match[]=" + url.QueryEscape(m[1])
			if resp, err := http.Get(u); err == nil {
				var r struct {
					Data []string `json:"data"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				for _, v := range r.Data {
					varOK = varOK || v == dashboardService
				}
				last[varQuery] = fmt.Sprint(r.Data)
			}
		}
		for q := range pending {
			ok, text, err := promQuery(prom.base, q)
			if err != nil {
				t.Fatalf("panel %q: %v", pending[q], err)
			}
			last[q] = text
			if ok {
				delete(pending, q)
			}
		}
		if len(pending) == 0 && varOK {
			break
		}
		if time.Now().After(deadline) {
			for q, panel := range pending {
				t.Errorf("panel %q: %s returned no number within 45s; last answer %s", panel, q, last[q])
			}
			if !varOK {
				t.Errorf("$service: %s does not list %q; last answer %s", varQuery, dashboardService, last[varQuery])
			}
			_, all, _ := promQuery(prom.base, `count by (__name__) ({__name__=~".+"})`)
			t.Logf("series names in Prometheus: %s\nprometheus output:\n%s\ndemo output:\n%s", all, prom.out.String(), demoOut)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestDashboardPrometheusDirect: the demo's own /metrics (otelboot's
// Prometheus exporter) scraped by Prometheus serves every panel.
func TestDashboardPrometheusDirect(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo and Prometheus")
	}
	prom := promBinary(t)
	bin := demoBinary(t)
	metricsPort := rcFreePort(t)
	p := rcStart(t, bin,
		"OTEL_METRICS_EXPORTER=prometheus",
		"OTEL_EXPORTER_PROMETHEUS_HOST=127.0.0.1",
		"OTEL_EXPORTER_PROMETHEUS_PORT="+metricsPort,
		"OTEL_TRACES_EXPORTER=none",
		"OTEL_LOGS_EXPORTER=none",
	)
	driveTraffic(t, p.base)
	pp := startPrometheus(t, prom, "127.0.0.1:"+metricsPort)
	checkDashboard(t, pp, &p.out)
}

// TestDashboardPrometheusCollector: the demo's OTLP metrics through the
// shipped Collector config (endpoints moved to free loopback ports) and its
// prometheus exporter, scraped by Prometheus, serve every panel.
func TestDashboardPrometheusCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo, the Collector and Prometheus")
	}
	prom := promBinary(t)
	otelcol := os.Getenv("OTELKIT_TEST_OTELCOL")
	if otelcol == "" {
		t.Skip("OTELKIT_TEST_OTELCOL does not name a Collector binary (.ci/run builds one with .ci/collector)")
	}
	raw, err := os.ReadFile(filepath.Join("deploy", "otel-collector.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	httpPort, grpcPort, promPort, jaegerPort := rcFreePort(t), rcFreePort(t), rcFreePort(t), rcFreePort(t)
	cfg := string(raw)
	for from, to := range map[string]string{
		"0.0.0.0:4318": "127.0.0.1:" + httpPort,
		"0.0.0.0:4317": "127.0.0.1:" + grpcPort,
		"0.0.0.0:8889": "127.0.0.1:" + promPort,
		"jaeger:4317":  "127.0.0.1:" + jaegerPort, // closed: traces are not the subject
	} {
		if strings.Count(cfg, from) != 1 {
			t.Fatalf("otel-collector.yaml: %q appears %d times, want 1", from, strings.Count(cfg, from))
		}
		cfg = strings.Replace(cfg, from, to, 1)
	}
	cfgPath := filepath.Join(t.TempDir(), "otel-collector.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var colOut testutil.SyncBuffer
	// The Collector's own metrics would listen on :8888, which another
	// test or helper may hold; they are not part of what is tested.
	startProc(t, "collector", &colOut, otelcol, "--config="+cfgPath, "--set=service.telemetry.metrics.level=none")
	waitHTTP(t, "collector prometheus exporter", "http://127.0.0.1:"+promPort+"/metrics", &colOut)

	bin := demoBinary(t)
	p := rcStart(t, bin,
		"OTEL_METRICS_EXPORTER=otlp",
		"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://127.0.0.1:"+httpPort+"/v1/metrics",
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_METRIC_EXPORT_INTERVAL=1000",
		"OTEL_TRACES_EXPORTER=none",
		"OTEL_LOGS_EXPORTER=none",
	)
	driveTraffic(t, p.base)
	pp := startPrometheus(t, prom, "127.0.0.1:"+promPort)
	checkDashboard(t, pp, stringers{&p.out, &colOut})
}

// stringers joins the outputs of several processes.
type stringers []fmt.Stringer

func (s stringers) String() string {
	var b strings.Builder
	for i, x := range s {
		fmt.Fprintf(&b, "--- process %d ---\n%s\n", i+1, x.String())
	}
	return b.String()
}
