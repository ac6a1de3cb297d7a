package otelboot

import "testing"

// CleanEnv is cleanEnv for the external test package: every variable
// otelboot reads unset, the given ones set, the globals restored after.
func CleanEnv(t testing.TB, kv ...string) {
	t.Helper()
	cleanEnv(t, kv...)
}
