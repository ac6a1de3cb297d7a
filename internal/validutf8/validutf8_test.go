package validutf8

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The rule: Valid(s) == utf8.ValidString(s) for every s. The table puts
// one non-ASCII byte (valid or not) at every position of every length up
// to three words, across each edge of the word loop and the overlapping
// tail.
func TestValidAgreesWithStdlib(t *testing.T) {
	for _, planted := range []string{"\x80", "\xff", "é", "€", "😀", "\xe2\x82", "\xf0\x9f\x98"} {
		for n := 0; n <= 40; n++ {
			for at := 0; at+len(planted) <= n; at++ {
				s := strings.Repeat("a", at) + planted + strings.Repeat("b", n-at-len(planted))
				if got, want := Valid(s), utf8.ValidString(s); got != want {
					t.Fatalf("Valid(%q) = %v, utf8.ValidString = %v", s, got, want)
				}
			}
		}
	}
	for n := 0; n <= 40; n++ {
		if s := strings.Repeat("x", n); !Valid(s) {
			t.Fatalf("Valid(%q) = false", s)
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghi\x80", "\xed\xa0\x80", "héllo wörld, 1234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid(s), utf8.ValidString(s); got != want {
			t.Fatalf("Valid(%q) = %v, utf8.ValidString = %v", s, got, want)
		}
		if got := String(s); !utf8.ValidString(got) || (utf8.ValidString(s) && got != s) {
			t.Fatalf("String(%q) = %q", s, got)
		}
	})
}

var sink bool

// BenchmarkValid checks strings of the lengths attributes have.
func BenchmarkValid(b *testing.B) {
	ss := []string{"GET", "http", "200", "/users/{id}", "http.request.method", "server.address", "127.0.0.1",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "url.path", "/api/v1/orders/12345/items"}
	for b.Loop() {
		for _, s := range ss {
			sink = Valid(s)
		}
	}
}

// Bits agrees with a byte-by-byte OR on whether a string is ASCII, and
// the OR of several strings' Bits on whether all are.
func TestBits(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for at := -1; at < n; at++ {
			b := []byte(strings.Repeat("z", n))
			if at >= 0 {
				b[at] = 0x80
			}
			s := string(b)
			if got := ASCII(Bits(s)); got != (at < 0) {
				t.Fatalf("ASCII(Bits(%q)) = %v", s, got)
			}
			if got := ASCII(Bits("plain ascii") | Bits(s) | Bits("")); got != (at < 0) {
				t.Fatalf("ASCII of ORed Bits with %q = %v", s, got)
			}
		}
	}
}
