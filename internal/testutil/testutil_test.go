package testutil

import (
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestNoSecret(t *testing.T) {
	clean := tracetest.SpanStub{Name: "ok", Attributes: []attribute.KeyValue{attribute.String("db.statement", "AUTH ?")}}
	leaks := []tracetest.SpanStub{
		{Name: "attr", Attributes: []attribute.KeyValue{attribute.String("url", "http://u:hunter2@h")}},
		{Name: "event", Events: []trace.Event{{Name: "exception", Attributes: []attribute.KeyValue{attribute.String("exception.message", "bad hunter2")}}}},
		{Name: "status hunter2"},
	}
	r := &recorder{TB: t}
	NoSecret(r, []tracetest.SpanStub{clean}, "hunter2")
	if len(r.errs) != 0 {
		t.Fatalf("clean span reported: %v", r.errs)
	}
	for _, s := range leaks {
		r := &recorder{TB: t}
		NoSecret(r, []tracetest.SpanStub{s}, "hunter2")
		if len(r.errs) != 1 {
			t.Errorf("span %q: %d reports, want 1", s.Name, len(r.errs))
		}
	}
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	done := make(chan struct{})
	for range 4 {
		go func() { fmt.Fprint(&b, "ab"); done <- struct{}{} }()
	}
	for range 4 {
		<-done
	}
	if got := b.String(); got != "abababab" {
		t.Errorf("String() = %q", got)
	}
}
