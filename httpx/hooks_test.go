package httpx

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// recordingSampler records the attributes of the spans it is asked about
// and samples those of the given kind when sample is true.
type recordingSampler struct {
	mu     sync.Mutex
	seen   [][]attribute.KeyValue
	sample bool
}

func (s *recordingSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.mu.Lock()
	s.seen = append(s.seen, p.Attributes)
	s.mu.Unlock()
	d := sdktrace.Drop
	if s.sample || p.Kind != trace.SpanKindServer && p.Kind != trace.SpanKindClient {
		d = sdktrace.RecordAndSample
	}
	return sdktrace.SamplingResult{Decision: d}
}

func (s *recordingSampler) Description() string { return "recording" }

func (s *recordingSampler) saw(k attribute.Key, v string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, attrs := range s.seen {
		for _, a := range attrs {
			if a.Key == k && a.Value.AsString() == v {
				return true
			}
		}
	}
	return false
}

const tenantKey = attribute.Key("app.tenant")

func tenantHook(calls *int) StartHook {
	return func(r *http.Request) []attribute.KeyValue {
		*calls++
		return []attribute.KeyValue{tenantKey.String(r.Header.Get("X-Tenant"))}
	}
}

// The rules, for the server: the start hook's attributes are in the
// sampler's parameters and on the span; the start hook runs for every
// request not excluded (sampled or not), the end hook for every recorded
// one, with the final status and the response's header, after httpx's keys
// (so it can replace them); neither runs for an excluded request.
func TestServerHooks(t *testing.T) {
	for _, tc := range []struct {
		name               string
		sample, exclude    bool
		wantStart, wantEnd int
	}{
		{"sampled", true, false, 1, 1},
		{"unsampled", false, false, 1, 0},
		{"excluded", true, true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &recordingSampler{sample: tc.sample}
			f := newFixture(t, s)
			starts, ends := 0, 0
			var status int
			var header string
			mux := NewServeMux(f.opts(
				WithStartHook(tenantHook(&starts)),
				WithServerEndHook(func(span trace.Span, r *http.Request, st int, h http.Header) {
					ends++
					status, header = st, h.Get("X-Reply")
					span.SetAttributes(attribute.String("http.method", "REPLACED"))
				}),
				WithFilter(func(*http.Request) bool { return !tc.exclude }),
			)...)
			mux.HandleFunc("POST /things", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Reply", "yes")
				w.WriteHeader(http.StatusCreated)
			})
			r := httptest.NewRequest("POST", "/things", nil)
			r.Header.Set("X-Tenant", "acme")
			mux.ServeHTTP(httptest.NewRecorder(), r)
			if starts != tc.wantStart || ends != tc.wantEnd {
				t.Fatalf("start hook ran %d times, end hook %d; want %d, %d", starts, ends, tc.wantStart, tc.wantEnd)
			}
			if tc.exclude {
				return
			}
			if !s.saw(tenantKey, "acme") {
				t.Error("the sampler did not see the start hook's attribute")
			}
			if !tc.sample {
				return
			}
			if status != http.StatusCreated || header != "yes" {
				t.Errorf("end hook saw status %d, X-Reply %q", status, header)
			}
			got := attrMap(f.only(t).Attributes)
			if got[tenantKey].AsString() != "acme" {
				t.Errorf("span %s = %q", tenantKey, got[tenantKey].AsString())
			}
			if got["http.method"].AsString() != "REPLACED" {
				t.Errorf("the end hook could not replace http.method: %q", got["http.method"].AsString())
			}
			if got["http.status_code"].AsInt64() != 201 {
				t.Errorf("http.status_code = %v", got["http.status_code"])
			}
		})
	}
}

