package logcorr

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFormatSpec(t *testing.T) {
	// The string of the spec's section 1, character for character.
	const spec = `%(asctime)s %(levelname)s [%(name)s] [%(filename)s:%(lineno)d] [trace_id=%(otelTraceID)s span_id=%(otelSpanID)s] - %(message)s`
	f, err := ParseFormat(spec)
	if err != nil {
		t.Fatalf("ParseFormat(spec) error: %v", err)
	}
	if f.String() != spec {
		t.Errorf("String() = %q, want %q", f.String(), spec)
	}
	if spec != DefaultFormat {
		t.Errorf("DefaultFormat = %q, want the spec's %q", DefaultFormat, spec)
	}
	if _, err := ParseFormat(PythonDefaultFormat); err != nil {
		t.Errorf("ParseFormat(PythonDefaultFormat) error: %v", err)
	}
}

func TestParseFormatErrors(t *testing.T) {
	tests := []struct {
		in          string
		placeholder string
		reason      string
	}{
		{"%(bogus)s", "%(bogus)s", "unknown placeholder"},
		{"x %(asctime", "%(asctime", "unterminated placeholder"},
		{"%(message)q", "%(message)q", "unsupported conversion"},
		{"%(levelname)d", "%(levelname)d", "numeric conversion of a text field"},
		{"%s", "%s", "without a (name)"},
		{"100%", "%", "incomplete directive"},
		{"%(message)", "%(message)", "missing conversion"},
		{"%(thread)d", "%(thread)d", "Go has no thread"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := ParseFormat(tt.in)
			if err == nil {
				t.Fatalf("ParseFormat(%q) = %v, want an error", tt.in, f)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError", err)
			}
			if fe.Placeholder != tt.placeholder {
				t.Errorf("Placeholder = %q, want %q", fe.Placeholder, tt.placeholder)
			}
			if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), tt.placeholder) {
				t.Errorf("error %q does not say %q about %q", err, tt.reason, tt.placeholder)
			}
			if fe.Offset != strings.Index(tt.in, tt.placeholder) {
				t.Errorf("Offset = %d, want %d", fe.Offset, strings.Index(tt.in, tt.placeholder))
			}
		})
	}
}

func TestParseFormatPercent(t *testing.T) {
	f, err := ParseFormat("100%% %(message)s")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.segs) != 2 || f.segs[0].literal != "100% " {
		t.Errorf("segments = %+v, want literal %q then message", f.segs, "100% ")
	}
}

func TestMustParseFormatPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParseFormat(bad) did not panic")
		}
	}()
	MustParseFormat("%(nope)s")
}
