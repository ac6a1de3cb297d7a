package logcorr

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func eventAttrs(e sdktrace.Event) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range e.Attributes {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

func TestSpanEventsFromErrors(t *testing.T) {
	tracer, exp := newTracer(t)
	ctx, span := tracer.Start(context.Background(), "POST /login")

	var buf bytes.Buffer
	logger := slog.New(NewHandler(slog.NewTextHandler(&buf, nil), WithSpanEvents(slog.LevelError))).
		With("user", "alice").WithGroup("db")
	logger.InfoContext(ctx, "not an event")
	logger.ErrorContext(ctx, "query failed", "err", errors.New("connection refused"), "rows", 0)
	logger.ErrorContext(ctx, "plain error", slog.Group("q", "table", "messages"))
	span.End()

	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	ev := spans[0].Events
	if len(ev) != 2 {
		t.Fatalf("%d events %+v, want 2 (the errors)", len(ev), ev)
	}
	if ev[0].Name != "exception" {
		t.Errorf("event 0 name %q, want exception", ev[0].Name)
	}
	a := eventAttrs(ev[0])
	for k, want := range map[string]string{
		"exception.message": "connection refused",
		"exception.type":    "*errors.errorString",
		LogSeverityKey:      "ERROR",
		LogMessageKey:       "query failed",
		"user":              "alice",
		"db.err":            "connection refused",
	} {
		if a[k].AsString() != want {
			t.Errorf("event 0 %s = %q, want %q", k, a[k].AsString(), want)
		}
	}
	if a["db.rows"].AsInt64() != 0 || a["db.rows"].Type() != attribute.INT64 {
		t.Errorf("event 0 db.rows = %v", a["db.rows"])
	}
	if ev[1].Name != LogEventName || eventAttrs(ev[1])["db.q.table"].AsString() != "messages" {
		t.Errorf("event 1 = %q %v, want a log event with db.q.table", ev[1].Name, eventAttrs(ev[1]))
	}
	// The records still reach the inner handler, with the ids.
	if n := bytes.Count(buf.Bytes(), []byte("trace_id=")); n != 3 {
		t.Errorf("inner handler got %d correlated records, want 3:\n%s", n, buf.String())
	}
}

func TestSpanEventsOnlyWhenRecording(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.NeverSample()))
	ctx, span := tp.Tracer("t").Start(context.Background(), "dropped")
	logger := slog.New(NewSpanEventHandler(slog.NewTextHandler(io.Discard, nil), nil))
	logger.ErrorContext(ctx, "boom")             // not recording
	logger.ErrorContext(spanContext(), "remote") // no span to record on
	span.End()
	if len(exp.GetSpans()) != 0 {
		t.Errorf("a sampled-out span was exported")
	}

	// Warnings with a lower threshold.
	tracer, exp2 := newTracer(t)
	ctx, span = tracer.Start(context.Background(), "op")
	slog.New(NewSpanEventHandler(slog.DiscardHandler, slog.LevelWarn)).WarnContext(ctx, "slow", "ms", 268)
	span.End()
	ev := exp2.GetSpans()[0].Events
	if len(ev) != 1 || ev[0].Name != LogEventName || eventAttrs(ev[0])[LogSeverityKey].AsString() != "WARNING" {
		t.Errorf("events %+v, want one WARNING log event", ev)
	}
}

func TestSpanEventsOnlyHandler(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime}), WithAttrKeys("", "", ""), WithSpanEvents(slog.LevelError))
	if _, ok := h.(*spanEventHandler); !ok {
		t.Fatalf("NewHandler with no keys and span events = %T", h)
	}
	slog.New(h).ErrorContext(spanContext(), "m")
	if buf.String() != "level=ERROR msg=m\n" {
		t.Errorf("got %q", buf.String())
	}
}

// TestSpanEventsExceptionSignal: with OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN
// set to logs an error record is a "log" event, not an "exception" one (the
// record itself reaches inner, the log pipeline); logs/dup keeps the
// exception event.
func TestSpanEventsExceptionSignal(t *testing.T) {
	for mode, want := range map[string]string{"": "exception", "logs": LogEventName, "logs/dup": "exception"} {
		t.Setenv("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", mode)
		tracer, exp := newTracer(t)
		ctx, span := tracer.Start(context.Background(), "POST /login")
		var buf bytes.Buffer
		logger := slog.New(NewHandler(slog.NewTextHandler(&buf, nil), WithSpanEvents(slog.LevelError)))
		logger.ErrorContext(ctx, "query failed", "err", errors.New("connection refused"))
		span.End()
		ev := exp.GetSpans()[0].Events
		if len(ev) != 1 || ev[0].Name != want {
			t.Errorf("mode %q: events %+v, want one %q", mode, ev, want)
		}
		if a := eventAttrs(ev[0]); a["err"].AsString() != "connection refused" || a[LogMessageKey].AsString() != "query failed" {
			t.Errorf("mode %q: attributes %v", mode, a)
		}
		if n := bytes.Count(buf.Bytes(), []byte("connection refused")); n != 1 {
			t.Errorf("mode %q: inner got the record %d times", mode, n)
		}
	}
}
