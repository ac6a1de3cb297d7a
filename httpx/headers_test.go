package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// headerRequest is a request with ordinary and sensitive headers.
func headerRequest(target string) *http.Request {
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header["X-Multi"] = []string{"a", "b"}
	r.Header.Set("Authorization", "Bearer SECRET1")
	r.Header.Set("Proxy-Authorization", "Basic SECRET2")
	r.Header.Set("Cookie", "sid=SECRET3")
	r.Header.Set("X-Api-Key", "SECRET4")
	r.Header.Set("X-Auth-Token", "SECRET5")
	r.Header.Set("X-Client-Secret", "SECRET6")
	r.Header.Set("X-Password", "SECRET7")
	r.Header.Set("X-Session-Info", "SECRET8") // redacted by the sanitize list
	r.Header.Set("Referer", "https://u:SECRET9@h/p?token=SECRET10&page=2")
	r.Header.Set("X-Bad-Utf8", "a\xffb")
	return r
}

// wantRequestHeaders are the attributes that headerRequest gives with ".*"
// and sanitize list "x-session-.*" (Host and traceparent aside).
var wantRequestHeaders = map[string][]string{
	"http.request.header.content-type":        {"application/json"},
	"http.request.header.x-multi":             {"a", "b"},
	"http.request.header.authorization":       {redacted},
	"http.request.header.proxy-authorization": {redacted},
	"http.request.header.cookie":              {redacted},
	"http.request.header.x-api-key":           {redacted},
	"http.request.header.x-auth-token":        {redacted},
	"http.request.header.x-client-secret":     {redacted},
	"http.request.header.x-password":          {redacted},
	"http.request.header.x-session-info":      {redacted},
	"http.request.header.x-bad-utf8":          {"a\uFFFDb"},
}

func headerAttrs(s tracetest.SpanStub) map[string][]string {
	m := map[string][]string{}
	for _, kv := range s.Attributes {
		k := string(kv.Key)
		if strings.HasPrefix(k, "http.request.header.") || strings.HasPrefix(k, "http.response.header.") {
			m[k] = kv.Value.AsStringSlice()
		}
	}
	return m
}

func checkHeaderAttrs(t *testing.T, got map[string][]string, want map[string][]string) {
	t.Helper()
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for k, v := range got {
		for _, s := range v {
			if strings.Contains(s, "SECRET") {
				t.Errorf("%s leaks a secret: %q", k, s)
			}
		}
	}
}

func checkReferer(t *testing.T, got map[string][]string) {
	t.Helper()
	ref := got["http.request.header.referer"]
	if len(ref) != 1 || !strings.Contains(ref[0], "page=2") || strings.Contains(ref[0], "SECRET") {
		t.Errorf("referer = %q, want redacted URL keeping page=2", ref)
	}
}

func serveHeaders(t *testing.T, opts ...Option) map[string][]string {
	t.Helper()
	f := newExclFixture(t)
	h := NewHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Set-Cookie", "sid=SECRET11")
		w.Header().Set("X-Refresh-Token", "SECRET12")
		w.Header().Set("X-Session-Info", "SECRET13")
		w.Header().Set("X-Request-Id", "r1")
		_, _ = w.Write([]byte("ok"))
	}), f.opts(opts...)...)
	h.ServeHTTP(httptest.NewRecorder(), headerRequest("/p"))
	spans := f.exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans", len(spans))
	}
	return headerAttrs(spans[0])
}

var wantResponseHeaders = map[string][]string{
	"http.response.header.content-type":    {"text/plain"},
	"http.response.header.set-cookie":      {redacted},
	"http.response.header.x-refresh-token": {redacted},
	"http.response.header.x-session-info":  {redacted},
	"http.response.header.x-request-id":    {"r1"},
}

// TestServerCaptureHeadersEnv: both spellings of the server variables, with
// ".*", capture every header; the fixed sensitive names, the
// sensitive-word rule and the sanitize list redact their values.
func TestServerCaptureHeadersEnv(t *testing.T) {
	for _, vars := range [][2]string{
		{envCaptureServerRequest, envCaptureServerResponse},
		{envJavaServerRequest, envJavaServerResponse},
	} {
		t.Run(vars[0], func(t *testing.T) {
			t.Setenv(vars[0], ".*")
			t.Setenv(vars[1], ".*")
			t.Setenv(envSanitizeFields, "x-session-.*")
			got := serveHeaders(t)
			checkHeaderAttrs(t, got, wantRequestHeaders)
			checkHeaderAttrs(t, got, wantResponseHeaders)
			checkReferer(t, got)
		})
	}
}

