package liveview_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/otelboot/liveview"
)

// A view registered beside the exporters shows what the tracer produced;
// its JSON API serves the same figures as the page.
func Example() {
	view := liveview.New(liveview.Config{MaxTraces: 500})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(view.SpanProcessor()))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	tracer := tp.Tracer("example")
	for i := range 3 {
		_, span := tracer.Start(context.Background(), "GET /items")
		if i == 2 {
			span.SetStatus(codes.Error, "db connection refused")
		}
		span.End()
	}

	srv := httptest.NewServer(view.Handler()) // or view.Start("127.0.0.1:5001"); its URL is 127.0.0.1
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/spans")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	// The JSON API is documented in the package doc; decode what you need.
	var table struct {
		Spans []struct {
			Name   string `json:"name"`
			Count  uint64 `json:"count"`
			Errors uint64 `json:"errors"`
		} `json:"spans"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&table); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range table.Spans {
		fmt.Printf("%s: %d spans, %d errors\n", s.Name, s.Count, s.Errors)
	}
	// Output: GET /items: 3 spans, 1 errors
}

// Start serves the page on a loopback address unless a token is set.
func ExampleView_Start() {
	view := liveview.New(liveview.Config{})
	url, err := view.Start("127.0.0.1:0") // port 0: any free port
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = view.Shutdown(context.Background()) }()
	fmt.Println(strings.HasPrefix(url, "http://127.0.0.1:"))

	_, err = liveview.New(liveview.Config{}).Start("0.0.0.0:5001")
	fmt.Println(errors.Is(err, liveview.ErrTokenRequired))
	// Output:
	// true
	// true
}
