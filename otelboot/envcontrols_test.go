package otelboot_test

// End-to-end checks of the day-two controls of issue #16 that the
// environment sets (excluded URLs, captured headers, instrumentations
// switched off, the SQL commenter): each variable set in the test process,
// the real otelboot.Start exporting to a real OTLP receiver, the effect on
// the exported spans and metrics asserted by value, each option winning
// over its variable, and one bad value per variable giving its warning in
// otelboot's diagnostics. The wrappers' own tests (httpx, sqlx,
// internal/instrumentation) check the rules in depth against in-memory
// providers; these check that the pieces meet through Start.

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
	"github.com/otelkit/otelkit/otelboot"
	"github.com/otelkit/otelkit/sqlx"
)

const (
	e2eTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	e2eParentID    = "00f067aa0ba902b7"
	e2eTraceparent = "00-" + e2eTraceID + "-" + e2eParentID + "-01"
)

// controlVars are the variables of the day-two controls, unset at the start
// of every test (otelboot.CleanEnv unsets otelboot's own).
var controlVars = []string{
	"OTEL_GO_EXCLUDED_URLS", "OTEL_PYTHON_EXCLUDED_URLS", "OTEL_PYTHON_FLASK_EXCLUDED_URLS", "OTEL_PYTHON_REQUESTS_EXCLUDED_URLS",
	"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE",
	"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST", "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE",
	"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS",
	"OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS", "OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS",
	"OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS", "OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS",
	"OTEL_GO_SQLCOMMENTER", "OTEL_SEMCONV_STABILITY_OPT_IN",
}

// boot is one process's telemetry: Start exporting every signal over
// OTLP/HTTP to a fresh receiver, its diagnostics in diag.
type boot struct {
	r        *otlptest.Receiver
	diag     *testutil.SyncBuffer
	shutdown otelboot.ShutdownFunc
}

// setEnv unsets every variable, then sets kv and the receiver's endpoint.
// Call it before building wrappers that read the environment.
func setEnv(t *testing.T, r *otlptest.Receiver, kv ...string) {
	t.Helper()
	otelboot.CleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_TRACES_SAMPLER", "parentbased_always_on",
		"OTEL_BSP_SCHEDULE_DELAY", "60000", "OTEL_METRIC_EXPORT_INTERVAL", "60000")
	for _, k := range controlVars {
		t.Setenv(k, "")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		t.Setenv(kv[i], kv[i+1])
	}
}

// startBoot calls the real otelboot.Start (runtime metrics off, to keep
// the exports small; their tests are in runtime_test.go).
func startBoot(t *testing.T, r *otlptest.Receiver) *boot {
	t.Helper()
	b := &boot{r: r, diag: &testutil.SyncBuffer{}}
	var err error
	b.shutdown, err = otelboot.Start(context.Background(),
		otelboot.WithLogger(slog.New(slog.NewTextHandler(b.diag, nil))),
		otelboot.WithDefaultLogger(false), otelboot.WithRuntimeMetrics(false))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = b.shutdown(context.Background()) })
	return b
}

// flush shuts down, which delivers every span and metric point.
func (b *boot) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func spanNames(spans []*tracepb.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.GetName())
	}
	slices.Sort(out)
	return out
}

func spanNamed(t *testing.T, spans []*tracepb.Span, name string) *tracepb.Span {
	t.Helper()
	var found *tracepb.Span
	for _, s := range spans {
		if s.GetName() == name {
			if found != nil {
				t.Fatalf("two spans named %q", name)
			}
			found = s
		}
	}
	if found == nil {
		t.Fatalf("no span named %q (spans %v)", name, spanNames(spans))
	}
	return found
}

// strs returns the string-array (or string) attribute key of attrs.
func strs(attrs []*commonpb.KeyValue, key string) ([]string, bool) {
	for _, kv := range attrs {
		if kv.GetKey() != key {
			continue
		}
		if a := kv.GetValue().GetArrayValue(); a != nil {
			var out []string
			for _, v := range a.GetValues() {
				out = append(out, v.GetStringValue())
			}
			return out, true
		}
		return []string{kv.GetValue().GetStringValue()}, true
	}
	return nil, false
}

