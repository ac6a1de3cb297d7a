// Package validutf8 holds the one rule by which the library makes a string
// valid UTF-8 (see internal/utf8guard, which applies it to everything an
// exporter gets). It depends on nothing but the standard library, so the
// wrappers can use it on strings they take from requests.
package validutf8

import (
	"strings"
	"unicode/utf8"
)

// String returns s as valid UTF-8 by the package's rule: unchanged when
// valid, a trailing incomplete character dropped, every other run of invalid
// bytes replaced by one U+FFFD.
func String(s string) string {
	if Valid(s) {
		return s
	}
	return fix(s)
}

// Valid reports whether s is valid UTF-8, as utf8.ValidString does, with a
// faster path for ASCII, which nearly every attribute is (see Bits).
func Valid(s string) bool {
	return ASCII(Bits(s)) || utf8.ValidString(s)
}

// Bits is the OR of s's bytes spread over a word, eight bytes at a time:
// s is ASCII exactly when ASCII(Bits(s)). The OR of several strings' Bits
// tells with one test that all of them are ASCII.
func Bits(s string) uint64 {
	n := len(s)
	switch {
	case n >= 8:
		w := word64(s[n-8:])
		for t := s; len(t) >= 8; t = t[8:] {
			w |= word64(t)
		}
		return w
	case n >= 4:
		return uint64(word32(s) | word32(s[n-4:]))
	case n > 0:
		return uint64(s[0] | s[n/2] | s[n-1])
	}
	return 0
}

// ASCII reports whether bits, the Bits of one or more strings, say that
// every byte was below 0x80.
func ASCII(bits uint64) bool { return bits&hiBits64 == 0 }

const hiBits64 = 0x8080808080808080

// word64 is s's first eight bytes as one little-endian word (the compiler
// makes it one load); len(s) >= 8.
func word64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// word32 is s's first four bytes as one word; len(s) >= 4.
func word32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func fix(s string) string {
	s = s[:len(s)-incompleteTail(s)]
	return strings.ToValidUTF8(s, "\uFFFD")
}

// incompleteTail returns the length of the bytes at the end of s that
// begin a multi-byte character without finishing it (0 to 3): a first byte
// that announces more bytes than follow, and continuation bytes that fit
// it (U+0800..U+FFFF without surrogates, U+10000..U+10FFFF).
func incompleteTail(s string) int {
	for n := 1; n < utf8.UTFMax && n <= len(s); n++ {
		b := s[len(s)-n]
		if utf8.RuneStart(b) {
			return pendingLen(s[len(s)-n:])
		}
	}
	return 0
}

// pendingLen returns len(p) when p, which starts with a non-continuation
// byte, is a proper prefix of a valid encoding, else 0.
func pendingLen(p string) int {
	want, lo, hi := 0, byte(0x80), byte(0xBF)
	switch b := p[0]; {
	case b >= 0xC2 && b <= 0xDF:
		want = 2
	case b == 0xE0:
		want, lo = 3, 0xA0
	case b == 0xED:
		want, hi = 3, 0x9F
	case b >= 0xE1 && b <= 0xEF:
		want = 3
	case b == 0xF0:
		want, lo = 4, 0x90
	case b >= 0xF1 && b <= 0xF3:
		want = 4
	case b == 0xF4:
		want, hi = 4, 0x8F
	default:
		return 0 // ASCII, or a byte that starts no character
	}
	if len(p) >= want {
		return 0
	}
	for i := 1; i < len(p); i++ {
		if p[i] < lo || p[i] > hi {
			return 0
		}
		lo, hi = 0x80, 0xBF
	}
	return len(p)
}
