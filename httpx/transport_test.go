package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// externalAPI is the spec's external API: GET /api/data answers 512 bytes.
func externalAPI(t *testing.T, seen chan<- string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/data", func(w http.ResponseWriter, r *http.Request) {
		select {
		case seen <- r.Header.Get("traceparent"):
		default:
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", "512")
		_, _ = io.WriteString(w, strings.Repeat("d", 512))
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "bc")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// call makes a request under a parent span and reads the whole response.
func call(t *testing.T, f *fixture, c *http.Client, method, url string, body io.Reader) (parent trace.SpanContext, err error) {
	t.Helper()
	ctx, span := f.tp.Tracer("test").Start(context.Background(), "GET /logs/kafka", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		return span.SpanContext(), err
	}
	_, err = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return span.SpanContext(), err
}

// clientSpan returns the one client span exported.
func clientSpan(t *testing.T, f *fixture) tracetest.SpanStub {
	t.Helper()
	var out []tracetest.SpanStub
	for _, s := range f.exp.GetSpans() {
		if s.SpanKind == trace.SpanKindClient {
			out = append(out, s)
		}
	}
	if len(out) != 1 {
		t.Fatalf("got %d client spans, want 1 (all: %v)", len(out), names(f.exp.GetSpans()))
	}
	return out[0]
}

func TestClientSpan(t *testing.T) {
	for _, tc := range []struct{ optin, name string }{
		{"", "HTTP GET"}, {"http", "GET"}, {"http/dup", "GET"},
	} {
		t.Run("optin="+tc.optin, func(t *testing.T) {
			f := newFixture(t, sdktrace.AlwaysSample())
			seen := make(chan string, 1)
			srv := externalAPI(t, seen)
			c := Client(f.opts(WithSemconv(optIn(tc.optin)))...)
			parent, err := call(t, f, c, "GET", srv.URL+"/api/data", nil)
			if err != nil {
				t.Fatal(err)
			}
			s := clientSpan(t, f)
			if s.Name != tc.name {
				t.Errorf("name = %q, want %q", s.Name, tc.name)
			}
			if s.Parent.SpanID() != parent.SpanID() || s.SpanContext.TraceID() != parent.TraceID() {
				t.Errorf("client span is not a child of the request span")
			}
			if s.Status.Code != codes.Unset {
				t.Errorf("status = %v", s.Status)
			}
			want := "00-" + s.SpanContext.TraceID().String() + "-" + s.SpanContext.SpanID().String() + "-01"
			if got := <-seen; got != want {
				t.Errorf("server saw traceparent %q, want %q", got, want)
			}
			got := attrMap(s.Attributes)
			expect := map[attribute.Key]attribute.Value{
				"http.request.method":       attribute.StringValue("GET"),
				"url.full":                  attribute.StringValue(srv.URL + "/api/data"),
				"http.response.status_code": attribute.IntValue(200),
			}
			old := map[attribute.Key]attribute.Value{
				"http.method":                  attribute.StringValue("GET"),
				"http.url":                     attribute.StringValue(srv.URL + "/api/data"),
				"http.status_code":             attribute.IntValue(200),
				"http.request_content_length":  attribute.Int64Value(0),
				"http.response_content_length": attribute.Int64Value(512),
			}
			for k, v := range old {
				if tc.optin != "http" {
					expect[k] = v
				} else if g, ok := got[k]; ok {
					t.Errorf("stable mode has %s = %s", k, g.String())
				}
			}
			for k, v := range expect {
				if g, ok := got[k]; !ok {
					t.Errorf("missing %s", k)
				} else if g != v {
					t.Errorf("%s = %s, want %s", k, g.String(), v.String())
				}
			}
		})
	}
}

func TestClientPostAndChunked(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	srv := externalAPI(t, nil)
	c := Client(f.opts()...)
	if _, err := call(t, f, c, "POST", srv.URL+"/api/data", strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	got := attrMap(clientSpan(t, f).Attributes)
	if g := got["http.request_content_length"].AsInt64(); g != 5 {
		t.Errorf("http.request_content_length = %d, want 5", g)
	}
	f.exp.Reset()
	if _, err := call(t, f, c, "GET", srv.URL+"/chunked", nil); err != nil {
		t.Fatal(err)
	}
	got = attrMap(clientSpan(t, f).Attributes)
	if g := got["http.response_content_length"].AsInt64(); g != 3 {
		t.Errorf("chunked http.response_content_length = %d, want 3", g)
	}
}

func TestClient4xxIsError(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	srv := externalAPI(t, nil)
	if _, err := call(t, f, Client(f.opts()...), "GET", srv.URL+"/missing", nil); err != nil {
		t.Fatal(err)
	}
	s := clientSpan(t, f)
	if s.Status.Code != codes.Error {
		t.Errorf("status = %v, want Error", s.Status)
	}
	if g := attrMap(s.Attributes)["http.status_code"].AsInt64(); g != 404 {
		t.Errorf("http.status_code = %d", g)
	}
}

func exceptionEvent(t *testing.T, s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	t.Helper()
	for _, e := range s.Events {
		if e.Name == "exception" {
			return attrMap(e.Attributes)
		}
	}
	t.Fatalf("no exception event in %+v", s.Events)
	return nil
}

func TestClientConnectionRefused(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	_, err = call(t, f, Client(f.opts()...), "GET", "http://"+addr+"/api/data", nil)
	if err == nil {
		t.Fatal("request to a closed port succeeded")
	}
	s := clientSpan(t, f)
	if s.Status.Code != codes.Error {
		t.Errorf("status = %v, want Error", s.Status)
	}
	ev := exceptionEvent(t, s)
	if msg := ev["exception.message"].AsString(); !strings.Contains(msg, "refused") {
		t.Errorf("exception.message = %q", msg)
	}
}

func TestClientTimeout(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	c := Client(f.opts()...)
	c.Timeout = 50 * time.Millisecond
	_, err := call(t, f, c, "GET", srv.URL+"/slow", nil)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a time-out", err)
	}
	s := clientSpan(t, f)
	if s.Status.Code != codes.Error {
		t.Errorf("status = %v, want Error", s.Status)
	}
	ev := exceptionEvent(t, s)
	if ev["exception.type"].AsString() == "" || ev["exception.message"].AsString() == "" {
		t.Errorf("exception event without type or message: %v", ev)
	}
}

func TestClientBodyTimeout(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		<-release
	}))
	defer srv.Close()
	defer close(release)
	c := Client(f.opts()...)
	c.Timeout = 100 * time.Millisecond
	if _, err := call(t, f, c, "GET", srv.URL+"/slow", nil); err == nil {
		t.Fatal("no time-out while reading the body")
	}
	s := clientSpan(t, f)
	if s.Status.Code != codes.Error {
		t.Errorf("status = %v, want Error", s.Status)
	}
	exceptionEvent(t, s)
}