// TestServerCaptureHeadersSelect: a list of names and regular expressions
// matches header names in full and case-insensitively; the Python spelling
// wins over the Java one; the option wins over both; an empty option
// captures nothing.
func TestServerCaptureHeadersSelect(t *testing.T) {
	t.Setenv(envCaptureServerRequest, "CONTENT-type, x-m.*")
	t.Setenv(envJavaServerRequest, "authorization")
	t.Setenv(envCaptureServerResponse, "x-request")
	got := serveHeaders(t)
	want := map[string][]string{
		"http.request.header.content-type": {"application/json"},
		"http.request.header.x-multi":      {"a", "b"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("env: got %v, want %v", got, want)
	}

	got = serveHeaders(t, WithCapturedRequestHeaders("x-api-key"), WithCapturedResponseHeaders("X-Request-Id"))
	want = map[string][]string{
		"http.request.header.x-api-key":     {redacted},
		"http.response.header.x-request-id": {"r1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("option: got %v, want %v", got, want)
	}

	got = serveHeaders(t, WithCapturedRequestHeaders(), WithCapturedResponseHeaders())
	if len(got) != 0 {
		t.Errorf("empty option: got %v", got)
	}
}

// TestClientCaptureHeaders: the client variables (both spellings) and the
// options, with the same redaction; the server variables do not apply.
func TestClientCaptureHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Set-Cookie", "sid=SECRET11")
		w.Header().Set("X-Refresh-Token", "SECRET12")
		w.Header().Set("X-Session-Info", "SECRET13")
		w.Header().Set("X-Request-Id", "r1")
	}))
	defer srv.Close()
	run := func(t *testing.T, opts ...Option) map[string][]string {
		t.Helper()
		f := newExclFixture(t)
		c := &http.Client{Transport: NewTransport(nil, f.opts(opts...)...)}
		req := headerRequest(srv.URL + "/p")
		req.RequestURI = ""
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		spans := f.exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("got %d spans", len(spans))
		}
		return headerAttrs(spans[0])
	}
	wantRes := map[string][]string{
		"http.response.header.set-cookie":      {redacted},
		"http.response.header.x-refresh-token": {redacted},
		"http.response.header.x-session-info":  {redacted},
		"http.response.header.x-request-id":    {"r1"},
	}
	for _, vars := range [][2]string{
		{envCaptureClientRequest, envCaptureClientResponse},
		{envJavaClientRequest, envJavaClientResponse},
	} {
		t.Run(vars[0], func(t *testing.T) {
			t.Setenv(vars[0], ".*")
			t.Setenv(vars[1], ".*")
			t.Setenv(envSanitizeFields, "x-session-.*")
			got := run(t)
			checkHeaderAttrs(t, got, wantRequestHeaders)
			checkHeaderAttrs(t, got, wantRes)
			checkReferer(t, got)
			if tp := got["http.request.header.traceparent"]; len(tp) != 1 {
				t.Errorf("injected traceparent not captured: %v", tp)
			}
		})
	}
	t.Run("server variables", func(t *testing.T) {
		t.Setenv(envCaptureServerRequest, ".*")
		t.Setenv(envCaptureServerResponse, ".*")
		if got := run(t); len(got) != 0 {
			t.Errorf("server variables captured client headers: %v", got)
		}
	})
	t.Run("option", func(t *testing.T) {
		t.Setenv(envCaptureClientRequest, ".*")
		got := run(t, WithCapturedRequestHeaders("x-multi"), WithCapturedResponseHeaders("set-cookie"))
		want := map[string][]string{
			"http.request.header.x-multi":     {"a", "b"},
			"http.response.header.set-cookie": {redacted},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

// TestCaptureHeadersUnsampledFree: with every header captured, an unsampled
// request allocates no more than without capture.
func TestCaptureHeadersUnsampledFree(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	allocs := func(opts ...Option) float64 {
		opts = append(opts, WithTracerProvider(tp), WithPropagators(propagation.TraceContext{}))
		h := NewHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Request-Id", "r1")
		}), opts...)
		req := headerRequest("/p")
		w := &discardWriter{h: http.Header{}}
		return testing.AllocsPerRun(200, func() { h.ServeHTTP(w, req) })
	}
	without := allocs()
	with := allocs(WithCapturedRequestHeaders(".*"), WithCapturedResponseHeaders(".*"))
	if with > without {
		t.Errorf("unsampled request with capture: %v allocs, without: %v", with, without)
	}
	_ = tp.Shutdown(context.Background())
}

