package apigen

import (
	"strings"
	"testing"
)

func TestPackageLines(t *testing.T) {
	got, err := packageLines("testdata/src/p", "example.com/p")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"const A Mode",
		"const B Mode",
		`const Name = "p"`,
		"var Err error",
		"type Mode uint8",
		"type S struct",
		"type S struct, X int",
		"type S struct, embedded io.Reader",
		"type I interface",
		"type I interface, M(int, string) (int, error)",
		"type I interface, unexported methods",
		"func F(io.Writer, ...int) error",
		"method (*S) Do(any)",
		"type G[T any] struct",
		"type G struct, V T",
	}
	have := map[string]bool{}
	for _, l := range got {
		have[strings.TrimPrefix(l, "pkg example.com/p, ")] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("missing %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	for l := range have {
		for _, bad := range []string{" c ", "const c", "y int", "z string", "do()", "Exported", "hidden"} {
			if strings.Contains(l, bad) {
				t.Errorf("unexported name listed: %q", l)
			}
		}
	}
	if len(have) != len(want) {
		t.Errorf("%d lines, want %d:\n%s", len(have), len(want), strings.Join(got, "\n"))
	}
}
