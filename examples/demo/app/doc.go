// Package app is the hyunwoo demo service of the telemetry spec, as a package
// that main and the tests start in-process:
//
//	a, err := app.New(ctx, cfg) // opens or embeds the backends, prints the start-up lines
//	err = a.Run(ctx)            // serves until ctx ends, then drains and closes
//
// The routes are those of the spec's table (see routes in handlers.go).
// The backends are MySQL/MariaDB, Redis, Kafka and an external HTTP API when
// Config names them, and embedded stand-ins when it does not: SQLite
// (modernc.org/sqlite, pure Go), miniredis, a kfake cluster and a loopback
// server answering /api/data.
//
// Only instrument.go knows about OpenTelemetry: it wraps the router and the
// clients with httpx, sqlx, redisx and kafkax. The handlers pass the
// request's context to every call and to slog, and that is all it takes for
// each query, command, record and outgoing call to be a child of the
// request's span and for each log line to carry its trace id.
package app
