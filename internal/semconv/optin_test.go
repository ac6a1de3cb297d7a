package semconv

import (
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    OptIn
		unknown []string
	}{
		{"", OptIn{}, nil},
		{"http", OptIn{HTTP: Stable}, nil},
		{"http/dup", OptIn{HTTP: Dup}, nil},
		{"http/dup,http", OptIn{HTTP: Dup}, nil},
		{"http, http/dup", OptIn{HTTP: Dup}, nil},
		{" Database ,messaging/dup", OptIn{Database: Stable, Messaging: Dup}, nil},
		{"http,bogus,rpc,bogus", OptIn{HTTP: Stable}, []string{"bogus", "rpc"}},
	}
	for _, tt := range tests {
		got, unknown := Parse(tt.in)
		if got != tt.want || !reflect.DeepEqual(unknown, tt.unknown) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.in, got, unknown, tt.want, tt.unknown)
		}
	}
}

func TestModeEmits(t *testing.T) {
	if !EmitOld(Old) || EmitStable(Old) || StableNames(Old) {
		t.Error("Old")
	}
	if EmitOld(Stable) || !EmitStable(Stable) || !StableNames(Stable) {
		t.Error("Stable")
	}
	if !EmitOld(Dup) || !EmitStable(Dup) || !StableNames(Dup) {
		t.Error("Dup")
	}
}

type countHandler struct{ errs []error }

func (c *countHandler) Handle(err error) { c.errs = append(c.errs, err) }

func TestFromEnvWarnsOnce(t *testing.T) {
	h := &countHandler{}
	otel.SetErrorHandler(h)
	t.Setenv(EnvOptIn, "http,nonsense-token-for-test")
	for range 3 {
		if got := FromEnv(); got.HTTP != Stable {
			t.Fatalf("HTTP mode = %v", got.HTTP)
		}
	}
	if len(h.errs) != 1 {
		t.Fatalf("got %d warnings, want 1: %v", len(h.errs), h.errs)
	}
	if !contains(h.errs[0], "nonsense-token-for-test") || !contains(h.errs[0], EnvOptIn) {
		t.Errorf("warning does not name the token and variable: %v", h.errs[0])
	}
}

func contains(err error, s string) bool {
	return err != nil && strings.Contains(err.Error(), s)
}
