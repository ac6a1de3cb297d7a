package otelkit_test

import (
	"os"
	"strings"
	"testing"

	"github.com/otelkit/otelkit/internal/apigen"
)

// TestAPIFile fails when the exported API of the library differs from the
// checked-in api/otelkit.txt, so that every API change is deliberate.
func TestAPIFile(t *testing.T) {
	got, err := apigen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(apigen.File)
	if err != nil {
		t.Fatalf("%v: write it with `go run ./internal/cmd/apigen -w`", err)
	}
	want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	inWant := map[string]bool{}
	for _, l := range want {
		inWant[l] = true
	}
	inGot := map[string]bool{}
	for _, l := range got {
		inGot[l] = true
		if !inWant[l] {
			t.Errorf("new API, not in %s: %s", apigen.File, l)
		}
	}
	for _, l := range want {
		if !inGot[l] {
			t.Errorf("API in %s is gone: %s", apigen.File, l)
		}
	}
	if t.Failed() {
		t.Log("if the change is deliberate, run `go run ./internal/cmd/apigen -w` and commit the file")
	}
}
