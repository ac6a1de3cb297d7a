// Package itest holds the tests of otelkit's wrappers that need an embedded
// backend (SQLite, an in-process Redis, kfake). It is its own module so that
// those heavy test-only dependencies stay out of the library's go.mod.
package itest
