// Package testutil holds the small helpers that the tests of several otelkit
// packages share. It is imported by tests only.
package testutil

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// SyncBuffer is a bytes.Buffer that is safe for concurrent writers, for
// capturing the output of loggers and child processes.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// NoSecret fails t when secret appears in the name, status, attributes or
// event attributes of any of spans.
func NoSecret(t testing.TB, spans []tracetest.SpanStub, secret string) {
	t.Helper()
	for _, s := range spans {
		check := func(where string, kvs []attribute.KeyValue) {
			for _, kv := range kvs {
				if strings.Contains(kv.Value.String(), secret) {
					t.Errorf("span %q %s: %s = %q shows the secret", s.Name, where, kv.Key, kv.Value.String())
				}
			}
		}
		check("attribute", s.Attributes)
		for _, e := range s.Events {
			check("event "+e.Name, e.Attributes)
		}
		if strings.Contains(s.Status.Description, secret) || strings.Contains(s.Name, secret) {
			t.Errorf("span %q shows the secret in its name or status", s.Name)
		}
	}
}