// counts adds up, per value of the attribute key, the measurements of the
// last export of the metric name (a histogram's count, a sum's value, 1
// per gauge point); cumulative temporality, so the last export holds every
// measurement.
func counts(r *otlptest.Receiver, name, key string) map[string]int64 {
	var last *metricspb.Metric
	for _, m := range r.Metrics() {
		if m.GetName() == name {
			last = m
		}
	}
	out := map[string]int64{}
	if last == nil {
		return out
	}
	val := func(attrs []*commonpb.KeyValue) string {
		v, _ := otlptest.Attr(attrs, key)
		return v
	}
	for _, dp := range last.GetHistogram().GetDataPoints() {
		out[val(dp.GetAttributes())] += int64(dp.GetCount())
	}
	for _, dp := range last.GetSum().GetDataPoints() {
		out[val(dp.GetAttributes())] += dp.GetAsInt() + int64(dp.GetAsDouble())
	}
	for _, dp := range last.GetGauge().GetDataPoints() { // a rate: one per series
		out[val(dp.GetAttributes())]++
	}
	return out
}

// recorder is a downstream service recording the headers it gets.
type recorder struct {
	mu  sync.Mutex
	got []http.Header
	srv *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	d := &recorder{}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.got = append(d.got, r.Header.Clone())
		d.mu.Unlock()
		w.Header().Set("X-Up", "up-1")
		w.Header().Set("X-Up-Token", "tok-9")
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *recorder) headers() []http.Header {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.got)
}

// call makes an httpx client call from ctx to the downstream path.
func call(t *testing.T, ctx context.Context, d *recorder, path string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.srv.URL+path, nil)
	req.Header.Set("X-Client-Req", "c-1")
	res, err := httpx.Client().Do(req)
	if err != nil {
		t.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
}

// serve sends one request with the test's incoming traceparent to h.
func serve(h http.Handler, path string, hdr ...string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("traceparent", e2eTraceparent)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	h.ServeHTTP(httptest.NewRecorder(), req)
}

