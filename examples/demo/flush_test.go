package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestFlushErrorOneLine: a shutdown with no collector (three errors, one
// cause) is one line naming the signals once each; distinct causes stay
// apart.
func TestFlushErrorOneLine(t *testing.T) {
	refused := `dial tcp 127.0.0.1:4318: connect: connection refused`
	err := errors.Join(
		fmt.Errorf("otelboot: flushing metrics: failed to upload metrics: Post \"http://localhost:4318/v1/metrics\": %s", refused),
		fmt.Errorf("otelboot: stopping metrics: failed to upload metrics: Post \"http://localhost:4318/v1/metrics\": %s", refused),
		fmt.Errorf("otelboot: flushing traces: traces export: Post \"http://localhost:4318/v1/traces\": %s", refused),
	)
	if got, want := flushError(err), "metrics, traces: "+refused; got != want {
		t.Errorf("flushError = %q, want %q", got, want)
	}
	err = errors.Join(err, errors.New("otelboot: flushing logs: context deadline exceeded"))
	got := flushError(err)
	if strings.Contains(got, "\n") || !strings.Contains(got, "; logs: context deadline exceeded") {
		t.Errorf("flushError = %q", got)
	}
}
