package redact

import (
	"strings"
	"testing"
)

func TestURLString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://user:secret@host/p?token=abc&password=x", "http://user:REDACTED@host/p?token=REDACTED&password=REDACTED"},
		{"http://host/p?q=1&access_token=zzz", "http://host/p?q=1&access_token=REDACTED"},
		{"http://user@host/p", "http://user@host/p"},
		{"http://host/p?page=2", "http://host/p?page=2"},
		{"redis://:pw@h:6379/0", "redis://:REDACTED@h:6379/0"},
	}
	for _, tt := range tests {
		if got := URLString(tt.in); got != tt.want {
			t.Errorf("URLString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestURLStringMalformedNeverLeaks(t *testing.T) {
	got := URLString("http://user:sec%zzret@host/")
	if strings.Contains(got, "sec") {
		t.Errorf("leaked: %q", got)
	}
}
