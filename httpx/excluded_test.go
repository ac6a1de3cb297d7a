package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

const (
	inTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	inTraceparent = "00-" + inTraceID + "-00f067aa0ba902b7-01"
)

// exclFixture has providers whose spans and metric points the test reads.
type exclFixture struct {
	exp    *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
}

func newExclFixture(t *testing.T) *exclFixture {
	f := &exclFixture{exp: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.exp))
	f.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	t.Cleanup(func() {
		_ = f.tp.Shutdown(context.Background())
		_ = f.mp.Shutdown(context.Background())
	})
	return f
}

func (f *exclFixture) opts(extra ...Option) []Option {
	return append([]Option{WithTracerProvider(f.tp), WithMeterProvider(f.mp),
		WithPropagators(propagation.TraceContext{})}, extra...)
}

// points returns the number of data points of the named metric.
func (f *exclFixture) points(t *testing.T, name string) int {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					n += int(p.Count)
				}
			default:
				n++
			}
		}
	}
	return n
}

// downstream records the traceparent of every request it gets.
type downstream struct {
	mu  sync.Mutex
	got []string
	srv *httptest.Server
}

func newDownstream(t *testing.T) *downstream {
	d := &downstream{}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.got = append(d.got, r.Header.Get("traceparent"))
		d.mu.Unlock()
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *downstream) last(t *testing.T) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.got) == 0 {
		t.Fatal("downstream got no request")
	}
	return d.got[len(d.got)-1]
}

// TestServerExcludedByEnv: each of the three server variables excludes
// /healthz (no span, no http.server metric point) while the incoming
// traceparent still reaches an httpx client call made by the handler; a
// path that no expression matches is traced.
func TestServerExcludedByEnv(t *testing.T) {
	for _, env := range []string{envExcludedGo, envExcludedPython, envExcludedPythonFlask} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "^http://[^/]+/healthz$, /ready")
			f := newExclFixture(t)
			d := newDownstream(t)
			// The client's own spans go to another provider: the test
			// counts the server's.
			client := &http.Client{Transport: NewTransport(nil,
				WithTracerProvider(sdktrace.NewTracerProvider()), WithPropagators(propagation.TraceContext{}))}
			mux := NewServeMux(f.opts()...)
			handler := func(w http.ResponseWriter, r *http.Request) {
				req, _ := http.NewRequestWithContext(r.Context(), "GET", d.srv.URL+"/x", nil)
				res, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
			}
			mux.HandleFunc("GET /healthz", handler)
			mux.HandleFunc("GET /ready", handler)
			mux.HandleFunc("GET /healthz/deep", handler)

			for _, path := range []string{"/healthz", "/ready?probe=1"} {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("traceparent", inTraceparent)
				mux.ServeHTTP(httptest.NewRecorder(), req)
				if got := d.last(t); !strings.Contains(got, inTraceID) {
					t.Errorf("%s: outgoing traceparent %q does not carry trace %s", path, got, inTraceID)
				}
			}
			if spans := f.exp.GetSpans(); len(spans) != 0 {
				t.Errorf("excluded requests made spans: %v", names(spans))
			}
			if n := f.points(t, "http.server.request.duration"); n != 0 {
				t.Errorf("excluded requests made %d metric points", n)
			}

			req := httptest.NewRequest("GET", "/healthz/deep", nil)
			mux.ServeHTTP(httptest.NewRecorder(), req)
			if spans := f.exp.GetSpans(); len(spans) != 1 {
				t.Errorf("/healthz/deep: got %d spans, want 1", len(spans))
			}
			if n := f.points(t, "http.server.request.duration"); n != 1 {
				t.Errorf("/healthz/deep: %d metric points, want 1", n)
			}
		})
	}
}

