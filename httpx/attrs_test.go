package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestWithAttributes(t *testing.T) {
	f := newFixture(t, sdktrace.AlwaysSample())
	opts := f.opts(WithAttributes(attribute.String("deployment.zone", "eu-1")))

	mux := NewServeMux(opts...)
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, _ *http.Request) {})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := Client(opts...).Get(srv.URL + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()

	spans := f.exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want a server and a client span: %v", len(spans), names(spans))
	}
	for _, s := range spans {
		if got := attrMap(s.Attributes)["deployment.zone"].AsString(); got != "eu-1" {
			t.Errorf("%s (%v): deployment.zone = %q, want eu-1", s.Name, s.SpanKind, got)
		}
	}
}