// TestExcludedURLsEndToEnd: each of the three server-side variables
// excludes /healthz: no server span, no child span of ours, no point in
// http.server.request.duration nor in span_rate or duration; the incoming
// traceparent still reaches the downstream call the handler makes. A path
// that no expression matches is traced, with its children.
func TestExcludedURLsEndToEnd(t *testing.T) {
	for _, env := range []string{"OTEL_GO_EXCLUDED_URLS", "OTEL_PYTHON_EXCLUDED_URLS", "OTEL_PYTHON_FLASK_EXCLUDED_URLS"} {
		t.Run(env, func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			setEnv(t, r, env, "/healthz$")
			d := newRecorder(t)
			b := startBoot(t, r)
			mux := httpx.NewServeMux()
			handler := func(w http.ResponseWriter, req *http.Request) {
				ctx, child := otel.Tracer("app").Start(req.Context(), "child")
				call(t, ctx, d, "/downstream")
				child.End()
			}
			mux.HandleFunc("GET /healthz", handler)
			mux.HandleFunc("GET /work", handler)

			serve(mux, "/healthz")
			serve(mux, "/healthz")
			serve(mux, "/work")
			b.flush(t)

			spans := r.Spans()
			if got, want := spanNames(spans), []string{"GET /work", "HTTP GET", "child"}; !slices.Equal(got, want) {
				t.Errorf("spans %v, want %v (only /work's server span and its children)", got, want)
			}
			for _, s := range spans {
				if got := e2eHex(s.GetTraceId()); got != e2eTraceID {
					t.Errorf("span %s in trace %s, want the incoming %s", s.GetName(), got, e2eTraceID)
				}
			}
			hs := d.headers()
			if len(hs) != 3 {
				t.Fatalf("downstream got %d requests, want 3", len(hs))
			}
			// The excluded request is handled as unsampled: its children
			// (the client span among them) do not record, and the downstream
			// service gets the incoming trace, not sampled.
			tpRE := regexp.MustCompile(`^00-` + e2eTraceID + `-[0-9a-f]{16}-00$`)
			for i, h := range hs[:2] {
				if got := h.Get("traceparent"); !tpRE.MatchString(got) {
					t.Errorf("/healthz call %d: downstream traceparent %q, want the incoming trace %s, not sampled", i, got, e2eTraceID)
				}
			}
			work := spanNamed(t, spans, "HTTP GET")
			if got, want := hs[2].Get("traceparent"), "00-"+e2eTraceID+"-"+e2eHex(work.GetSpanId())+"-01"; got != want {
				t.Errorf("/work call: downstream traceparent %q, want %q (its client span)", got, want)
			}
			if got := counts(r, "http.server.request.duration", "http.route"); !mapsEqual(got, map[string]int64{"/work": 1}) {
				t.Errorf("http.server.request.duration counts by route %v, want only /work: 1", got)
			}
			if got := counts(r, "duration", "span.name"); !mapsEqual(got, map[string]int64{"GET /work": 1, "HTTP GET": 1, "child": 1}) {
				t.Errorf("duration counts by span name %v, want one each for /work's three spans, none for /healthz", got)
			}
			if got := counts(r, "spans", "")[""]; got != 3 {
				t.Errorf("spans counted %d, want 3 (/work's)", got)
			}
			if got := counts(r, "span_rate", "")[""]; got == 0 {
				t.Error("no span_rate point")
			}
		})
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestExcludedClientEndToEnd: OTEL_PYTHON_REQUESTS_EXCLUDED_URLS and
// OTEL_GO_EXCLUDED_URLS exclude a client call (no client span, no
// http.client.request.duration point), which still carries the caller's
// span; the server-only variable leaves the client alone.
func TestExcludedClientEndToEnd(t *testing.T) {
	for _, c := range []struct {
		env      string
		excluded bool
	}{{"OTEL_PYTHON_REQUESTS_EXCLUDED_URLS", true}, {"OTEL_GO_EXCLUDED_URLS", true}, {"OTEL_PYTHON_EXCLUDED_URLS", true},
		{"OTEL_PYTHON_FLASK_EXCLUDED_URLS", false}} {
		t.Run(c.env, func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			setEnv(t, r, c.env, "/skip")
			d := newRecorder(t)
			b := startBoot(t, r)
			ctx, parent := otel.Tracer("app").Start(context.Background(), "parent")
			call(t, ctx, d, "/skip")
			parent.End()
			b.flush(t)
			want := []string{"HTTP GET", "parent"}
			if c.excluded {
				want = []string{"parent"}
			}
			if got := spanNames(r.Spans()); !slices.Equal(got, want) {
				t.Fatalf("spans %v, want %v", got, want)
			}
			tp := d.headers()[0].Get("traceparent")
			sc := parent.SpanContext()
			if c.excluded && tp != "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01" {
				t.Errorf("excluded call's traceparent %q, want the caller's span %s", tp, sc.SpanID())
			}
			n := counts(r, "http.client.request.duration", "")[""]
			if (n == 0) != c.excluded {
				t.Errorf("http.client.request.duration has %d points (excluded %v)", n, c.excluded)
			}
		})
	}
}

// TestExcludedOptionAndBadValue: WithFilter wins over the variable (it
// traces /healthz), and an entry that does not compile gives one warning in
// otelboot's diagnostics naming the variable and the entry, the rest of
// the list still excluding.
func TestExcludedOptionAndBadValue(t *testing.T) {
	r := otlptest.NewHTTPReceiver(t)
	setEnv(t, r, "OTEL_GO_EXCLUDED_URLS", "/e2e-bad(,/healthz")
	b := startBoot(t, r) // built after Start: the warning goes to its diagnostics
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	envMux := httpx.NewServeMux()
	envMux.Handle("GET /healthz", ok)
	optMux := httpx.NewServeMux(httpx.WithFilter(func(*http.Request) bool { return true }), httpx.WithEndpointName(func(string) string { return "opt" }))
	optMux.Handle("GET /healthz", ok)
	serve(envMux, "/healthz")
	serve(optMux, "/healthz")
	b.flush(t)
	spans := r.Spans()
	if len(spans) != 1 {
		t.Fatalf("spans %v, want one: the option's /healthz", spanNames(spans))
	}
	if ep, _ := otlptest.Attr(spans[0].GetAttributes(), "flask.endpoint"); ep != "opt" {
		t.Errorf("the traced /healthz has endpoint %q, want the option's mux", ep)
	}
	if n := countLinesAll(b.diag.String(), "OTEL_GO_EXCLUDED_URLS", "/e2e-bad("); n != 1 {
		t.Errorf("%d warnings naming OTEL_GO_EXCLUDED_URLS and /e2e-bad(, want 1:\n%s", n, b.diag.String())
	}
}

