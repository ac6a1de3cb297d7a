//go:build ignore

// A generator, as go generate runs it: not part of the package.
package main

func Generated() {}
