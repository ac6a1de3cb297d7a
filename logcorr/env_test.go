package logcorr

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestFormatFromEnvPythonName(t *testing.T) {
	t.Setenv(EnvLogFormat, "")
	t.Setenv(EnvPythonLogFormat, DefaultFormat)
	f, err := FormatFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if f.String() != DefaultFormat {
		t.Fatalf("format = %q, want the spec's", f)
	}
	var fromEnv, builtin bytes.Buffer
	opts := func(w *bytes.Buffer, f *Format) slog.Handler {
		return NewTextHandler(w, &TextOptions{Format: f, ServiceName: "hyunwoo", TimeFunc: fixedTime})
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

func TestFormatFromEnvPrecedenceAndErrors(t *testing.T) {
	t.Setenv(EnvPythonLogFormat, "%(message)s")
	t.Setenv(EnvLogFormat, "%(levelname)s %(message)s")
	f, err := FormatFromEnv()
	if err != nil || f.String() != "%(levelname)s %(message)s" {
		t.Errorf("FormatFromEnv() = %v, %v; want the OTELKIT_ value", f, err)
	}

	t.Setenv(EnvLogFormat, "")
	t.Setenv(EnvPythonLogFormat, "%(asctime)s %(bogus)s")
	_, err = FormatFromEnv()
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), EnvPythonLogFormat) || !strings.Contains(err.Error(), "%(bogus)s") {
		t.Errorf("FormatFromEnv() error = %v, want a FormatError naming %s and %%(bogus)s", err, EnvPythonLogFormat)
	}

	t.Setenv(EnvPythonLogFormat, "")
	f, err = FormatFromEnv()
	if err != nil || f.String() != DefaultFormat {
		t.Errorf("unset: FormatFromEnv() = %v, %v; want DefaultFormat", f, err)
	}
}

func TestCorrelationFromEnv(t *testing.T) {
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
		t.Setenv(EnvLogCorrelation, tt.goVal)
		t.Setenv(EnvPythonLogCorrelation, tt.pyVal)
		got, err := CorrelationFromEnv()
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("go=%q py=%q: CorrelationFromEnv() = %v, %v; want %v, error %v", tt.goVal, tt.pyVal, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLevelFromEnv(t *testing.T) {
	for _, tt := range []struct {
		val     string
		want    slog.Level
		wantErr bool
	}{
		{"", slog.LevelInfo, false},
		{"debug", slog.LevelDebug, false},
		{"warning", slog.LevelWarn, false},
		{"ERROR", slog.LevelError, false},
		{"critical", LevelCritical, false},
		{"WARN+1", slog.LevelWarn + 1, false},
		{"loud", slog.LevelInfo, true},
	} {
		t.Setenv(EnvLogLevel, "")
		t.Setenv(EnvPythonLogLevel, tt.val)
		got, err := LevelFromEnv()
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%q: LevelFromEnv() = %v, %v; want %v, error %v", tt.val, got, err, tt.want, tt.wantErr)
		}
	}
}
