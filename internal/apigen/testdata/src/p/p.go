package p

import "io"

// Mode is a mode.
type Mode uint8

const (
	A Mode = iota
	B
	c
)

const Name = "p"

var Err error

type S struct {
	X, y int
	io.Reader
	z string
}

type I interface {
	M(a int, b string) (n int, err error)
	m()
}

func F(w io.Writer, xs ...int) error { return nil }

func (s *S) Do(ctx any) {}

func (s *S) do() {}

type hidden struct{}

func (hidden) Exported() {}

type G[T any] struct{ V T }
