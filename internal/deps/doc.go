// Package deps holds the tests of what the library links: no package of
// otelkit registers a database/sql driver or links a database driver, and
// the packages that have nothing to do with SQL (httpx, redisx) link no SQL
// code at all. It has no code of its own.
package deps
