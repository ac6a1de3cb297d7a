package httpx_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/httpx"
)

func getUserMessages(w http.ResponseWriter, r *http.Request) {
	_, _ = fmt.Fprintf(w, `["hello from %s"]`, r.PathValue("username"))
}

// A traced mux: the span is named after the route, and the spec's keys are
// set without any code in the handler. In a service, otelboot.Start sets the
// global tracer provider and WithTracerProvider is not needed.
func ExampleNewServeMux() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	mux := httpx.NewServeMux(httpx.WithTracerProvider(tp), httpx.WithSemconv(otelkit.SemconvOld))
	mux.HandleFunc("GET /admin/users/{username}/messages", getUserMessages)

	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://localhost:5000/admin/users/alice/messages", nil))

	s := exp.GetSpans()[0]
	fmt.Println(s.Name)
	for _, kv := range s.Attributes {
		switch kv.Key {
		case "http.url", "http.status_code", "http.response_content_length",
			"flask.endpoint", "flask.view_args", "http.route":
			fmt.Printf("%s: %s\n", kv.Key, kv.Value.String())
		}
	}
	// Output:
	// GET /admin/users/{username}/messages
	// http.route: /admin/users/{username}/messages
	// http.url: http://localhost:5000/admin/users/alice/messages
	// http.status_code: 200
	// http.response_content_length: 20
	// flask.endpoint: get_user_messages
	// flask.view_args: {"username":"alice"}
}

// Wrapping an existing *http.ServeMux gives the same spans.
func ExampleNewHandler() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /logs/kafka", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "[]")
	})
	// Build the handler once and serve it.
	var h http.Handler = httpx.NewHandler(mux, httpx.WithPanicResponse(true))
	_ = h // http.ListenAndServe(":5000", h)
}

// A named endpoint, when the handler is a closure or the name must differ
// from the function's.
func ExampleEndpoint() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	mux := httpx.NewServeMux(httpx.WithTracerProvider(tp), httpx.WithSemconv(otelkit.SemconvOld))
	mux.Handle("GET /logs/kafka", httpx.EndpointFunc("get_kafka_logs", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "[]")
	}))

	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/logs/kafka", nil))

	for _, kv := range exp.GetSpans()[0].Attributes {
		if kv.Key == "flask.endpoint" {
			fmt.Println(kv.Value.String())
		}
	}
	// Output:
	// get_kafka_logs
}

// A client whose calls are child spans named "HTTP GET" of the span in the
// request's context. Build it once.
func ExampleClient() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "data")
	}))
	defer api.Close()

	client := httpx.Client(httpx.WithTracerProvider(tp), httpx.WithSemconv(otelkit.SemconvOld))
	ctx, parent := tp.Tracer("example").Start(context.Background(), "GET /logs/kafka")
	req, _ := http.NewRequestWithContext(ctx, "GET", api.URL+"/api/data?token=abc", nil)
	res, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	parent.End()

	s := exp.GetSpans()[0]
	fmt.Println(s.Name, s.Parent.SpanID() == parent.SpanContext().SpanID())
	for _, kv := range s.Attributes {
		switch kv.Key {
		case "http.status_code", "http.response_content_length":
			fmt.Printf("%s: %s\n", kv.Key, kv.Value.String())
		case "http.url":
			fmt.Printf("%s: %s\n", kv.Key, kv.Value.String()[len(api.URL):])
		}
	}
	// Output:
	// HTTP GET true
	// http.url: /api/data?token=REDACTED
	// http.status_code: 200
	// http.response_content_length: 4
}

// NewTransport wraps a transport of the application's own, here one with
// its own connection settings; the client span is a child of the span in the
// request's context and the trace context travels in the traceparent header.
func ExampleNewTransport() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	var traceparent string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traceparent = r.Header.Get("Traceparent")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer api.Close()

	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 32
	// Build the client once, at start-up.
	client := &http.Client{Transport: httpx.NewTransport(base,
		httpx.WithTracerProvider(tp),
		httpx.WithPropagators(propagation.TraceContext{}),
		httpx.WithSemconv(otelkit.SemconvOld),
	)}

	res, err := client.Get(api.URL + "/health")
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = res.Body.Close()

	s := exp.GetSpans()[0]
	fmt.Println(s.Name, s.SpanKind, s.Status.Code)
	fmt.Println(traceparent == "00-"+s.SpanContext.TraceID().String()+"-"+s.SpanContext.SpanID().String()+"-01")
	// Output:
	// HTTP GET client Error
	// true
}

// Hooks: the start hook's attributes reach the sampler (here, one that
// keeps only the requests of one tenant) and the span; the end hook adds
// to the recorded span what the response says.
func ExampleWithStartHook() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(tenantSampler{"acme"}))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	mux := httpx.NewServeMux(httpx.WithTracerProvider(tp),
		httpx.WithStartHook(func(r *http.Request) []attribute.KeyValue {
			return []attribute.KeyValue{attribute.String("app.tenant", r.Header.Get("X-Tenant"))}
		}),
		httpx.WithServerEndHook(func(span trace.Span, _ *http.Request, _ int, h http.Header) {
			span.SetAttributes(attribute.String("app.cache", h.Get("X-Cache")))
		}))
	mux.HandleFunc("GET /admin/users/{username}/messages", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Cache", "hit")
		getUserMessages(w, r)
	})

	for _, tenant := range []string{"acme", "globex"} {
		r := httptest.NewRequest("GET", "http://localhost:5000/admin/users/alice/messages", nil)
		r.Header.Set("X-Tenant", tenant)
		mux.ServeHTTP(httptest.NewRecorder(), r)
	}

	for _, s := range exp.GetSpans() {
		for _, kv := range s.Attributes {
			if kv.Key == "app.tenant" || kv.Key == "app.cache" {
				fmt.Println(s.Name, kv.Key, kv.Value.String())
			}
		}
	}
	// Output:
	// GET /admin/users/{username}/messages app.tenant acme
	// GET /admin/users/{username}/messages app.cache hit
}

// tenantSampler samples the spans whose start attributes name its tenant.
type tenantSampler struct{ tenant string }

func (s tenantSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	for _, kv := range p.Attributes {
		if kv.Key == "app.tenant" && kv.Value.AsString() == s.tenant {
			return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
		}
	}
	return sdktrace.SamplingResult{Decision: sdktrace.Drop}
}

func (s tenantSampler) Description() string { return "tenant=" + s.tenant }