// A handler that panics: the end hook still runs, before the span ends,
// with status 0 when the panic goes on and 500 when httpx answers it.
func TestServerEndHookOnPanic(t *testing.T) {
	for _, respond := range []bool{false, true} {
		f := newFixture(t, sdktrace.AlwaysSample())
		status := -1
		h := NewHandler(http.HandlerFunc(boom), f.opts(
			WithPanicResponse(respond),
			WithServerEndHook(func(span trace.Span, _ *http.Request, st int, _ http.Header) {
				status = st
				span.SetAttributes(attribute.Bool("app.hooked", true))
			}))...)
		func() {
			defer func() { _ = recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
		}()
		want := 0
		if respond {
			want = http.StatusInternalServerError
		}
		if status != want {
			t.Errorf("respond500=%v: end hook saw status %d, want %d", respond, status, want)
		}
		if !attrMap(f.only(t).Attributes)["app.hooked"].AsBool() {
			t.Errorf("respond500=%v: the hook's attribute is not on the span", respond)
		}
	}
}

// The rules, for the client: as for the server, with the response or the
// transport error given to the end hook.
func TestClientHooks(t *testing.T) {
	srv := externalAPI(t, make(chan string, 1))
	for _, tc := range []struct {
		name               string
		sample, exclude    bool
		url                string
		wantStart, wantEnd int
	}{
		{"sampled", true, false, srv.URL + "/api/data", 1, 1},
		{"unsampled", false, false, srv.URL + "/api/data", 1, 0},
		{"excluded", true, true, srv.URL + "/api/data", 0, 0},
		{"refused", true, false, "http://127.0.0.1:1/api/data", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &recordingSampler{sample: tc.sample}
			f := newFixture(t, s)
			starts, ends := 0, 0
			var status int
			var gotErr error
			c := Client(f.opts(
				WithStartHook(tenantHook(&starts)),
				WithClientEndHook(func(span trace.Span, _ *http.Request, res *http.Response, err error) {
					ends++
					if res != nil {
						status = res.StatusCode
					}
					gotErr = err
					span.SetAttributes(attribute.String("http.url", "REPLACED"))
				}),
				WithFilter(func(*http.Request) bool { return !tc.exclude }),
			)...)
			ctx, parent := f.tp.Tracer("t").Start(t.Context(), "parent")
			req, _ := http.NewRequestWithContext(ctx, "GET", tc.url, nil)
			req.Header.Set("X-Tenant", "acme")
			res, err := c.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
			}
			parent.End()
			if starts != tc.wantStart || ends != tc.wantEnd {
				t.Fatalf("start hook ran %d times, end hook %d; want %d, %d", starts, ends, tc.wantStart, tc.wantEnd)
			}
			if tc.exclude {
				return
			}
			if !s.saw(tenantKey, "acme") {
				t.Error("the sampler did not see the start hook's attribute")
			}
			if !tc.sample {
				return
			}
			got := attrMap(clientSpan(t, f).Attributes)
			if got[tenantKey].AsString() != "acme" {
				t.Errorf("span %s = %q", tenantKey, got[tenantKey].AsString())
			}
			if got["http.url"].AsString() != "REPLACED" {
				t.Errorf("the end hook could not replace http.url: %q", got["http.url"].AsString())
			}
			if tc.name == "refused" {
				var opErr *net.OpError
				if !errors.As(gotErr, &opErr) {
					t.Errorf("end hook saw error %v, want the base transport's *net.OpError", gotErr)
				}
				return
			}
			if status != 200 || gotErr != nil {
				t.Errorf("end hook saw status %d, error %v", status, gotErr)
			}
		})
	}
}

// A hook of an outer span never gives its attributes to the span of an
// inner transport that has a start hook of its own.
func TestStartHookAttributesDoNotLeak(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	srv := externalAPI(t, make(chan string, 1))
	inner := Client(f.opts(WithStartHook(func(*http.Request) []attribute.KeyValue { return nil }))...)
	h := NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", srv.URL+"/api/data", nil)
		res, err := inner.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
		}
	}), f.opts(WithStartHook(func(*http.Request) []attribute.KeyValue {
		return []attribute.KeyValue{tenantKey.String("outer")}
	}))...)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	if _, ok := attrMap(clientSpan(t, f).Attributes)[tenantKey]; ok {
		t.Error("the client span has the server's start hook attribute")
	}
}
