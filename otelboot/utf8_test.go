package otelboot

import (
	"context"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestResourceMadeValid: invalid UTF-8 in OTEL_RESOURCE_ATTRIBUTES (after
// percent-decoding), OTEL_SERVICE_NAME or an option gives a resource whose
// every string is valid, and one warning per variable (or one for the
// resource when no variable brought it).
func TestResourceMadeValid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     []string
		opts    []Option
		want    map[string]string
		warning []string // substrings of the one warning line each
	}{
		{
			name:    "resource attributes",
			env:     []string{"OTEL_RESOURCE_ATTRIBUTES", "a=%ff,b=ok%fe,c=fine"},
			want:    map[string]string{"a": "\uFFFD", "b": "ok\uFFFD", "c": "fine"},
			warning: []string{"variable=OTEL_RESOURCE_ATTRIBUTES"},
		},
		{
			name:    "service name",
			env:     []string{"OTEL_SERVICE_NAME", "svc\xff\xfe"},
			want:    map[string]string{"service.name": "svc\uFFFD"},
			warning: []string{"variable=OTEL_SERVICE_NAME"},
		},
		{
			name:    "both",
			env:     []string{"OTEL_SERVICE_NAME", "svc\xff", "OTEL_RESOURCE_ATTRIBUTES", "k=v%ff"},
			want:    map[string]string{"service.name": "svc\uFFFD", "k": "v\uFFFD"},
			warning: []string{"variable=OTEL_SERVICE_NAME", "variable=OTEL_RESOURCE_ATTRIBUTES"},
		},
		{
			name:    "option",
			opts:    []Option{WithServiceName("opt\xff"), WithResourceAttributes(attribute.String("x", "cut\xe2\x82"))},
			want:    map[string]string{"service.name": "opt\uFFFD", "x": "cut"},
			warning: []string{"resource attributes hold invalid UTF-8", "service.name", "x"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t, append([]string{"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none"}, tc.env...)...)
			rec := tracetest.NewSpanRecorder()
			shutdown, diag := start(t, append(tc.opts, WithSpanProcessor(rec))...)
			_, s := otel.Tracer("t").Start(context.Background(), "op")
			s.End()
			shut(t, shutdown)
			res := rec.Ended()[0].Resource()
			for _, kv := range res.Attributes() {
				if !utf8.ValidString(string(kv.Key)) || !utf8.ValidString(kv.Value.String()) {
					t.Errorf("invalid resource attribute %q=%q", kv.Key, kv.Value.String())
				}
			}
			for k, want := range tc.want {
				if v, _ := res.Set().Value(attribute.Key(k)); v.AsString() != want {
					t.Errorf("%s = %q, want %q", k, v.AsString(), want)
				}
			}
			out := diag.String()
			if n := countLines(out, "invalid UTF-8"); n != len(tc.warning) && !(tc.name == "option" && n == 1) {
				t.Errorf("%d UTF-8 warnings, want %d:\n%s", n, len(tc.warning), out)
			}
			for _, w := range tc.warning {
				if countLines(out, "invalid UTF-8", w) != 1 {
					t.Errorf("no single warning with %q:\n%s", w, out)
				}
			}
			if !utf8.ValidString(out) {
				t.Errorf("the diagnostics themselves hold invalid UTF-8: %q", out)
			}
		})
	}
}

// TestValidResourceAttributes covers the variable check at its edges.
func TestValidResourceAttributes(t *testing.T) {
	for v, want := range map[string]bool{
		"a=b":            true,
		"a=%C3%A9":       true, // é, encoded
		"a=é":            true,
		"a=%ff":          false,
		"a%ff=b":         true, // keys are not decoded: the key is "a%ff"
		"a=\xff":         false,
		"a=%zz,b=%ff":    false, // the undecodable entry is skipped, the next one counts
		"a=%zz":          true,  // not decodable: skipped by the SDK, not a UTF-8 problem
		"a=b,c=%e2%82":   false, // a cut character
		"noequals,a=%ff": false,
	} {
		if got := validResourceAttributes(v); got != want {
			t.Errorf("validResourceAttributes(%q) = %v, want %v", v, got, want)
		}
	}
}
