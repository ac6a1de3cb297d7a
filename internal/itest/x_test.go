package itest

import "testing"

func TestX(t *testing.T) {}
