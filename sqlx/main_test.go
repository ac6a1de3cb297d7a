package sqlx

import (
	"os"
	"testing"
)

// TestMain runs the tests and examples under the default conventions
// whatever the developer's environment says: they expect the default
// (old) keys and names unless they ask for another mode with WithSemconv or
// t.Setenv.
func TestMain(m *testing.M) {
	_ = os.Unsetenv("OTEL_SEMCONV_STABILITY_OPT_IN")
	_ = os.Unsetenv(envSQLCommenter)
	os.Exit(m.Run())
}
