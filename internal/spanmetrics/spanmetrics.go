// Package spanmetrics derives the spec's three metrics (span_rate,
// error_rate, duration) from every finished span.
//
// CONTRACT (used by otelboot; the httpx work fills in the implementation):
//
//	p, err := spanmetrics.New(meterProvider)   // registers the instruments
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), ...)
package spanmetrics

import (
	"context"

	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Processor is an sdktrace.SpanProcessor that records span_rate, error_rate
// and duration for every span that ends.
type Processor struct{}

var _ sdktrace.SpanProcessor = (*Processor)(nil)

// New returns a Processor whose instruments are created on mp.
func New(mp metric.MeterProvider) (*Processor, error) { return &Processor{}, nil }

// OnStart does nothing.
func (p *Processor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd records the span.
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan) {}

// Shutdown does nothing.
func (p *Processor) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (p *Processor) ForceFlush(context.Context) error { return nil }
