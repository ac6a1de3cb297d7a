// Package exceptiontest helps the wrappers' tests check the exceptions that
// internal/exception records: it captures the log records sent to the
// global logger provider and checks one against its span. Tests only: it
// links the SDK.
package exceptiontest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/internal/exception"
)

// Sink keeps the log records emitted through the global logger provider.
type Sink struct {
	mu   sync.Mutex
	recs []sdklog.Record
}

// OnEmit implements sdklog.Processor.
func (s *Sink) OnEmit(_ context.Context, r *sdklog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r.Clone())
	return nil
}

// Enabled implements sdklog.Processor.
func (s *Sink) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// Shutdown implements sdklog.Processor.
func (s *Sink) Shutdown(context.Context) error { return nil }

// ForceFlush implements sdklog.Processor.
func (s *Sink) ForceFlush(context.Context) error { return nil }

// Records returns the records kept so far.
func (s *Sink) Records() []sdklog.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sdklog.Record(nil), s.recs...)
}

// Capture sets the global logger provider to one that keeps its records in
// the returned Sink, and sets OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN to mode
// ("" unsets it), both for the duration of t.
func Capture(t testing.TB, mode string) *Sink {
	t.Helper()
	t.Setenv(exception.EnvSignalOptIn, mode)
	s := &Sink{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(s))
	prev := otel.GetLoggerProvider()
	otel.SetLoggerProvider(lp)
	t.Cleanup(func() {
		otel.SetLoggerProvider(prev)
		_ = lp.Shutdown(context.Background())
	})
	return s
}

// Want is what an exception must carry.
type Want struct {
	Kind    exception.Kind
	Scope   string
	Type    string // exact exception.type ("" skips the check)
	Message string // substring of exception.message
	Stack   bool   // exception.stacktrace must be set (and else absent)
}

// Check asserts the exceptions of span for mode ("", "logs", "logs/dup"):
// the span has one "exception" event unless mode is "logs", and recs (the
// records of the sink, span's only) hold one record unless mode is "",
// with w's event name, severity, scope and attributes, the same
// exception.message as the span event's, and the span's trace and span ids.
// It returns the exception.message of the record or of the event.
func Check(t testing.TB, mode string, span sdktrace.ReadOnlySpan, recs []sdklog.Record, w Want) string {
	t.Helper()
	var evMsg, got string
	events := 0
	for _, e := range span.Events() {
		if e.Name != exception.EventName {
			continue
		}
		events++
		for _, kv := range e.Attributes {
			if kv.Key == "exception.message" {
				evMsg = kv.Value.AsString()
			}
		}
		got = evMsg
	}
	wantEvents, wantLogs := 1, 1
	switch mode {
	case "":
		wantLogs = 0
	case "logs":
		wantEvents = 0
	}
	if events != wantEvents {
		t.Errorf("mode %q: %d exception events on span %q, want %d", mode, events, span.Name(), wantEvents)
	}
	if len(recs) != wantLogs {
		t.Fatalf("mode %q: %d log records, want %d: %v", mode, len(recs), wantLogs, recs)
	}
	if wantLogs == 0 {
		return got
	}
	r := recs[0]
	if r.EventName() != w.Kind.EventName() {
		t.Errorf("event name %q, want %q", r.EventName(), w.Kind.EventName())
	}
	if r.Severity() != w.Kind.Severity() || r.SeverityText() != w.Kind.Severity().String() {
		t.Errorf("severity %v %q, want %v", r.Severity(), r.SeverityText(), w.Kind.Severity())
	}
	if w.Scope != "" && r.InstrumentationScope().Name != w.Scope {
		t.Errorf("scope %q, want %q", r.InstrumentationScope().Name, w.Scope)
	}
	sc := span.SpanContext()
	if r.TraceID() != sc.TraceID() || r.SpanID() != sc.SpanID() {
		t.Errorf("log trace/span %s/%s, span's %s/%s", r.TraceID(), r.SpanID(), sc.TraceID(), sc.SpanID())
	}
	if r.Body().Type() != attribute.EMPTY {
		t.Errorf("body %v, want none (an event has attributes only)", r.Body())
	}
	attrs := map[string]string{}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		attrs[string(kv.Key)] = kv.Value.AsString()
		return true
	})
	if w.Type != "" && attrs["exception.type"] != w.Type {
		t.Errorf("exception.type %q, want %q", attrs["exception.type"], w.Type)
	}
	got = attrs["exception.message"]
	if !strings.Contains(got, w.Message) {
		t.Errorf("exception.message %q, want it to hold %q", got, w.Message)
	}
	if mode == "logs/dup" && got != evMsg {
		t.Errorf("log exception.message %q, span event's %q: not the same string", got, evMsg)
	}
	if _, ok := attrs["exception.stacktrace"]; ok != w.Stack {
		t.Errorf("exception.stacktrace present = %v, want %v", ok, w.Stack)
	}
	return got
}

// OptionCase is one case of a wrapper's WithExceptionSignal test: the
// option, the value of OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, and the mode
// the exceptions must follow.
type OptionCase struct {
	Name      string
	Opt       otelkit.ExceptionSignal
	Env, Want string
}

// OptionCases is the rule every wrapper's option obeys: WithExceptionSignal
// wins over the variable in both directions; its zero value leaves the
// variable in charge.
var OptionCases = []OptionCase{
	{"logs over unset", otelkit.ExceptionLogs, "", "logs"},
	{"events over logs", otelkit.ExceptionEvents, "logs", ""},
	{"dup over logs", otelkit.ExceptionLogsDup, "logs", "logs/dup"},
	{"from env", otelkit.ExceptionSignalFromEnv, "logs", "logs"},
}