func countLinesAll(s string, subs ...string) int {
	n := 0
	for line := range strings.Lines(s) {
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(line, sub)
		}
		if all {
			n++
		}
	}
	return n
}

// TestCapturedHeadersEndToEnd: the Python spellings, then the Java agent's,
// capture the headers they name (names and expressions, case-insensitive)
// on server and client as string-array attributes; Authorization and
// names saying token are [REDACTED] even when captured by an expression,
// and the sanitize list redacts what it names; a header not named is not
// recorded.
func TestCapturedHeadersEndToEnd(t *testing.T) {
	const (
		serverReq = "X-Request-Id, authorization, x-custom-.*"
		serverRes = "x-served-by"
		clientReq = "x-client-req"
		clientRes = "X-Up.*"
	)
	for _, c := range []struct {
		name string
		env  []string
	}{
		{"python", []string{
			"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", serverReq,
			"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE", serverRes,
			"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST", clientReq,
			"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE", clientRes,
		}},
		{"java", []string{
			"OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS", serverReq,
			"OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS", serverRes,
			"OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS", clientReq,
			"OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS", clientRes,
		}},
		{"python wins over java", []string{
			"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", serverReq,
			"OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS", "x-other",
			"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE", serverRes,
			"OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS", "x-other",
			"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST", clientReq,
			"OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS", "x-other",
			"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE", clientRes,
			"OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS", "x-other",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			setEnv(t, r, append([]string{"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS", "x-custom-b"}, c.env...)...)
			b := startBoot(t, r)
			d := newRecorder(t)
			mux := httpx.NewServeMux()
			mux.HandleFunc("GET /h", func(w http.ResponseWriter, req *http.Request) {
				w.Header().Set("X-Served-By", "w1")
				w.Header().Set("X-Other", "no")
				call(t, req.Context(), d, "/down")
			})
			serve(mux, "/h", "X-Request-Id", "rid-7", "Authorization", "Bearer s3cr3t-e2e",
				"X-Custom-A", "a1", "X-Custom-B", "b-secret-1", "X-Custom-B", "b-secret-2",
				"X-Custom-Api-Token", "t0k3n-e2e", "X-Other", "no")
			b.flush(t)
			spans := r.Spans()
			checkHeaderAttrs(t, spanNamed(t, spans, "GET /h").GetAttributes(), "http.request.header.", map[string][]string{
				"x-request-id":       {"rid-7"},
				"authorization":      {"[REDACTED]"},
				"x-custom-a":         {"a1"},
				"x-custom-b":         {"[REDACTED]", "[REDACTED]"},
				"x-custom-api-token": {"[REDACTED]"},
			})
			checkHeaderAttrs(t, spanNamed(t, spans, "GET /h").GetAttributes(), "http.response.header.", map[string][]string{
				"x-served-by": {"w1"},
			})
			client := spanNamed(t, spans, "HTTP GET").GetAttributes()
			checkHeaderAttrs(t, client, "http.request.header.", map[string][]string{"x-client-req": {"c-1"}})
			checkHeaderAttrs(t, client, "http.response.header.", map[string][]string{"x-up": {"up-1"}, "x-up-token": {"[REDACTED]"}})
			for _, s := range spans {
				for _, kv := range s.GetAttributes() {
					for _, secret := range []string{"s3cr3t-e2e", "b-secret", "t0k3n-e2e", "tok-9"} {
						if strings.Contains(kv.GetValue().String(), secret) {
							t.Errorf("span %s: %s carries %s", s.GetName(), kv.GetKey(), secret)
						}
					}
				}
			}
		})
	}
}

// checkHeaderAttrs asserts that the attributes under prefix are exactly want.
func checkHeaderAttrs(t *testing.T, attrs []*commonpb.KeyValue, prefix string, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for _, kv := range attrs {
		if name, ok := strings.CutPrefix(kv.GetKey(), prefix); ok {
			got[name], _ = strs(attrs, kv.GetKey())
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s* = %v, want %v", prefix, got, want)
		return
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("%s%s = %q, want %q", prefix, k, got[k], v)
		}
	}
}