func TestClientRedaction(t *testing.T) {
	for _, optin := range []string{"", "http", "http/dup"} {
		f := newFixture(t, sdktrace.AlwaysSample())
		var gotAuth string
		srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			gotAuth = r.Header.Get("Authorization")
		}))
		u := strings.Replace(srv.URL, "http://", "http://user:secret@", 1) + "/p?token=abc&password=x"
		_, err := call(t, f, Client(f.opts(WithSemconv(optIn(optin)))...), "GET", u, nil)
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if gotAuth == "" {
			t.Error("credentials were not sent: the test would prove nothing")
		}
		s := clientSpan(t, f)
		assertNoSecret(t, s)
		got := attrMap(s.Attributes)
		if g := got["url.full"].AsString(); !strings.HasSuffix(g, "/p?token=REDACTED&password=REDACTED") || strings.Contains(g, "user") {
			t.Errorf("optin %q: url.full = %q", optin, g)
		}
		if optin != "http" {
			if g := got["http.url"].AsString(); !strings.HasPrefix(g, "http://user:REDACTED@") || !strings.HasSuffix(g, "/p?token=REDACTED&password=REDACTED") {
				t.Errorf("optin %q: http.url = %q", optin, g)
			}
		}
	}
}

func TestClientUnsampled(t *testing.T) {
	f := newFixture(t, sdktrace.NeverSample())
	seen := make(chan string, 1)
	srv := externalAPI(t, seen)
	if _, err := call(t, f, Client(f.opts()...), "GET", srv.URL+"/api/data", nil); err != nil {
		t.Fatal(err)
	}
	if n := len(f.exp.GetSpans()); n != 0 {
		t.Errorf("%d spans exported", n)
	}
	if tp := <-seen; !strings.HasSuffix(tp, "-00") {
		t.Errorf("traceparent %q, want the unsampled flag", tp)
	}
}

func TestStandardMethodIndex(t *testing.T) {
	for i, m := range standardMethods {
		if got := standardMethodIndex(m); got != i {
			t.Errorf("standardMethodIndex(%q) = %d, want %d", m, got, i)
		}
	}
	for _, m := range []string{"", "get", "PROPFIND", "GETS"} {
		if got := standardMethodIndex(m); got != -1 {
			t.Errorf("standardMethodIndex(%q) = %d, want -1", m, got)
		}
	}
}
