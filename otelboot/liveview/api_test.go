package liveview

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// serve runs N requests of which every k-th fails, each a server span with
// a mysql.query and a redis.command child and one log record, through SDK
// providers that have only the view's processors.
func serve(t testing.TB, v *View, n, k int, at time.Time) (failed int, slowest trace.TraceID) {
	t.Helper()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(v.SpanProcessor()),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "hyunwoo"))),
	)
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(v.LogProcessor()))
	tr := tp.Tracer("test")
	lg := lp.Logger("test")
	var slowestD time.Duration
	for i := 0; i < n; i++ {
		start := at.Add(time.Duration(i) * 10 * time.Millisecond)
		d := 20*time.Millisecond + time.Duration(i)*time.Microsecond
		ctx, srv := tr.Start(context.Background(), "GET /items", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start))
		_, db := tr.Start(ctx, "mysql.query", trace.WithTimestamp(start.Add(time.Millisecond)))
		db.SetAttributes(attribute.String("db.system", "mysql"), attribute.String("db.statement", "SELECT * FROM items"))
		db.End(trace.WithTimestamp(start.Add(time.Millisecond + 16800*time.Microsecond)))
		_, rd := tr.Start(ctx, "redis.command", trace.WithTimestamp(start.Add(18*time.Millisecond)))
		rd.End(trace.WithTimestamp(start.Add(18*time.Millisecond + 1050*time.Microsecond)))
		var rec otellog.Record
		rec.SetBody(attribute.StringValue("handled"))
		rec.SetSeverity(otellog.SeverityInfo)
		if i%k == 0 {
			failed++
			srv.RecordError(errors.New("db connection refused"))
			srv.SetStatus(codes.Error, "db connection refused")
			rec.SetSeverity(otellog.SeverityError)
		}
		lg.Emit(ctx, rec)
		srv.End(trace.WithTimestamp(start.Add(d)))
		if d > slowestD {
			slowestD, slowest = d, srv.SpanContext().TraceID()
		}
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return failed, slowest
}