// TestCapturedHeadersOptionAndBadValue: WithCapturedRequestHeaders wins
// over the variable, and an expression that does not compile gives one
// warning naming the variable and the expression, the rest still captured.
func TestCapturedHeadersOptionAndBadValue(t *testing.T) {
	r := otlptest.NewHTTPReceiver(t)
	setEnv(t, r, "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", "x-e2e-(,x-request-id",
		"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS", "[e2e-bad")
	b := startBoot(t, r)
	env := httpx.NewHandler(http.NotFoundHandler())
	opt := httpx.NewHandler(http.NotFoundHandler(), httpx.WithCapturedRequestHeaders("x-other"))
	serve(env, "/env", "X-Request-Id", "rid-1", "X-Other", "o-1")
	serve(opt, "/opt", "X-Request-Id", "rid-2", "X-Other", "o-2")
	b.flush(t)
	spans := r.Spans()
	if len(spans) != 2 {
		t.Fatalf("spans %v, want 2", spanNames(spans))
	}
	for _, s := range spans {
		url, _ := otlptest.Attr(s.GetAttributes(), "http.url")
		want := map[string][]string{"x-request-id": {"rid-1"}}
		if strings.HasSuffix(url, "/opt") {
			want = map[string][]string{"x-other": {"o-2"}}
		}
		checkHeaderAttrs(t, s.GetAttributes(), "http.request.header.", want)
	}
	out := b.diag.String()
	for _, w := range [][2]string{
		{"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", "x-e2e-("},
		{"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS", "[e2e-bad"},
	} {
		if n := countLinesAll(out, w[0], w[1]); n != 1 {
			t.Errorf("%d warnings naming %s and %s, want 1:\n%s", n, w[0], w[1], out)
		}
	}
}

