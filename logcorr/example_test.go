package logcorr_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/logcorr"
)

// requestContext stands for the context of an HTTP request inside its
// server span (httpx puts it there); the ids are fixed for the example.
func requestContext() context.Context {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	return trace.ContextWithSpanContext(context.Background(), sc)
}

// exampleTime fixes the time of the example's records.
func exampleTime(time.Time) time.Time {
	return time.Date(2025, 9, 1, 1, 36, 32, 123000000, time.UTC)
}

// The spec's layout: inside a span the line carries its ids, outside it
// zeros.
func ExampleNewTextHandler() {
	logger := slog.New(logcorr.NewTextHandler(os.Stdout, &logcorr.TextOptions{
		Format:       logcorr.MustParseFormat(logcorr.DefaultFormat),
		ServiceName:  "hyunwoo",
		TimeLocation: time.UTC,
		TimeFunc:     exampleTime, // leave out in real use
	}))

	logger.InfoContext(requestContext(), "user logged in", "user", "alice")
	logger.With(logcorr.LoggerKey, "db").Warn("slow query", "ms", 67.1)
	// Output:
	// 2025-09-01 01:36:32,123 INFO [hyunwoo] [example_test.go:42] [trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7] - user logged in user=alice
	// 2025-09-01 01:36:32,123 WARNING [db] [example_test.go:43] [trace_id=0 span_id=0] - slow query ms=67.1
}

// NewHandler adds the ids to any handler, here slog's own text handler.
func ExampleNewHandler() {
	inner := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // drop the time for a stable output
			}
			return a
		},
	})
	logger := slog.New(logcorr.NewHandler(inner))

	logger.InfoContext(requestContext(), "inside a span")
	logger.InfoContext(context.Background(), "outside a span")
	// Output:
	// level=INFO msg="inside a span" trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 trace_flags=01
	// level=INFO msg="outside a span"
}

// A malformed format is rejected with the offending placeholder.
func ExampleParseFormat() {
	_, err := logcorr.ParseFormat("%(asctime)s %(bogus)s - %(message)s")
	fmt.Println(err)

	var fe *logcorr.FormatError
	if errors.As(err, &fe) {
		fmt.Println(fe.Placeholder, fe.Offset)
	}
	// Output:
	// logcorr: log format: unknown placeholder "%(bogus)s" at offset 12
	// %(bogus)s 12
}

// Python's width flags and other LogRecord fields work too.
func ExampleParseFormat_python() {
	f, err := logcorr.ParseFormat("%(asctime)s %(levelname)-8s %(name)s:%(funcName)s %(message)s [sampled=%(otelTraceSampled)s]")
	if err != nil {
		fmt.Println(err)
		return
	}
	logger := slog.New(logcorr.NewTextHandler(os.Stdout, &logcorr.TextOptions{
		Format: f, ServiceName: "hyunwoo", TimeLocation: time.UTC, TimeFunc: exampleTime,
	}))
	logger.ErrorContext(requestContext(), "payment failed", "order", 42)
	// Output:
	// 2025-09-01 01:36:32,123 ERROR    hyunwoo:ExampleParseFormat_python payment failed order=42 [sampled=True]
}

// slog.NewMultiHandler sends each record to several handlers; in a service
// the second is usually logcorr.NewOTLPHandler, which sends records to the
// global LoggerProvider.
func ExampleNewTextHandler_multi() {
	console := logcorr.NewTextHandler(os.Stdout, &logcorr.TextOptions{
		Format:      logcorr.MustParseFormat("console: %(levelname)s %(message)s"),
		ServiceName: "hyunwoo",
	})
	errorsOnly := logcorr.NewTextHandler(os.Stdout, &logcorr.TextOptions{
		Format: logcorr.MustParseFormat("alert: [trace_id=%(otelTraceID)s] %(message)s"),
		Level:  slog.LevelError,
	})
	logger := slog.New(slog.NewMultiHandler(console, errorsOnly))

	logger.InfoContext(requestContext(), "cache hit")
	logger.ErrorContext(requestContext(), "db down")
	// Output:
	// console: INFO cache hit
	// console: ERROR db down
	// alert: [trace_id=4bf92f3577b34da6a3ce929d0e0e4736] db down
}

// The usual setup: console in the spec's layout plus OTLP, errors also
// recorded as events of the current span.
func ExampleNewOTLPHandler() {
	format, err := logcorr.ParseFormat(logcorr.DefaultFormat) // otelboot reads OTELKIT_LOG_FORMAT
	if err != nil {
		fmt.Println(err)
		return
	}
	console := logcorr.NewTextHandler(os.Stderr, &logcorr.TextOptions{Format: format, ServiceName: "hyunwoo"})
	otlp := logcorr.NewOTLPHandler("hyunwoo")
	h := logcorr.NewSpanEventHandler(slog.NewMultiHandler(console, otlp), slog.LevelError)
	slog.SetDefault(slog.New(h))
}