func getJSON(t *testing.T, h http.Handler, path string, out any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, localRequest(http.MethodGet, path))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func TestAPIAgreesWithRequests(t *testing.T) {
	const n, k = 120, 9
	now := time.Now().Truncate(time.Second)
	v := New(Config{})
	v.now = func() time.Time { return now.Add(5 * time.Second) }
	e, slowest := serve(t, v, n, k, now.Add(-2*time.Minute))
	h := v.Handler()

	var rates ratesResponse
	getJSON(t, h, "/api/rates?window=300&step=5", &rates)
	if rates.WindowSpans != 3*n || rates.WindowErrors != uint64(e) || rates.TotalSpans != 3*n || rates.TotalErrors != uint64(e) {
		t.Errorf("rates: window %d/%d total %d/%d, want %d spans %d errors", rates.WindowSpans, rates.WindowErrors, rates.TotalSpans, rates.TotalErrors, 3*n, e)
	}
	if len(rates.SpanRate) != 60 || rates.Service != "hyunwoo" {
		t.Errorf("rates: %d columns, service %q", len(rates.SpanRate), rates.Service)
	}
	var sumRate float64
	for i, r := range rates.SpanRate {
		sumRate += r * float64(rates.Step)
		if r != float64(rates.Spans[i])/5 {
			t.Fatalf("rate %v for %d spans in 5 s", r, rates.Spans[i])
		}
	}
	if int(sumRate+0.5) != 3*n {
		t.Errorf("rates integrate to %v spans, want %d", sumRate, 3*n)
	}

	var hm heatmapResponse
	getJSON(t, h, "/api/heatmap?window=300&step=5", &hm)
	var perBucket [numBuckets]uint64
	for _, c := range hm.Columns {
		for i, x := range c {
			perBucket[i] += x
		}
	}
	if hm.Total != 3*n {
		t.Errorf("heatmap total %d, want %d", hm.Total, 3*n)
	}
	var wantBuckets [numBuckets]uint64
	for _, d := range []time.Duration{1050 * time.Microsecond, 16800 * time.Microsecond, 20 * time.Millisecond} {
		wantBuckets[bucketOf(d)] += n
	}
	if perBucket != wantBuckets {
		t.Errorf("heatmap buckets %v, want %v", perBucket, wantBuckets)
	}
	if len(hm.Bands) != 5 || hm.Labels[hm.Bands[0]] != "262µs" || hm.Labels[hm.Bands[4]] != "268ms" {
		t.Errorf("bands %v labels %v", hm.Bands, hm.Labels)
	}

	var spans spansResponse
	getJSON(t, h, "/api/spans", &spans)
	want := map[string][2]uint64{"GET /items": {n, uint64(e)}, "mysql.query": {n, 0}, "redis.command": {n, 0}}
	if len(spans.Spans) != len(want) {
		t.Fatalf("spans table %+v", spans.Spans)
	}
	for _, s := range spans.Spans {
		if w := want[s.Name]; s.Count != w[0] || s.Errors != w[1] {
			t.Errorf("%s: count %d errors %d, want %v", s.Name, s.Count, s.Errors, w)
		}
		if s.Name == "mysql.query" && (s.P50MS != 16.8 || s.P99MS != 16.8) {
			t.Errorf("mysql.query p50 %v p99 %v, want 16.8", s.P50MS, s.P99MS)
		}
		if s.Name == "GET /items" && (s.Kind != "server" || !(s.P50MS < s.P95MS && s.P95MS <= s.P99MS)) {
			t.Errorf("GET /items: %+v", s)
		}
	}

	var traces tracesResponse
	getJSON(t, h, "/api/traces?limit=1000", &traces)
	if traces.Matched != n || traces.Kept != n {
		t.Errorf("traces: matched %d kept %d, want %d", traces.Matched, traces.Kept, n)
	}
	getJSON(t, h, "/api/traces?status=error&limit=1000", &traces)
	if traces.Matched != e {
		t.Errorf("error traces: %d, want %d", traces.Matched, e)
	}
	for _, tr := range traces.Traces {
		if tr.Status != "error" || tr.Errors != 1 || tr.Spans != 3 || tr.Name != "GET /items" || tr.Kept != "error" {
			t.Fatalf("error trace %+v", tr)
		}
	}
	getJSON(t, h, "/api/traces?status=ok&limit=1000", &traces)
	if traces.Matched != n-e {
		t.Errorf("ok traces: %d, want %d", traces.Matched, n-e)
	}
	getJSON(t, h, "/api/traces?min_ms=20.1&limit=1000", &traces)
	if traces.Matched != n-100 { // durations are 20 ms + i µs
		t.Errorf("traces of at least 20.1 ms: %d, want %d", traces.Matched, n-100)
	}
	getJSON(t, h, "/api/traces?name=REDIS&sort=duration&limit=1", &traces)
	if len(traces.Traces) != 1 || traces.Traces[0].TraceID != slowest.String() {
		t.Fatalf("slowest trace %+v, want %s", traces.Traces, slowest)
	}
	getJSON(t, h, "/api/traces?name=kafka", &traces)
	if traces.Matched != 0 {
		t.Errorf("name=kafka matched %d", traces.Matched)
	}

	var detail traceDetail
	getJSON(t, h, "/api/traces/"+slowest.String(), &detail)
	if len(detail.Spans) != 3 || detail.Spans[0].Name != "GET /items" || detail.Spans[0].Kind != "server" ||
		detail.Spans[1].Name != "mysql.query" || detail.Spans[2].Name != "redis.command" ||
		detail.Spans[1].Depth != 1 || detail.Spans[1].ParentID != detail.Spans[0].SpanID {
		t.Fatalf("waterfall %+v", detail.Spans)
	}
	if db := detail.Spans[1]; db.OffsetMS != 1 || db.DurationMS != 16.8 || len(db.Attributes) != 2 || db.Attributes[1].Value != "SELECT * FROM items" {
		t.Errorf("mysql span %+v", db)
	}
	if len(detail.Logs) != 1 || detail.Logs[0].Body != "handled" || detail.Logs[0].SpanID != detail.Spans[0].SpanID {
		t.Errorf("trace logs %+v", detail.Logs)
	}

	var failedDetail traceDetail
	getJSON(t, h, "/api/traces?status=error&limit=1", &traces)
	getJSON(t, h, "/api/traces/"+traces.Traces[0].TraceID, &failedDetail)
	if s := failedDetail.Spans[0]; s.Status != "error" || s.StatusMessage != "db connection refused" || len(s.Events) != 1 || s.Events[0].Name != "exception" {
		t.Errorf("failed server span %+v", s)
	}

	var logs logsResponse
	getJSON(t, h, "/api/logs?limit=10000", &logs)
	errLogs := 0
	for _, l := range logs.Logs {
		if l.Severity == int(otellog.SeverityError) {
			errLogs++
		}
		if l.TraceID == "" {
			t.Fatal("log record without trace id")
		}
	}
	if len(logs.Logs) != n || errLogs != e {
		t.Errorf("logs: %d records, %d errors; want %d and %d", len(logs.Logs), errLogs, n, e)
	}
	getJSON(t, h, "/api/logs?trace_id="+slowest.String(), &logs)
	if len(logs.Logs) != 1 || logs.Logs[0].TraceID != slowest.String() {
		t.Errorf("logs of one trace %+v", logs.Logs)
	}
}