// TestDisabledInstrumentationsEndToEnd: a server handler calling a client
// and a database, with each list switching wrappers off: the switched-off
// ones export no span and no metric point, the others theirs.
func TestDisabledInstrumentationsEndToEnd(t *testing.T) {
	const server, client, db = "GET /w", "HTTP GET", "h7capture.query"
	for _, c := range []struct {
		env  []string
		want []string
	}{
		{nil, []string{server, client, db}},
		{[]string{"OTEL_GO_DISABLED_INSTRUMENTATIONS", "nethttp"}, []string{db}},
		{[]string{"OTEL_GO_DISABLED_INSTRUMENTATIONS", "nethttp/client,databasesql"}, []string{server}},
		{[]string{"OTEL_GO_ENABLED_INSTRUMENTATIONS", "nethttp/server"}, []string{server}},
		{[]string{"OTEL_GO_ENABLED_INSTRUMENTATIONS", "databasesql,nethttp/client"}, []string{client, db}},
		{[]string{"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "flask"}, []string{client, db}},
		{[]string{"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "requests,mysql"}, []string{server}},
	} {
		t.Run(strings.Join(c.env, "="), func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			setEnv(t, r, c.env...)
			b := startBoot(t, r)
			d := newRecorder(t)
			cd := &captureDriver{}
			sdb := sqlx.OpenDB(captureConnector{cd}, sqlx.WithSystem("h7capture"))
			defer sdb.Close()
			mux := httpx.NewServeMux()
			mux.HandleFunc("GET /w", func(w http.ResponseWriter, req *http.Request) {
				call(t, req.Context(), d, "/down")
				if _, err := sdb.ExecContext(req.Context(), "UPDATE t SET a = 1"); err != nil {
					t.Error(err)
				}
			})
			serve(mux, "/w")
			b.flush(t)
			want := slices.Sorted(slices.Values(c.want))
			if got := spanNames(r.Spans()); !slices.Equal(got, want) {
				t.Errorf("spans %v, want %v", got, want)
			}
			for _, m := range []struct {
				name string
				on   bool
			}{
				{"http.server.request.duration", slices.Contains(c.want, server)},
				{"http.client.request.duration", slices.Contains(c.want, client)},
			} {
				if n := counts(r, m.name, "")[""]; (n > 0) != m.on {
					t.Errorf("%s: %d points, want some = %v", m.name, n, m.on)
				}
			}
			if len(cd.take()) != 1 {
				t.Error("the statement did not reach the driver")
			}
		})
	}
}

// TestSQLCommenterEndToEnd: OTEL_GO_SQLCOMMENTER=true appends the comment,
// whose traceparent is the trace and the caller span of the exported
// database span; db.statement carries it only with InAttributes;
// WithSQLCommenter(false) wins over the variable, WithSQLCommenter(true)
// over its absence; a bad value warns once, naming the variable and value,
// and leaves the commenter off.
func TestSQLCommenterEndToEnd(t *testing.T) {
	commentRE := regexp.MustCompile(`/\*.*traceparent='00-([0-9a-f]{32})-([0-9a-f]{16})-01'.*\*/$`)
	for _, c := range []struct {
		name    string
		env     string
		opts    []sqlx.Option
		comment bool
		inAttr  bool
		warn    bool
	}{
		{name: "unset"},
		{name: "true", env: "true", comment: true},
		{name: "TRUE in attributes", env: " TRUE ", opts: []sqlx.Option{sqlx.WithSQLCommenterOptions(sqlx.SQLCommenterOptions{InAttributes: true})}, comment: true, inAttr: true},
		{name: "option off wins", env: "true", opts: []sqlx.Option{sqlx.WithSQLCommenter(false)}},
		{name: "option on wins", env: "false", opts: []sqlx.Option{sqlx.WithSQLCommenter(true)}, comment: true},
		{name: "bad value", env: "e2e-yes", warn: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t)
			setEnv(t, r, "OTEL_GO_SQLCOMMENTER", c.env)
			b := startBoot(t, r)
			cd := &captureDriver{}
			sdb := sqlx.OpenDB(captureConnector{cd}, append([]sqlx.Option{sqlx.WithSystem("h7capture")}, c.opts...)...)
			defer sdb.Close()
			ctx, parent := otel.Tracer("app").Start(context.Background(), "parent")
			if _, err := sdb.ExecContext(ctx, "UPDATE t SET a = 1"); err != nil {
				t.Fatal(err)
			}
			parent.End()
			b.flush(t)
			sent := cd.take()
			if len(sent) != 1 {
				t.Fatalf("driver got %q", sent)
			}
			span := spanNamed(t, r.Spans(), "h7capture.query")
			stmt, _ := otlptest.Attr(span.GetAttributes(), "db.statement")
			m := commentRE.FindStringSubmatch(sent[0])
			if (m != nil) != c.comment {
				t.Fatalf("driver got %q, comment wanted = %v", sent[0], c.comment)
			}
			if c.comment {
				// The comment names the statement's own span, so that a
				// database-side tool joins the statement to that span.
				if m[1] != e2eHex(span.GetTraceId()) || m[2] != e2eHex(span.GetSpanId()) {
					t.Errorf("comment traceparent %s-%s, want the exported span's trace %s and span %s",
						m[1], m[2], e2eHex(span.GetTraceId()), e2eHex(span.GetSpanId()))
				}
			}
			if wantStmt := map[bool]string{true: sent[0], false: "UPDATE t SET a = 1"}[c.inAttr]; stmt != wantStmt {
				t.Errorf("db.statement = %q, want %q", stmt, wantStmt)
			}
			n := countLinesAll(b.diag.String(), "OTEL_GO_SQLCOMMENTER", c.env)
			if c.warn && n != 1 || !c.warn && strings.Contains(b.diag.String(), "OTEL_GO_SQLCOMMENTER") {
				t.Errorf("warnings naming OTEL_GO_SQLCOMMENTER=%q: %d, want one = %v:\n%s", c.env, n, c.warn, b.diag.String())
			}
		})
	}
}

func e2eHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// captureDriver records the statements it is sent.
type captureDriver struct {
	mu   sync.Mutex
	sent []string
}

type captureConn struct{ d *captureDriver }

func (d *captureDriver) Open(string) (driver.Conn, error) { return captureConn{d}, nil }
func (d *captureDriver) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.sent
	d.sent = nil
	return s
}
func (c captureConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("no prepare") }
func (c captureConn) Close() error                        { return nil }
func (c captureConn) Begin() (driver.Tx, error)           { return nil, errors.New("no tx") }
func (c captureConn) ExecContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Result, error) {
	c.d.mu.Lock()
	c.d.sent = append(c.d.sent, q)
	c.d.mu.Unlock()
	return driver.RowsAffected(1), nil
}

type captureConnector struct{ d *captureDriver }

func (c captureConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open("") }
func (c captureConnector) Driver() driver.Driver                        { return c.d }
