// Package liveview holds the recent telemetry of this process in bounded
// memory and serves it as a local dashboard.
//
// CONTRACT (used by otelboot; the live-view work fills in the implementation):
//
//	v := liveview.New(liveview.Config{...})
//	v.SpanProcessor()  // registered on the tracer provider by otelboot
//	v.LogProcessor()   // registered on the logger provider by otelboot
//	v.Handler()        // the page and its JSON API
//	v.ListenAndServe(addr, token) / v.Shutdown(ctx)
package liveview

import (
	"context"
	"net/http"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Config sets the bounds of a View. Zero values take defaults.
type Config struct {
	// MaxTraces caps the number of traces kept.
	MaxTraces int
	// MaxBytes caps the approximate memory used by kept traces and logs.
	MaxBytes int
	// Token, when set, is required by the handler (Authorization: Bearer
	// or ?token=). It is required when serving on a non-loopback address.
	Token string
}

// View is the in-process store and dashboard.
type View struct{ cfg Config }

// New returns a View.
func New(cfg Config) *View { return &View{cfg: cfg} }

// SpanProcessor returns the span processor that feeds the view.
func (v *View) SpanProcessor() sdktrace.SpanProcessor { return nil }

// LogProcessor returns the log processor that feeds the view.
func (v *View) LogProcessor() sdklog.Processor { return nil }

// Handler returns the dashboard page and its JSON API.
func (v *View) Handler() http.Handler { return http.NotFoundHandler() }

// Start serves the handler on addr in the background and returns the
// address it listens on. A non-loopback addr requires cfg.Token.
func (v *View) Start(addr string) (string, error) { return "", nil }

// Shutdown stops the server started by Start.
func (v *View) Shutdown(ctx context.Context) error { return nil }