func TestAPIErrors(t *testing.T) {
	h := New(Config{}).Handler()
	for path, code := range map[string]int{
		"/api/traces/zz": http.StatusBadRequest,
		"/api/traces/0102030405060708090a0b0c0d0e0f10": http.StatusNotFound,
		"/api/logs?trace_id=nothex":                    http.StatusBadRequest,
		"/nothing":                                     http.StatusNotFound,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, localRequest(http.MethodGet, path))
		if rec.Code != code {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, code)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, localRequest(http.MethodPost, "/api/spans"))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405 (read-only)", rec.Code)
	}
}

func TestPageIsSelfContained(t *testing.T) {
	h := New(Config{}).Handler()
	for _, path := range []string{"/", "/static/app.js", "/static/app.css"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, localRequest(http.MethodGet, path))
		body := rec.Body.String()
		if rec.Code != http.StatusOK || len(body) < 500 {
			t.Fatalf("GET %s: %d, %d bytes", path, rec.Code, len(body))
		}
		for _, bad := range []string{"http://", "https://", "//cdn"} {
			if i := indexOutsideNS(body, bad); i >= 0 {
				t.Errorf("%s refers to %q at %d: the page must not fetch from elsewhere", path, bad, i)
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); csp == "" {
			t.Errorf("%s: no Content-Security-Policy", path)
		}
	}
}

// indexOutsideNS finds s in body, ignoring the SVG namespace URI (an
// identifier, never fetched).
func indexOutsideNS(body, s string) int {
	const ns = "http://www.w3.org/2000/svg"
	for off := 0; ; {
		i := indexFrom(body, s, off)
		if i < 0 || !hasPrefixAt(body, ns, i) {
			return i
		}
		off = i + len(ns)
	}
}

func indexFrom(s, sub string, off int) int {
	for i := off; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func hasPrefixAt(s, p string, i int) bool { return len(s)-i >= len(p) && s[i:i+len(p)] == p }

func TestConcurrentSpansAndReads(t *testing.T) {
	v := New(Config{MaxTraces: 50})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(v.SpanProcessor()))
	tr := tp.Tracer("c")
	const workers, per = 4, 3000
	done := make(chan struct{})
	go func() {
		defer close(done)
		h := v.Handler()
		for i := 0; i < 20; i++ {
			for _, p := range []string{"/api/rates", "/api/heatmap", "/api/spans", "/api/traces"} {
				h.ServeHTTP(httptest.NewRecorder(), localRequest(http.MethodGet, p))
			}
		}
	}()
	errs := make(chan int, workers)
	for w := 0; w < workers; w++ {
		go func() {
			failed := 0
			for i := 0; i < per; i++ {
				_, s := tr.Start(context.Background(), "op")
				if i%7 == 0 {
					s.SetStatus(codes.Error, "x")
					failed++
				}
				s.End()
			}
			errs <- failed
		}()
	}
	e := 0
	for w := 0; w < workers; w++ {
		e += <-errs
	}
	<-done
	var rates ratesResponse
	getJSON(t, v.Handler(), "/api/rates?window=900", &rates)
	if rates.TotalSpans != workers*per || rates.TotalErrors != uint64(e) || rates.WindowSpans != workers*per {
		t.Errorf("rates %d/%d (window %d), want %d/%d", rates.TotalSpans, rates.TotalErrors, rates.WindowSpans, workers*per, e)
	}
	var traces tracesResponse
	getJSON(t, v.Handler(), "/api/traces", &traces)
	if traces.Kept != 50 || traces.Evicted != workers*per-50 {
		t.Errorf("kept %d evicted %d", traces.Kept, traces.Evicted)
	}
}

type recordOnly struct{}

func (recordOnly) ShouldSample(sdktrace.SamplingParameters) sdktrace.SamplingResult {
	return sdktrace.SamplingResult{Decision: sdktrace.RecordOnly}
}
func (recordOnly) Description() string { return "RecordOnly" }

func TestUnsampledSpansAreNotShown(t *testing.T) {
	v := New(Config{})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(recordOnly{}), sdktrace.WithSpanProcessor(v.SpanProcessor()))
	_, s := tp.Tracer("t").Start(context.Background(), "recorded, not sampled")
	if !s.IsRecording() || s.SpanContext().IsSampled() {
		t.Fatal("setup: want a recording, unsampled span")
	}
	s.End()
	var spans spansResponse
	getJSON(t, v.Handler(), "/api/spans", &spans)
	if spans.TotalSpans != 0 || len(spans.Spans) != 0 {
		t.Errorf("unsampled span shown: %+v", spans)
	}
}
