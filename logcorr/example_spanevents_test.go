package logcorr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit/logcorr"
)

// Errors logged inside a span also become events of that span: an error
// attribute gives an "exception" event, any other record a "log" event.
func ExampleNewSpanEventHandler() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	inner := slog.NewTextHandler(io.Discard, nil)
	logger := slog.New(logcorr.NewSpanEventHandler(inner, slog.LevelWarn))

	ctx, span := tp.Tracer("example").Start(context.Background(), "POST /login")
	logger.InfoContext(ctx, "login attempt") // below the level: no event
	logger.WarnContext(ctx, "slow password check", "ms", 850)
	logger.ErrorContext(ctx, "login failed", "err", errors.New("bad credentials"))
	span.End()

	for _, e := range exp.GetSpans()[0].Events {
		fmt.Print(e.Name)
		for _, kv := range e.Attributes {
			fmt.Printf(" %s=%s", kv.Key, kv.Value.String())
		}
		fmt.Println()
	}
	// Output:
	// log log.severity=WARNING log.message=slow password check ms=850
	// exception log.severity=ERROR log.message=login failed err=bad credentials exception.type=*errors.errorString exception.message=bad credentials
}
