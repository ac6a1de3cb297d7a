// Package logcorr makes log/slog records carry the trace and span ids of
// the span in their context, in the layout of the project's telemetry
// specification and as OpenTelemetry log records, with no change at the call
// sites beyond passing the context (slog.InfoContext(ctx, ...)).
//
// It reproduces what Python's opentelemetry-instrumentation-logging does for
// the original service when OTEL_PYTHON_LOG_CORRELATION=true:
//
//	2025-09-01 01:36:32,123 INFO [hyunwoo] [app.go:42] [trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7] - user logged in user=alice
//
// The pieces compose as slog handlers:
//
//   - [NewTextHandler] writes that line, in a Python logging format parsed by
//     [ParseFormat] ([DefaultFormat] is the spec's); outside a span the ids
//     print as 0, as Python prints them.
//   - [NewHandler] wraps any handler (slog.TextHandler, slog.JSONHandler, the
//     user's own) and adds trace_id, span_id and trace_flags attributes;
//     nothing without a span.
//   - [NewOTLPHandler] sends records to the global LoggerProvider through the
//     otelslog bridge: OTLP log records with the ids, severity and attributes.
//   - slog.NewMultiHandler (Go 1.26) sends each record to several of them,
//     e.g. console and OTLP.
//   - [NewSpanEventHandler] (or the [WithSpanEvents] option) also records
//     errors logged inside a span as events of that span.
//
// A typical setup (otelboot does this from the environment):
//
//	f, err := logcorr.ParseFormat(logcorr.DefaultFormat)
//	if err != nil {
//		return err
//	}
//	text := logcorr.NewTextHandler(os.Stderr, &logcorr.TextOptions{Format: f, ServiceName: "hyunwoo"})
//	slog.SetDefault(slog.New(slog.NewMultiHandler(text, logcorr.NewOTLPHandler("hyunwoo"))))
//
// otelboot builds that setup from OTELKIT_LOG_FORMAT, OTELKIT_LOG_CORRELATION
// and OTELKIT_LOG_LEVEL, or the Python names OTEL_PYTHON_LOG_FORMAT,
// OTEL_PYTHON_LOG_CORRELATION and OTEL_PYTHON_LOG_LEVEL, so that the original
// environment file works as is.
//
// With OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN=logs (the semantic conventions'
// exceptions as log records) the span-event handler copies a record with an
// error as a "log" event, not an "exception" event: the record itself is the
// log record (see [NewSpanEventHandler]).
//
// Every span, attribute key and metric the library emits, per
// OTEL_SEMCONV_STABILITY_OPT_IN mode, is listed in one document:
// [docs/telemetry.md].
//
// [docs/telemetry.md]: https://github.com/otelkit/otelkit/blob/main/docs/telemetry.md
package logcorr
