package otelboot

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestErrorHandlerRedactsURLs: an exporter error whose text holds the
// endpoint with credentials is logged with them masked, by the rule httpx
// uses.
func TestErrorHandlerRedactsURLs(t *testing.T) {
	var buf bytes.Buffer
	d := newDiag(&config{logger: slog.New(slog.NewTextHandler(&buf, nil))}, slog.LevelInfo)
	d.errs.Handle(errors.New(`Post "https://u:S3CRETpw@collector:4318/v1/traces?api-key=S3CRETkey": dial tcp: connection refused`))
	out := buf.String()
	if strings.Contains(out, "S3CRET") || !strings.Contains(out, "REDACTED") {
		t.Errorf("logged %s", out)
	}
}