// TestSensitiveHeaderRule states the redaction rule at its edges.
func TestSensitiveHeaderRule(t *testing.T) {
	h := &headerCapture{sanitize: compileList("t", "x-internal-.*,my-header", "(?i:^(?:%s)$)")}
	for name, want := range map[string]bool{
		"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
		"x-api-key": true, "api_key": true, "x-auth-token": true, "x-secret": true, "password": true,
		"x-internal-anything": true, "my-header": true, "my-header-2": false, "x-internal": false,
		"content-type": false, "accept": false, "x-request-id": false, "user-agent": false,
	} {
		if got := h.sensitiveHeader(name); got != want {
			t.Errorf("sensitiveHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzCaptureHeaders plants a marker in the value of a header whose name
// is sensitive (by the fixed list, the sensitive-word rule or the sanitize
// list) and captures every header: the marker never reaches an attribute,
// and every attribute is valid UTF-8.
func FuzzCaptureHeaders(f *testing.F) {
	f.Add("X-Api-Key", "v", "Content-Type", "text/plain")
	f.Add("Authorization", "Bearer x", "X-Custom", "a\xffb")
	f.Add("X-Internal-Thing", "x", "Referer", "https://h/?a=1")
	f.Add("Cookie", "a=b", "x-session", "s")
	const marker = "PLANTEDMARKER"
	sanitize := compileList("t", "x-internal-.*", "(?i:^(?:%s)$)")
	c := &headerCapture{match: compileList("t", ".*", "(?i:^(?:%s)$)"), sanitize: sanitize, prefix: "http.request.header."}
	f.Fuzz(func(t *testing.T, name, value, other, otherValue string) {
		if strings.Contains(strings.ToUpper(other+otherValue), marker) {
			return // the other header is not secret: the marker may show
		}
		lower := strings.ToLower(name)
		if !c.sensitiveHeader(lower) {
			// Make the name sensitive by one of the rules.
			switch len(name) % 3 {
			case 0:
				name = "X-Internal-" + name
			case 1:
				name = name + "-Token"
			default:
				name = "Authorization"
			}
		}
		hdr := http.Header{}
		hdr[name] = []string{value + marker + value}
		hdr[other] = append(hdr[other], otherValue)
		for _, kv := range c.attrs(nil, hdr) {
			for _, s := range kv.Value.AsStringSlice() {
				if strings.Contains(s, marker) {
					t.Fatalf("%s = %q leaks the marker", kv.Key, s)
				}
				if !validUTF8(s) || !validUTF8(string(kv.Key)) {
					t.Fatalf("%s = %q is not valid UTF-8", kv.Key, s)
				}
			}
			if kv.Value.Type() != attribute.STRINGSLICE {
				t.Fatalf("%s has type %v", kv.Key, kv.Value.Type())
			}
		}
	})
}

func validUTF8(s string) bool { return utf8.ValidString(s) }

// TestCapturedHeadersOutgrowHeldBuffer: with more captured headers than the
// pooled buffer of held keys holds, every key still reaches the span, on
// the server and on the client, request after request.
func TestCapturedHeadersOutgrowHeldBuffer(t *testing.T) {
	const n = 2 * pendingLen
	var names []string
	for i := 0; i < n; i++ {
		names = append(names, "X-H"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	set := func(h http.Header) {
		for _, k := range names {
			h.Set(k, "v-"+k)
		}
	}
	check := func(t *testing.T, s tracetest.SpanStub, prefix string) {
		t.Helper()
		got := headerAttrs(s)
		for _, k := range names {
			if v := got[prefix+strings.ToLower(k)]; len(v) != 1 || v[0] != "v-"+k {
				t.Fatalf("%s%s = %q", prefix, strings.ToLower(k), v)
			}
		}
		if _, ok := attrMap(s.Attributes)["http.method"]; !ok {
			t.Fatal("no http.method")
		}
	}
	for round := 0; round < 3; round++ {
		f := newFixture(t, sdktrace.AlwaysSample())
		h := NewHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { set(w.Header()) }),
			f.opts(WithCapturedRequestHeaders(names...), WithCapturedResponseHeaders(names...))...)
		r := httptest.NewRequest("GET", "/x", nil)
		set(r.Header)
		h.ServeHTTP(httptest.NewRecorder(), r)
		s := f.only(t)
		check(t, s, "http.request.header.")
		check(t, s, "http.response.header.")

		f = newFixture(t, sdktrace.AlwaysSample())
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { set(w.Header()) }))
		c := &http.Client{Transport: NewTransport(nil, f.opts(WithCapturedRequestHeaders(names...), WithCapturedResponseHeaders(names...))...)}
		req, _ := http.NewRequest("GET", srv.URL, nil)
		set(req.Header)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		srv.Close()
		s = f.only(t)
		check(t, s, "http.request.header.")
		check(t, s, "http.response.header.")
	}
}
