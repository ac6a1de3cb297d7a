package logcorr

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"
)

func noTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func TestNewHandlerInsideSpan(t *testing.T) {
	tracer, _ := newTracer(t)
	ctx, span := tracer.Start(context.Background(), "op")
	defer span.End()
	sc := span.SpanContext()

	var buf bytes.Buffer
	logger := slog.New(NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime})))
	logger.InfoContext(ctx, "hello", "a", 1, "b", 2, "c", 3)
	want := "level=INFO msg=hello a=1 b=2 c=3 trace_id=" + sc.TraceID().String() + " span_id=" + sc.SpanID().String() + " trace_flags=01\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestNewHandlerAddsNothingWithoutSpan(t *testing.T) {
	var wrapped, bare bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: noTime}
	for _, l := range []*slog.Logger{
		slog.New(NewHandler(slog.NewJSONHandler(&wrapped, opts))),
		slog.New(slog.NewJSONHandler(&bare, opts)),
	} {
		l.InfoContext(context.Background(), "no span", "k", "v")
		l.With("a", 1).WithGroup("g").With("b", 2).Info("grouped", "c", 3)
		l.WithGroup("empty").Info("empty group")
	}
	if wrapped.String() != bare.String() {
		t.Errorf("without a span the output changed:\nwrapped %s\nbare    %s", wrapped.String(), bare.String())
	}
	if strings.Contains(wrapped.String(), "trace_id") {
		t.Errorf("trace_id written without a span: %s", wrapped.String())
	}
}

// Inside groups the ids stay at the top level of the record.
func TestNewHandlerIDsOutsideGroups(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil)))
	logger.With("a", 1).WithGroup("g").With("b", 2).WithGroup("h").InfoContext(spanContext(), "m", "c", 3)
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || got["span_id"] != "00f067aa0ba902b7" || got["trace_flags"] != "01" {
		t.Errorf("ids not at the top level: %s", buf.String())
	}
	g, _ := got["g"].(map[string]any)
	h, _ := g["h"].(map[string]any)
	if got["a"] != 1.0 || g["b"] != 2.0 || h["c"] != 3.0 {
		t.Errorf("attributes misplaced: %s", buf.String())
	}
}

func TestNewHandlerAttrKeys(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime}),
		WithAttrKeys("traceId", "spanId", "")))
	logger.InfoContext(spanContext(), "m")
	want := "level=INFO msg=m traceId=4bf92f3577b34da6a3ce929d0e0e4736 spanId=00f067aa0ba902b7\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
	inner := slog.NewTextHandler(&buf, nil)
	if h := NewHandler(inner, WithAttrKeys("", "", "")); h != inner {
		t.Errorf("with no keys and no span events NewHandler returned %T, want inner itself", h)
	}
}

// NewHandler keeps the slog.Handler contract, with and without a span.
func TestNewHandlerSlogtest(t *testing.T) {
	for name, ctx := range map[string]context.Context{"nospan": context.Background(), "span": spanContext()} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			newHandler := func(*testing.T) slog.Handler {
				buf.Reset()
				return &ctxHandler{ctx: ctx, h: NewHandler(slog.NewJSONHandler(&buf, nil), WithSpanEvents(slog.LevelInfo))}
			}
			result := func(t *testing.T) map[string]any {
				var m map[string]any
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					t.Fatal(err)
				}
				if name == "span" {
					if m["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" {
						t.Errorf("no trace_id in %s", buf.String())
					}
					delete(m, "trace_id")
					delete(m, "span_id")
					delete(m, "trace_flags")
				}
				return m
			}
			slogtest.Run(t, newHandler, result)
		})
	}
}

// ctxHandler substitutes ctx for the context slogtest passes.
type ctxHandler struct {
	ctx context.Context
	h   slog.Handler
}

func (c *ctxHandler) Enabled(_ context.Context, l slog.Level) bool { return c.h.Enabled(c.ctx, l) }
func (c *ctxHandler) Handle(_ context.Context, r slog.Record) error {
	return c.h.Handle(c.ctx, r)
}
func (c *ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &ctxHandler{c.ctx, c.h.WithAttrs(as)}
}
func (c *ctxHandler) WithGroup(n string) slog.Handler { return &ctxHandler{c.ctx, c.h.WithGroup(n)} }

// The ids added for one handler of a fan-out do not leak into the record
// another handler sees, even when the record's attributes overflow slog's
// inline storage.
func TestNewHandlerDoesNotMutateSharedRecord(t *testing.T) {
	var withIDs, without bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: noTime}
	logger := slog.New(slog.NewMultiHandler(
		NewHandler(slog.NewTextHandler(&withIDs, opts)),
		slog.NewTextHandler(&without, opts),
		NewHandler(slog.NewTextHandler(&withIDs, opts)),
	))
	logger.InfoContext(spanContext(), "m", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6)
	if want := "level=INFO msg=m a=1 b=2 c=3 d=4 e=5 f=6\n"; without.String() != want {
		t.Errorf("plain handler got %q, want %q", without.String(), want)
	}
	line := "level=INFO msg=m a=1 b=2 c=3 d=4 e=5 f=6 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 trace_flags=01\n"
	if withIDs.String() != line+line {
		t.Errorf("correlated handlers got %q, want %q twice", withIDs.String(), line)
	}
}
