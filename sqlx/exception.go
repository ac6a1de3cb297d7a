package sqlx

import (
	"context"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/internal/exception"
)

// dbException records the exceptions of sqlx's spans, as span events or log
// records per OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN.
var dbException = exception.Recorder{Kind: exception.DBClient, Scope: ScopeName}

// exceptionTracerProvider returns the tracer provider otelsql gets for its
// extra spans (connect, prepare, ping, transactions, rows...). otelsql
// records an error with span.RecordError; when the environment asks for
// exceptions as log records (WithExceptionSignal s, or with s unset the
// environment at the time of Open), its spans are wrapped so that this call goes
// through internal/exception as sqlx's own do (the log record then has
// otelsql's scope, that of the span). Otherwise tp is returned as it is: the
// default path costs nothing more.
func exceptionTracerProvider(tp trace.TracerProvider, s otelkit.ExceptionSignal) trace.TracerProvider {
	if !exception.ModeOf(s).Logs() {
		return tp
	}
	return excTracerProvider{tp: tp, signal: s}
}

type excTracerProvider struct {
	embedded.TracerProvider
	tp     trace.TracerProvider
	signal otelkit.ExceptionSignal
}

func (p excTracerProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	cfg := trace.NewTracerConfig(opts...)
	return excTracer{tr: p.tp.Tracer(name, opts...),
		rec: exception.Recorder{Kind: exception.DBClient, Scope: name, Version: cfg.InstrumentationVersion(), Signal: p.signal}}
}

type excTracer struct {
	embedded.Tracer
	tr  trace.Tracer
	rec exception.Recorder
}

func (t excTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx, s := t.tr.Start(ctx, name, opts...)
	if !s.IsRecording() {
		return ctx, s
	}
	w := &excSpan{Span: s, rec: t.rec}
	return trace.ContextWithSpan(ctx, w), w
}

// excSpan is an otelsql span whose RecordError goes through
// internal/exception.
type excSpan struct {
	trace.Span
	rec exception.Recorder
}

func (s *excSpan) RecordError(err error, _ ...trace.EventOption) {
	s.rec.Error(context.Background(), s.Span, err, "")
}

// unwrapSpan returns the span an excSpan wraps (sqlx records on it itself),
// span otherwise.
func unwrapSpan(span trace.Span) trace.Span {
	if w, ok := span.(*excSpan); ok {
		return w.Span
	}
	return span
}
