package errtype

import (
	"errors"
	"io"
	"testing"
)

func TestWithText(t *testing.T) {
	if WithText(nil, "x") != nil {
		t.Error("nil error: want nil")
	}
	if got := WithText(io.EOF, io.EOF.Error()); got != io.EOF {
		t.Errorf("same text: got %v, want io.EOF itself", got)
	}
	secret := errors.New("duplicate entry 'Lq5Secret' for key")
	got := WithText(secret, "duplicate entry '?' for key")
	if got.Error() != "duplicate entry '?' for key" {
		t.Errorf("text %q", got.Error())
	}
	if !errors.Is(got, secret) {
		t.Error("errors.Is does not reach the original")
	}
}
