package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// The handlers of the spec's service, named as in the original so that
// flask.endpoint is derived from the function name.
func register(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"ok":true}`))
}
func login(w http.ResponseWriter, r *http.Request)          { reply(w, r, `{"token":"t"}`) }
func logout(w http.ResponseWriter, r *http.Request)         { reply(w, r, `{}`) }
func storeMessage(w http.ResponseWriter, r *http.Request)   { reply(w, r, `{"id":1}`) }
func getMessages(w http.ResponseWriter, r *http.Request)    { reply(w, r, `[{"id":1}]`) }
func searchMessages(w http.ResponseWriter, r *http.Request) { reply(w, r, `[]`) }
func getRedisLogs(w http.ResponseWriter, r *http.Request)   { reply(w, r, strings.Repeat("r", 300)) }
func getKafkaLogs(w http.ResponseWriter, r *http.Request)   { reply(w, r, strings.Repeat("k", 1024)) }
func getAllUsers(w http.ResponseWriter, r *http.Request)    { reply(w, r, `["alice"]`) }
func getUserMessages(w http.ResponseWriter, r *http.Request) {
	reply(w, r, `{"user":"`+r.PathValue("username")+`"}`)
}

func reply(w http.ResponseWriter, r *http.Request, body string) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

// endpoint is one row of the spec's table, with the request the test sends
// and what the span must hold.
type endpoint struct {
	method, pattern, path, body string
	name, route, endpoint       string
	viewArgs                    string
	status, respLen             int
	handler                     http.HandlerFunc
}

var endpoints = []endpoint{
	{"POST", "POST /register", "/register", `{"u":"alice","p":"pw"}`, "POST /register", "/register", "register", "{}", 201, 11, register},
	{"POST", "POST /login", "/login", `{"u":"alice"}`, "POST /login", "/login", "login", "{}", 200, 13, login},
	{"POST", "POST /logout", "/logout", "", "POST /logout", "/logout", "logout", "{}", 200, 2, logout},
	{"POST", "POST /db/message", "/db/message", `{"m":"hi"}`, "POST /db/message", "/db/message", "store_message", "{}", 200, 8, storeMessage},
	{"GET", "GET /db/messages", "/db/messages", "", "GET /db/messages", "/db/messages", "get_messages", "{}", 200, 10, getMessages},
	{"GET", "GET /db/messages/search", "/db/messages/search?q=hello", "", "GET /db/messages/search", "/db/messages/search", "search_messages", "{}", 200, 2, searchMessages},
	{"GET", "GET /logs/redis", "/logs/redis", "", "GET /logs/redis", "/logs/redis", "get_redis_logs", "{}", 200, 300, getRedisLogs},
	{"GET", "GET /logs/kafka", "/logs/kafka", "", "GET /logs/kafka", "/logs/kafka", "get_kafka_logs", "{}", 200, 1024, getKafkaLogs},
	{"GET", "GET /admin/users", "/admin/users", "", "GET /admin/users", "/admin/users", "get_all_users", "{}", 200, 9, getAllUsers},
	{"GET", "GET /admin/users/{username}/messages", "/admin/users/alice/messages", "", "GET /admin/users/{username}/messages", "/admin/users/{username}/messages", "get_user_messages", `{"username":"alice"}`, 200, 16, getUserMessages},
}

const userAgent = "Mozilla/5.0 (otelkit test)"

// oldServerKeys are the keys the spec adds to server spans (the Old mode).
var oldServerKeys = []attribute.Key{
	"http.method", "http.url", "http.status_code", "http.user_agent",
	"http.request_content_length", "http.response_content_length",
	"flask.route", "flask.endpoint", "flask.view_args", "flask.url_rule",
}

// stableServerKeys are keys otelhttp always emits on these requests.
var stableServerKeys = []attribute.Key{
	"http.request.method", "url.scheme", "server.address", "server.port",
	"network.peer.address", "network.peer.port", "user_agent.original",
	"client.address", "url.path", "network.protocol.version",
	"http.response.status_code",
}

// optionalStableKeys are stable keys present only for some requests.
var optionalStableKeys = []attribute.Key{"http.request.body.size", "http.response.body.size"}

type fixture struct {
	exp *tracetest.InMemoryExporter
	tp  *sdktrace.TracerProvider
	mp  *sdkmetric.MeterProvider
}

func newFixture(t testing.TB, sampler sdktrace.Sampler) *fixture {
	t.Helper()
	f := &fixture{exp: tracetest.NewInMemoryExporter()}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.exp), sdktrace.WithSampler(sampler))
	f.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	t.Cleanup(func() {
		_ = f.tp.Shutdown(context.Background())
		_ = f.mp.Shutdown(context.Background())
	})
	return f
}

func (f *fixture) opts(extra ...Option) []Option {
	return append([]Option{
		WithTracerProvider(f.tp), WithMeterProvider(f.mp),
		WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
	}, extra...)
}

// only returns the one span exported, failing otherwise.
func (f *fixture) only(t *testing.T) tracetest.SpanStub {
	t.Helper()
	spans := f.exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1: %v", len(spans), names(spans))
	}
	return spans[0]
}

func names(spans tracetest.SpanStubs) []string {
	var n []string
	for _, s := range spans {
		n = append(n, s.Name)
	}
	return n
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func specMux(opts ...Option) *ServeMux {
	mux := NewServeMux(opts...)
	for _, e := range endpoints {
		mux.HandleFunc(e.pattern, e.handler)
	}
	return mux
}

func TestServerSpecEndpoints(t *testing.T) {
	for _, mode := range []string{"", "http", "http/dup"} {
		t.Run("optin="+mode, func(t *testing.T) {
			f := newFixture(t, sdktrace.AlwaysSample())
			srv := httptest.NewServer(specMux(f.opts(WithSemconv(optIn(mode)))...))
			defer srv.Close()
			for _, e := range endpoints {
				t.Run(e.name, func(t *testing.T) {
					f.exp.Reset()
					req, err := http.NewRequest(e.method, srv.URL+e.path, strings.NewReader(e.body))
					if err != nil {
						t.Fatal(err)
					}
					if e.body == "" {
						req.Body = http.NoBody
					}
					req.Header.Set("User-Agent", userAgent)
					res, err := srv.Client().Do(req)
					if err != nil {
						t.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, res.Body)
					_ = res.Body.Close()
					if res.StatusCode != e.status {
						t.Fatalf("status %d, want %d", res.StatusCode, e.status)
					}
					checkServerSpan(t, f.only(t), e, mode, srv.URL)
				})
			}
		})
	}
}

func checkServerSpan(t *testing.T, s tracetest.SpanStub, e endpoint, mode, base string) {
	t.Helper()
	if s.Name != e.name {
		t.Errorf("name = %q, want %q", s.Name, e.name)
	}
	if s.SpanKind != trace.SpanKindServer {
		t.Errorf("kind = %v", s.SpanKind)
	}
	if s.Status.Code != codes.Unset {
		t.Errorf("status = %v, want Unset", s.Status)
	}
	if s.Parent.IsValid() {
		t.Errorf("unexpected parent %v", s.Parent.SpanID())
	}
	got := attrMap(s.Attributes)
	want := map[attribute.Key]attribute.Value{
		"http.route": attribute.StringValue(e.route),
	}
	if mode != "http" {
		want["http.method"] = attribute.StringValue(e.method)
		want["http.url"] = attribute.StringValue(base + e.path)
		want["http.status_code"] = attribute.IntValue(e.status)
		want["http.user_agent"] = attribute.StringValue(userAgent)
		want["http.request_content_length"] = attribute.Int64Value(int64(len(e.body)))
		want["http.response_content_length"] = attribute.Int64Value(int64(e.respLen))
		want["flask.route"] = attribute.StringValue(e.route)
		want["flask.endpoint"] = attribute.StringValue(e.endpoint)
		want["flask.view_args"] = attribute.StringValue(e.viewArgs)
		want["flask.url_rule"] = attribute.StringValue(e.route)
	}
	// otelhttp's stable keys are there in every mode.
	want["http.request.method"] = attribute.StringValue(e.method)
	want["http.response.status_code"] = attribute.IntValue(e.status)
	want["user_agent.original"] = attribute.StringValue(userAgent)
	want["url.path"] = attribute.StringValue(strings.Split(e.path, "?")[0])
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("missing %s (want %s)", k, v.String())
		} else if g != v {
			t.Errorf("%s = %s (%s), want %s (%s)", k, g.String(), g.Type(), v.String(), v.Type())
		}
	}
	allowed := map[attribute.Key]bool{"http.route": true}
	for _, k := range append(stableServerKeys, optionalStableKeys...) {
		allowed[k] = true
	}
	if mode != "http" {
		for _, k := range oldServerKeys {
			allowed[k] = true
		}
	}
	for k, v := range got {
		if !allowed[k] {
			t.Errorf("unexpected key %s = %s", k, v.String())
		}
	}
	for _, k := range stableServerKeys {
		if _, ok := got[k]; !ok {
			t.Errorf("missing stable key %s", k)
		}
	}
}

func TestServerUnmatchedAndPlainMux(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	plain := http.NewServeMux()
	plain.HandleFunc("GET /logs/kafka", getKafkaLogs)
	plain.Handle("GET /named", EndpointFunc("custom_name", getKafkaLogs))
	plain.HandleFunc("GET /anon/{id}", func(w http.ResponseWriter, _ *http.Request) {})
	h := NewHandler(plain, f.opts()...)

	for _, tc := range []struct {
		path, name, endpoint, viewArgs string
	}{
		{"/logs/kafka", "GET /logs/kafka", "get_kafka_logs", "{}"},
		{"/named", "GET /named", "custom_name", "{}"},
		{"/anon/7", "GET /anon/{id}", "get_anon_id", `{"id":"7"}`},
		{"/nowhere", "GET", "", ""},
	} {
		f.exp.Reset()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tc.path, nil))
		s := f.only(t)
		if s.Name != tc.name {
			t.Errorf("%s: name = %q, want %q", tc.path, s.Name, tc.name)
		}
		got := attrMap(s.Attributes)
		if tc.endpoint == "" {
			for _, k := range []attribute.Key{"http.route", "flask.route", "flask.endpoint", "flask.view_args", "flask.url_rule"} {
				if v, ok := got[k]; ok {
					t.Errorf("%s: unmatched request has %s = %s", tc.path, k, v.String())
				}
			}
			if got["http.status_code"].AsInt64() != 404 {
				t.Errorf("%s: http.status_code = %s", tc.path, got["http.status_code"].String())
			}
			continue
		}
		if g := got["flask.endpoint"].AsString(); g != tc.endpoint {
			t.Errorf("%s: flask.endpoint = %q, want %q", tc.path, g, tc.endpoint)
		}
		if g := got["flask.view_args"].AsString(); g != tc.viewArgs {
			t.Errorf("%s: flask.view_args = %q, want %q", tc.path, g, tc.viewArgs)
		}
	}
}

func TestServerWithServeMux(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /logs/kafka", getKafkaLogs)
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, r) })
	for opt, want := range map[bool]string{false: "get_logs_kafka", true: "get_kafka_logs"} {
		opts := f.opts()
		if opt {
			opts = append(opts, WithServeMux(mux))
		}
		f.exp.Reset()
		NewHandler(wrapped, opts...).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/logs/kafka", nil))
		s := f.only(t)
		if s.Name != "GET /logs/kafka" {
			t.Errorf("name = %q", s.Name)
		}
		if g := attrMap(s.Attributes)["flask.endpoint"].AsString(); g != want {
			t.Errorf("WithServeMux %v: flask.endpoint = %q, want %q", opt, g, want)
		}
	}
}

func TestServerEndpointOption(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	mux := NewServeMux(f.opts(WithEndpointName(func(p string) string {
		if p == "GET /logs/kafka" {
			return "kafka_logs_v2"
		}
		return ""
	}))...)
	mux.HandleFunc("GET /logs/kafka", getKafkaLogs)
	mux.HandleFunc("GET /logs/redis", getRedisLogs)
	for path, want := range map[string]string{"/logs/kafka": "kafka_logs_v2", "/logs/redis": "get_redis_logs"} {
		f.exp.Reset()
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		if g := attrMap(f.only(t).Attributes)["flask.endpoint"].AsString(); g != want {
			t.Errorf("%s: flask.endpoint = %q, want %q", path, g, want)
		}
	}
}

func TestServerStatus(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	mux := NewServeMux(f.opts()...)
	mux.HandleFunc("GET /unavailable", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) })
	mux.HandleFunc("GET /bad", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(400) })
	for path, want := range map[string]codes.Code{"/unavailable": codes.Error, "/bad": codes.Unset} {
		f.exp.Reset()
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		if s := f.only(t); s.Status.Code != want {
			t.Errorf("%s: status = %v, want %v", path, s.Status.Code, want)
		}
	}
}

func boom(w http.ResponseWriter, r *http.Request) {
	panic(fmt.Errorf("db down: %w", errors.ErrUnsupported))
}

func checkPanicSpan(t *testing.T, s tracetest.SpanStub) {
	t.Helper()
	if s.Name != "GET /boom" {
		t.Errorf("name = %q", s.Name)
	}
	if s.Status.Code != codes.Error {
		t.Errorf("status = %+v, want Error", s.Status)
	}
	if len(s.Events) != 1 || s.Events[0].Name != "exception" {
		t.Fatalf("events = %+v, want one exception", s.Events)
	}
	ev := attrMap(s.Events[0].Attributes)
	if g := ev["exception.type"].AsString(); g != "*fmt.wrapError" {
		t.Errorf("exception.type = %q", g)
	}
	if g := ev["exception.message"].AsString(); g != "db down: unsupported operation" {
		t.Errorf("exception.message = %q", g)
	}
	if g := ev["exception.stacktrace"].AsString(); !strings.Contains(g, "httpx.boom") {
		t.Errorf("exception.stacktrace does not show the panicking function:\n%s", g)
	}
}

func TestServerPanicRepanics(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	mux := NewServeMux(f.opts()...)
	mux.HandleFunc("GET /boom", boom)
	func() {
		defer func() {
			if v := recover(); v == nil {
				t.Error("panic was swallowed")
			}
		}()
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
	}()
	s := f.only(t)
	checkPanicSpan(t, s)
	if _, ok := attrMap(s.Attributes)["http.status_code"]; ok {
		t.Error("http.status_code set although nothing was sent")
	}
}

func TestServerPanicTo500(t *testing.T) {
	for _, sampler := range []sdktrace.Sampler{sdktrace.AlwaysSample(), sdktrace.NeverSample()} {
		f := newFixture(t, sampler)
		mux := NewServeMux(f.opts(WithPanicResponse(true))...)
		mux.HandleFunc("GET /boom", boom)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
		if rec.Code != 500 {
			t.Errorf("%s: response %d, want 500", sampler.Description(), rec.Code)
		}
		if sampler == sdktrace.NeverSample() {
			continue
		}
		s := f.only(t)
		checkPanicSpan(t, s)
		if g := attrMap(s.Attributes)["http.status_code"].AsInt64(); g != 500 {
			t.Errorf("http.status_code = %d, want 500", g)
		}
	}
}

func TestServerPropagation(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	var gotBaggage string
	mux := NewServeMux(f.opts()...)
	mux.HandleFunc("GET /logs/kafka", func(w http.ResponseWriter, r *http.Request) {
		gotBaggage = r.Header.Get("baggage")
		_, child := f.tp.Tracer("t").Start(r.Context(), "kafka.consume")
		child.End()
	})
	req := httptest.NewRequest("GET", "/logs/kafka", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	req.Header.Set("baggage", "user=alice")
	mux.ServeHTTP(httptest.NewRecorder(), req)
	spans := f.exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("spans %v", names(spans))
	}
	child, server := spans[0], spans[1]
	if server.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		server.Parent.SpanID().String() != "00f067aa0ba902b7" || !server.Parent.IsRemote() {
		t.Errorf("server span not a child of the incoming traceparent: trace %s parent %s",
			server.SpanContext.TraceID(), server.Parent.SpanID())
	}
	if child.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Error("handler's span is not a child of the server span")
	}
	if gotBaggage != "user=alice" {
		t.Errorf("baggage = %q", gotBaggage)
	}
}

func TestServerRedaction(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	mux := NewServeMux(f.opts()...)
	mux.HandleFunc("GET /p", func(http.ResponseWriter, *http.Request) {})
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://user:secret@host/p?token=abc&password=x", nil))
	s := f.only(t)
	assertNoSecret(t, s)
	if g := attrMap(s.Attributes)["http.url"].AsString(); g != "http://user:REDACTED@host/p?token=REDACTED&password=REDACTED" {
		t.Errorf("http.url = %q", g)
	}
}

// assertNoSecret fails if any attribute or event attribute of s holds a
// secret of http://user:secret@host/p?token=abc&password=x.
func assertNoSecret(t *testing.T, s tracetest.SpanStub) {
	t.Helper()
	all := append([]attribute.KeyValue{}, s.Attributes...)
	for _, e := range s.Events {
		all = append(all, e.Attributes...)
	}
	for _, kv := range all {
		v := kv.Value.String()
		if strings.Contains(v, "secret") || strings.Contains(v, "abc") || strings.Contains(v, "password=x") {
			t.Errorf("%s leaks a secret: %s", kv.Key, v)
		}
	}
}

func TestResponseWriterInterfaces(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	mux := NewServeMux(f.opts()...)
	var flusher, hijacker, readerFrom bool
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, _ *http.Request) {
		_, flusher = w.(http.Flusher)
		_, hijacker = w.(http.Hijacker)
		var rf io.ReaderFrom
		rf, readerFrom = w.(io.ReaderFrom)
		if readerFrom {
			_, _ = rf.ReadFrom(strings.NewReader("hello"))
		}
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if string(b) != "hello" {
		t.Errorf("body %q", b)
	}
	if !flusher || !hijacker || !readerFrom {
		t.Errorf("Flusher %v Hijacker %v ReaderFrom %v, want all", flusher, hijacker, readerFrom)
	}
	if g := attrMap(f.only(t).Attributes)["http.response_content_length"].AsInt64(); g != 5 {
		t.Errorf("http.response_content_length = %d, want 5", g)
	}
}

func TestEndpointNames(t *testing.T) {
	for in, want := range map[string]string{
		"main.getKafkaLogs":                         "get_kafka_logs",
		"example.com/svc.(*Server).GetKafkaLogs-fm": "get_kafka_logs",
		"example.com/svc.getHTTPLogs":               "get_http_logs",
		"main.main.func1":                           "",
		"main.routes.func2.1":                       "",
		"example.com/svc.handle[...]":               "handle",
		"main.get_kafka_logs":                       "get_kafka_logs",
	} {
		if got := funcName(in); got != want {
			t.Errorf("funcName(%q) = %q, want %q", in, got, want)
		}
	}
	type usersHandler struct{ http.Handler }
	if got := handlerName(&usersHandler{}); got != "users_handler" {
		t.Errorf("handlerName(*usersHandler) = %q", got)
	}
	for pattern, want := range map[string]string{
		"GET /admin/users/{username}/messages": "get_admin_users_username_messages",
		"/static/{path...}":                    "static_path",
		"GET /{$}":                             "get_index",
		"example.com/":                         "index",
	} {
		if got := newRouteInfo(pattern, "").oldKVs[2].Value.AsString(); got != want {
			t.Errorf("endpoint of %q = %q, want %q", pattern, got, want)
		}
	}
}

func TestViewArgsJSON(t *testing.T) {
	info := newRouteInfo("GET /a/{x}/{y...}", "")
	r := httptest.NewRequest("GET", "/a/1", nil)
	r.SetPathValue("x", "q\"\\\x01é")
	r.SetPathValue("y", "b/c\xff")
	got := info.viewArgs(r)
	var m map[string]string
	if err := json.Unmarshal([]byte(got), &m); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if m["x"] != "q\"\\\x01é" || m["y"] != "b/c\uFFFD" || len(m) != 2 {
		t.Errorf("decoded %q from %s", m, got)
	}
}

func TestServerConcurrent(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	srv := httptest.NewServer(specMux(f.opts()...))
	defer srv.Close()
	const n = 40
	errc := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			e := endpoints[i%len(endpoints)]
			req, _ := http.NewRequest(e.method, srv.URL+e.path, strings.NewReader(e.body))
			res, err := srv.Client().Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
			}
			errc <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	spans := f.exp.GetSpans()
	if len(spans) != n {
		t.Fatalf("%d spans, want %d", len(spans), n)
	}
	byName := map[string]string{}
	for _, e := range endpoints {
		byName[e.name] = e.endpoint
	}
	for _, s := range spans {
		want, ok := byName[s.Name]
		if !ok {
			t.Errorf("unexpected span name %q", s.Name)
			continue
		}
		if g := attrMap(s.Attributes)["flask.endpoint"].AsString(); g != want {
			t.Errorf("%s: flask.endpoint = %q, want %q", s.Name, g, want)
		}
	}
}

// TestRouteFrontCache: the direct-mapped front of the route cache returns
// the route of the request's pattern whatever the collisions, and for a
// pattern string equal to a cached one but not the same string.
func TestRouteFrontCache(t *testing.T) {
	tr := &routes{}
	c := &config{}
	var patterns []string
	for i := 0; i < 3*frontSize; i++ {
		patterns = append(patterns, fmt.Sprintf("GET /r%d/{id}", i))
	}
	for round := 0; round < 3; round++ {
		for _, p := range patterns {
			r := httptest.NewRequest("GET", "/", nil)
			r.Pattern = strings.Clone(p)
			if info := tr.lookup(r, nil, c); info.pattern != p {
				t.Fatalf("lookup(%q) = the route of %q", p, info.pattern)
			}
		}
	}
}

// TestViewArgsPlainAndEscaped: the fast path for values that need no
// escaping writes what the escaping path writes.
func TestViewArgsPlainAndEscaped(t *testing.T) {
	info := newRouteInfo("GET /a/{x}/{y}/{z...}", "")
	for _, vals := range [][]string{{"1", "b", "c/d"}, {"", "", ""}, {"q\"", "b", "c"}, {"a", "é", "z"}} {
		r := httptest.NewRequest("GET", "/a/1", nil)
		r.SetPathValue("x", vals[0])
		r.SetPathValue("y", vals[1])
		r.SetPathValue("z", vals[2])
		got := info.viewArgs(r)
		var want strings.Builder
		want.WriteString("{")
		for i, w := range []string{"x", "y", "z"} {
			if i > 0 {
				want.WriteString(",")
			}
			writeJSONString(&want, w)
			want.WriteString(":")
			writeJSONString(&want, vals[i])
		}
		want.WriteString("}")
		if got != want.String() {
			t.Errorf("%q: view args %s, want %s", vals, got, want.String())
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(got), &m); err != nil || m["x"] != vals[0] || m["y"] != vals[1] || m["z"] != vals[2] {
			t.Errorf("%q: %s decodes to %q (%v)", vals, got, m, err)
		}
	}
}
