// Package redisx gives any go-redis v9 client the Redis spans of the
// telemetry spec with one call:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis-master:6379"})
//	if err := redisx.Instrument(rdb); err != nil {
//		return err
//	}
//
// Every command is then a client span named redis.command, a child of the
// span in the command's context, with the keys
//
//	db.system                redis
//	db.connection_string     redis://redis-master:6379/0 (never a password)
//	db.operation             LRANGE
//	db.redis.database_index  0
//	db.redis.command         LRANGE api_logs 0 -1
//	server.address, server.port
//
// A pipeline or a MULTI/EXEC transaction is one span named redis.pipeline
// whose db.operation lists the distinct command names (at most ten),
// db.redis.command the commands one per line and db.redis.num_cmd their
// number. Each new connection gets a redis.dial span; go-redis dials with a
// context of its own, so that span starts a trace of its own. The commands
// go-redis then sends to set the connection up (HELLO, CLIENT SETINFO,
// SELECT...) are children of the command that needed the connection; their
// failures, which go-redis tolerates or reports on that command, add an
// exception event but do not set their status to Error.
//
// # Secrets and size
//
// db.redis.command never shows a credential: the passwords of AUTH,
// HELLO ... AUTH and MIGRATE ... AUTH/AUTH2, the values of CONFIG SET
// requirepass and masterauth, the >password rules of ACL SETUSER are
// replaced by REDACTED whatever the options. WithValueMasking(true) also
// replaces by ? every argument that is not a key or a syntax keyword, as
// Redis's own command table (COMMAND INFO key specs, COMMAND DOCS tokens)
// tells them apart (SET k ? EX ?, SMOVE src dst ?), and every argument of a
// command that table does not know. Every argument is cut after
// DefaultMaxArgLen bytes and the text after DefaultMaxCommandLen
// (WithMaxArgLen, WithMaxCommandLen).
//
// # Errors
//
// A connection refused, a time-out or a Redis error reply ends the span with
// status Error and an exception event; redis.Nil (a missing key) is not an
// error. The error message is scrubbed of the masked arguments, which a
// server echoes when it rejects a command.
//
// # Hooks
//
// WithStartHook sets a function called before the start of every command
// and pipeline span with the caller's context and the Command (its name
// and its text as db.redis.command records it); the attributes it
// returns are given at the span's start, so the sampler sees them.
// WithEndHook sets one called with every recorded span just before it
// ends, with the Command and the error. A hook never sees the raw
// arguments: the text is the span's, credentials always masked (values
// too with WithValueMasking), and the error's text is scrubbed as the
// span's is. A pipeline or transaction makes one call of each, as it makes
// one span; the Command then lists its commands. Without hooks nothing is
// computed for them.
//
// # Conventions
//
// With OTEL_SEMCONV_STABILITY_OPT_IN=database (or WithSemconv) the spans
// follow the stable database conventions instead: named after the command
// (LRANGE), with
// db.system.name, db.query.text, db.operation.name, db.namespace (the
// database index), server.address and server.port, and error.type on
// failures. A pipeline span is then named MULTI (a transaction), PIPELINE
// (mixed commands) or "BATCH <command>" (the same command repeated), with
// db.operation.batch.size. database/dup emits both sets of keys, with the
// stable names.
//
// # Implementation
//
// redisx installs its own go-redis hook for the spans and uses redisotel
// (InstrumentMetrics) for the connection-pool metrics, registered with the
// meter provider of WithMeterProvider (the global one by default; WithMetrics
// turns them off). Like redisotel with WithCallerEnabled(false), it does not
// compute the caller's file and line unless WithCaller says so.
//
// Instrument each client once, right after creating it, and share the
// client: a client per request would also mean a hook and a connection pool
// per request.
//
// # Exceptions as logs
//
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, as the semantic conventions define
// it, chooses the signal of the exceptions above: unset, the span events;
// logs, a log record instead (db.client.operation.exception at severity
// WARN, under ScopeName) with exception.type, exception.message (the masked
// text of the span event) and the span's trace and span ids, through the
// global LoggerProvider (the API only; otelboot sets it); logs/dup, both.
// The variable is read at each exception, so a client built before
// otelboot.Start obeys it. WithExceptionSignal overrides the variable for
// one client.
//
// Every span, attribute key and metric the library emits, per
// OTEL_SEMCONV_STABILITY_OPT_IN mode, is listed in one document:
// [docs/telemetry.md].
//
// [docs/telemetry.md]: https://github.com/otelkit/otelkit/blob/main/docs/telemetry.md
package redisx