// TestExcludedPythonPrecedence: Python's instrumentation variable replaces
// OTEL_PYTHON_EXCLUDED_URLS (its fallback); OTEL_GO_EXCLUDED_URLS adds to
// either.
func TestExcludedPythonPrecedence(t *testing.T) {
	t.Setenv(envExcludedPython, "/generic")
	t.Setenv(envExcludedPythonFlask, "/flask")
	t.Setenv(envExcludedGo, "/go")
	f := newExclFixture(t)
	mux := NewServeMux(f.opts()...)
	mux.HandleFunc("/", func(http.ResponseWriter, *http.Request) {})
	for _, c := range []struct {
		path   string
		traced bool
	}{{"/generic", true}, {"/flask", false}, {"/go", false}, {"/other", true}} {
		f.exp.Reset()
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", c.path, nil))
		if got := len(f.exp.GetSpans()) == 1; got != c.traced {
			t.Errorf("%s: traced %v, want %v", c.path, got, c.traced)
		}
	}

	// An empty instrumentation variable falls back, as Python's "or" does.
	t.Setenv(envExcludedPythonFlask, "")
	mux = NewServeMux(f.opts()...)
	mux.HandleFunc("/", func(http.ResponseWriter, *http.Request) {})
	f.exp.Reset()
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/generic", nil))
	if n := len(f.exp.GetSpans()); n != 0 {
		t.Errorf("/generic with an empty flask variable: %d spans, want 0", n)
	}
}

// TestClientExcludedByEnv: OTEL_PYTHON_REQUESTS_EXCLUDED_URLS and
// OTEL_GO_EXCLUDED_URLS exclude client requests (no span, no metric
// point), the caller's context is still injected, and the server variable
// does not apply to the client.
func TestClientExcludedByEnv(t *testing.T) {
	for _, env := range []string{envExcludedGo, envExcludedPython, envExcludedPythonRequests, envExcludedPythonFlask} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "/healthz")
			f := newExclFixture(t)
			d := newDownstream(t)
			client := &http.Client{Transport: NewTransport(nil, f.opts()...)}
			parent, span := f.tp.Tracer("t").Start(context.Background(), "parent")
			req, _ := http.NewRequestWithContext(parent, "GET", d.srv.URL+"/healthz", nil)
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			span.End()
			if req.Header.Get("traceparent") != "" {
				t.Error("the caller's request was modified")
			}
			wantExcluded := env != envExcludedPythonFlask
			spans := f.exp.GetSpans()
			if wantExcluded {
				if len(spans) != 1 {
					t.Errorf("got spans %v, want only the parent", names(spans))
				}
				if n := f.points(t, "http.client.request.duration"); n != 0 {
					t.Errorf("%d client metric points, want 0", n)
				}
				if got := d.last(t); !strings.Contains(got, span.SpanContext().TraceID().String()) ||
					!strings.Contains(got, span.SpanContext().SpanID().String()) {
					t.Errorf("outgoing traceparent %q is not the caller's span", got)
				}
			} else if len(spans) != 2 {
				t.Errorf("the server variable excluded a client request: spans %v", names(spans))
			}
		})
	}
}

// TestFilterOptionWinsOverEnv: WithFilter replaces the variables on both
// sides, and WithFilter(nil) traces everything.
func TestFilterOptionWinsOverEnv(t *testing.T) {
	t.Setenv(envExcludedGo, "/healthz")
	f := newExclFixture(t)
	onlyAPI := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api") }
	for _, c := range []struct {
		name   string
		opt    Option
		path   string
		traced bool
	}{
		{"filter traces env-excluded path", WithFilter(func(*http.Request) bool { return true }), "/healthz", true},
		{"filter excludes", WithFilter(onlyAPI), "/other", false},
		{"filter traces", WithFilter(onlyAPI), "/api/x", true},
		{"nil filter", WithFilter(nil), "/healthz", true},
		{"env", nil, "/healthz", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := f.opts()
			if c.opt != nil {
				opts = append(opts, c.opt)
			}
			f.exp.Reset()
			h := NewHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), opts...)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", c.path, nil))
			if got := len(f.exp.GetSpans()) == 1; got != c.traced {
				t.Errorf("server: traced %v, want %v", got, c.traced)
			}
			f.exp.Reset()
			d := newDownstream(t)
			client := &http.Client{Transport: NewTransport(nil, opts...)}
			res, err := client.Get(d.srv.URL + c.path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := len(f.exp.GetSpans()) == 1; got != c.traced {
				t.Errorf("client: traced %v, want %v", got, c.traced)
			}
		})
	}
}

