package logenv

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/logcorr"
)

func TestFormatPythonName(t *testing.T) {
	t.Setenv(LogFormat, "")
	t.Setenv(PythonLogFormat, logcorr.DefaultFormat)
	f, err := Format()
	if err != nil {
		t.Fatal(err)
	}
	if f.String() != logcorr.DefaultFormat {
		t.Fatalf("format = %q, want the spec's", f)
	}
	var fromEnv, builtin bytes.Buffer
	opts := func(w *bytes.Buffer, f *logcorr.Format) slog.Handler {
		return logcorr.NewTextHandler(w, &logcorr.TextOptions{Format: f, ServiceName: "hyunwoo", TimeFunc: fixedTime})
	}
	ctx := spanContext()
	slog.New(opts(&fromEnv, f)).InfoContext(ctx, "hello", "k", "v")
	slog.New(opts(&builtin, nil)).InfoContext(ctx, "hello", "k", "v")
	// The two lines differ only by the caller's line number.
	got := lineNumber.ReplaceAllString(fromEnv.String(), ":N]")
	want := lineNumber.ReplaceAllString(builtin.String(), ":N]")
	if got != want {
		t.Errorf("OTEL_PYTHON_LOG_FORMAT gives\n%s\nthe default gives\n%s", got, want)
	}
}

func TestFormatPrecedenceAndErrors(t *testing.T) {
	t.Setenv(PythonLogFormat, "%(message)s")
	t.Setenv(LogFormat, "%(levelname)s %(message)s")
	f, err := Format()
	if err != nil || f.String() != "%(levelname)s %(message)s" {
		t.Errorf("Format() = %v, %v; want the OTELKIT_ value", f, err)
	}

	t.Setenv(LogFormat, "")
	t.Setenv(PythonLogFormat, "%(asctime)s %(bogus)s")
	_, err = Format()
	var fe *logcorr.FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), PythonLogFormat) || !strings.Contains(err.Error(), "%(bogus)s") {
		t.Errorf("Format() error = %v, want a FormatError naming %s and %%(bogus)s", err, PythonLogFormat)
	}

	t.Setenv(PythonLogFormat, "")
	f, err = Format()
	if err != nil || f.String() != logcorr.DefaultFormat {
		t.Errorf("unset: Format() = %v, %v; want logcorr.DefaultFormat", f, err)
	}
}

func TestCorrelation(t *testing.T) {
	for _, tt := range []struct {
		goVal, pyVal string
		want         bool
		wantErr      bool
	}{
		{"", "", false, false},
		{"", "true", true, false},
		{"", "TRUE", true, false},
		{"false", "true", false, false},
		{"true", "", true, false},
		{"", "yes", false, true},
	} {
		t.Setenv(LogCorrelation, tt.goVal)
		t.Setenv(PythonLogCorrelation, tt.pyVal)
		got, err := Correlation()
		if err != nil && !strings.Contains(err.Error(), PythonLogCorrelation+`="yes"`) {
			t.Errorf("error %q does not name the variable and value", err)
		}
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("go=%q py=%q: Correlation() = %v, %v; want %v, error %v", tt.goVal, tt.pyVal, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLevel(t *testing.T) {
	for _, tt := range []struct {
		val     string
		want    slog.Level
		wantErr bool
	}{
		{"", slog.LevelInfo, false},
		{"debug", slog.LevelDebug, false},
		{"warning", slog.LevelWarn, false},
		{"ERROR", slog.LevelError, false},
		{"critical", logcorr.LevelCritical, false},
		{"WARN+1", slog.LevelWarn + 1, false},
		{"loud", slog.LevelInfo, true},
	} {
		t.Setenv(LogLevel, "")
		t.Setenv(PythonLogLevel, tt.val)
		got, err := Level()
		if err != nil && !strings.Contains(err.Error(), PythonLogLevel) {
			t.Errorf("error %q does not name the variable", err)
		}
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%q: Level() = %v, %v; want %v, error %v", tt.val, got, err, tt.want, tt.wantErr)
		}
	}
}

var lineNumber = regexp.MustCompile(`:\d+\]`)

func fixedTime(time.Time) time.Time {
	return time.Date(2025, 9, 1, 1, 36, 32, 123456789, time.UTC)
}

func spanContext() context.Context {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	return trace.ContextWithSpanContext(context.Background(), sc)
}
