package otelkit_test

import (
	"os/exec"
	"strings"
	"testing"
)

// wrapperPackages are the packages that instrument a user's libraries. The
// rule they obey: they depend on the OpenTelemetry API only, so they work
// under any TracerProvider (the SDK's, a vendor's, the auto-instrumentation
// SDK), and never link the SDK.
var wrapperPackages = []string{
	"github.com/otelkit/otelkit/httpx",
	"github.com/otelkit/otelkit/sqlx",
	"github.com/otelkit/otelkit/redisx",
	"github.com/otelkit/otelkit/kafkax",
	"github.com/otelkit/otelkit/logcorr",
}

// sdkPrefix is the import path of the OpenTelemetry SDK and its packages
// (sdk/trace, sdk/instrumentation, sdk/metric, sdk/log, sdk/resource...).
const sdkPrefix = "go.opentelemetry.io/otel/sdk"

// isSDK reports whether the import path p is the SDK or one of its packages
// (and not, say, a module whose name merely starts the same way).
func isSDK(p string) bool {
	return p == sdkPrefix || strings.HasPrefix(p, sdkPrefix+"/")
}

func TestIsSDK(t *testing.T) {
	for p, want := range map[string]bool{
		"go.opentelemetry.io/otel/sdk":                   true,
		"go.opentelemetry.io/otel/sdk/instrumentation":   true,
		"go.opentelemetry.io/otel/sdk/trace":             true,
		"go.opentelemetry.io/otel/sdk/metric/metricdata": true,
		"go.opentelemetry.io/otel/sdkfoo":                false,
		"go.opentelemetry.io/otel/trace":                 false,
		"go.opentelemetry.io/auto/sdk":                   false,
		"go.opentelemetry.io/otel/semconv/v1.43.0":       false,
	} {
		if got := isSDK(p); got != want {
			t.Errorf("isSDK(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestWrappersImportNoSDK lists every package each wrapper links (go list
// -deps, tests excluded) and fails on any package of the OpenTelemetry SDK.
func TestWrappersImportNoSDK(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	for _, pkg := range wrapperPackages {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 || deps[len(deps)-1] != pkg {
			t.Fatalf("go list -deps %s lists %d packages ending with %q: not the list expected", pkg, len(deps), deps[len(deps)-1])
		}
		for _, d := range deps {
			if isSDK(d) {
				t.Errorf("%s depends on %s: a wrapper must use the OpenTelemetry API only", pkg, d)
			}
		}
	}
}
