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

// Valid is utf8.ValidString with a faster path for ASCII, which
// nearly every attribute is: it ORs eight bytes at a time and leaves any
// string with a byte above 0x7F to utf8.ValidString.
func Valid(s string) bool {
	for len(s) >= 8 {
		if (s[0]|s[1]|s[2]|s[3]|s[4]|s[5]|s[6]|s[7])&0x80 != 0 {
			return utf8.ValidString(s)
		}
		s = s[8:]
	}
	var acc byte
	for i := 0; i < len(s); i++ {
		acc |= s[i]
	}
	return acc < utf8.RuneSelf || utf8.ValidString(s)
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