// TestExcludedPanicResponse: an excluded request that panics behaves as an
// unsampled one: with WithPanicResponse(true) it gets a 500.
func TestExcludedPanicResponse(t *testing.T) {
	f := newExclFixture(t)
	h := NewHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }),
		f.opts(WithFilter(func(*http.Request) bool { return false }), WithPanicResponse(true))...)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 {
		t.Errorf("status %d, want 500", rec.Code)
	}
}

type errRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (h *errRecorder) Handle(err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}

// TestBadRegexpWarnsOnce: an entry that does not compile gives one warning
// naming the variable and the entry, however many wrappers read it, and the
// rest of the list is kept.
func TestBadRegexpWarnsOnce(t *testing.T) {
	h := &errRecorder{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(h)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	for _, c := range []struct{ env, bad, good string }{
		{envExcludedGo, "/bad(", "/healthz"},
		{envExcludedPythonFlask, "[z-a]", "/ready"},
		{envCaptureServerRequest, "x-(", "x-good"},
		{envSanitizeFields, "*secret", "x-good"},
	} {
		h.errs = nil
		t.Setenv(c.env, c.bad+","+c.good)
		f := newExclFixture(t)
		for range 3 {
			NewHandler(http.NotFoundHandler(), f.opts()...)
		}
		if len(h.errs) != 1 {
			t.Fatalf("%s: %d warnings, want 1: %v", c.env, len(h.errs), h.errs)
		}
		msg := h.errs[0].Error()
		if !strings.Contains(msg, c.env) || !strings.Contains(msg, c.bad) {
			t.Errorf("warning does not name the variable and value: %s", msg)
		}
		var reErr interface{ Unwrap() error }
		if !errors.As(h.errs[0], &reErr) {
			t.Errorf("warning does not wrap the regexp error: %v", h.errs[0])
		}
		t.Setenv(c.env, "")
	}

	// The rest of the list is kept.
	t.Setenv(envExcludedGo, "/bad2(,/healthz")
	f := newExclFixture(t)
	hh := NewHandler(http.NotFoundHandler(), f.opts()...)
	hh.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	hh.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/other", nil))
	if spans := f.exp.GetSpans(); len(spans) != 1 || spans[0].Attributes == nil {
		t.Errorf("got %d spans, want 1 (/other)", len(spans))
	}
}

// TestExcludedMatchRule: each expression is searched anywhere in
// scheme://host/path?query (Python's re.search on the full URL).
func TestExcludedMatchRule(t *testing.T) {
	t.Setenv(envExcludedGo, "probe=1, ^https://, /health$, ,  ")
	filter := excludedFromEnv(envExcludedPythonFlask, serverFullURL)
	for target, traced := range map[string]bool{
		"http://h/x?probe=1":      false, // query
		"http://h/x?probe=2":      true,
		"http://h/health":         false, // path at the end
		"http://h/health/x":       true,  // $ anchors the URL's end
		"http://h/health?a=1":     true,
		"http://h/a/health":       false, // anywhere
		"http://h/x?next=/health": false,
		"http://probe=1.h/":       false, // the host is part of the URL
		"http://h/PROBE=1":        true,  // case-sensitive, as Python's
	} {
		r := httptest.NewRequest("GET", target, nil)
		if got := filter(r); got != traced {
			t.Errorf("%s: traced %v, want %v (matched against %q)", target, got, traced, serverFullURL(r))
		}
	}
	r := httptest.NewRequest("GET", "https://h/x", nil)
	if filter(r) {
		t.Errorf("TLS request not matched by ^https://: %q", serverFullURL(r))
	}
	t.Setenv(envExcludedGo, " , ")
	if excludedFromEnv(envExcludedPythonFlask, serverFullURL) != nil {
		t.Error("a list of empty entries gives a filter")
	}
}
