// Package sqlx traces database/sql: one span per SQL statement, with the
// keys of the project's telemetry spec, for any driver.
//
// Change sql.Open to sqlx.Open and nothing else:
//
//	db, err := sqlx.Open("mysql", "app:secret@tcp(db:3306)/shop?parseTime=true")
//
// Open the DB once, at start-up, and share it, as database/sql asks anyway;
// the tracer and meter providers (the global ones unless WithTracerProvider
// and WithMeterProvider say otherwise) and OTEL_SEMCONV_STABILITY_OPT_IN are
// read then.
//
// Every statement run with a context (QueryContext, ExecContext, a
// prepared statement, a statement inside a transaction) becomes a client
// span, a child of the span in that context, named "<system>.query"
// ("mysql.query") and carrying:
//
//	db.system             mysql, postgresql, sqlite (recognised from the driver; WithSystem otherwise)
//	db.connection_string  mysql://app@db:3306/shop: scheme, user, host, port, database; never a password
//	db.statement          the SQL text; never the statement's arguments (WithSanitizeLiterals masks literals)
//	db.operation          SELECT, INSERT, ...: the first keyword, after comments, parentheses and WITH
//	db.sql.table          the main table; absent when the parser is not sure
//	db.rows_affected      for Exec, Result.RowsAffected; for a query, the rows read
//
// WithSanitizeLiterals reads the statement as db.system's database reads
// it, with its default settings. For mysql, mariadb and tidb "text" is a
// string literal, a backslash escapes in strings, # starts a comment and
// -- only before white space. For postgresql (and cockroachdb) a
// backslash is a plain character in '...' but escapes in E'...',
// $$...$$ and $tag$...$tag$ are strings, /* */ comments nest, and # and
// [ are operators (ARRAY['x'] becomes ARRAY[?]). For mssql and sqlite
// [name] is an identifier and a backslash a plain character (#temp is a
// table name of SQL Server).
// For oracle q'[...]' is a string and a backslash a plain character.
// Outside MySQL "text" is an identifier, kept; -- and /* */ start
// comments everywhere, kept as written. MySQL's /*!NNNNN ... */ and
// MariaDB's /*M!NNNNNN ... */ are not comments, since the server may run
// their text: their literals are masked. /* */ comments nest in SQL
// Server too, and a -- comment ends at a carriage return in PostgreSQL.
// A quoted identifier that never closes runs to the end of the text,
// which is masked from it on (the server rejects the statement).
// For a system sqlx does not know, text that any of these readings takes
// for a literal is masked, which may mask more than the literals. Settings that change the reading
// (ANSI_QUOTES or NO_BACKSLASH_ESCAPES in MySQL,
// standard_conforming_strings off in PostgreSQL, QUOTED_IDENTIFIER OFF in
// SQL Server) are not seen.
//
// # Queries stay open until their rows are closed
//
// The span of a query ends when its rows are closed (rows.Close, the end of
// rows.Next, Row.Scan), so that it can carry the number of rows read, and
// its duration covers the reading of the result, as Python's DB-API
// instrumentation measures a buffered cursor. Close your rows, as
// database/sql asks anyway.
//
// # Errors
//
// A failing statement, or one that fails to prepare, sets the ERROR status
// and records an exception event, as does a deadline that passes. The
// database's error text goes into both, scrubbed: servers echo what they
// were sent ("Duplicate entry 'x' for key", "invalid input syntax for
// type integer: \"x\"", and MySQL's "near" quotes the statement from the error on), so every
// occurrence of a statement argument (its text, or its first four bytes
// or more; a shorter one where it stands between quotes, parentheses or
// spaces) becomes '?', in any mode. With WithSanitizeLiterals(true) the
// statement's literals are masked there the same way, and so is every
// quoted passage of the message that the recorded statement does not
// show. otelsql's extra spans get the same text where sqlx reaches them
// (connect, prepare); on the others an error whose text may echo (it
// holds a quote or a parenthesis) is not recorded. A
// cancelled context is the caller giving up: the exception event is
// recorded, the status stays unset. sql.ErrNoRows is made by database/sql
// above the driver: for the database the query succeeded with zero rows,
// and so says the span (db.rows_affected 0). A connection that cannot be
// opened (a database that is down) shows as an ERROR span
// "<system>.connect" under the caller's span, and the statement fails
// when the caller's context ends, never later.
//
// # Conventions
//
// OTEL_SEMCONV_STABILITY_OPT_IN=database switches to the stable database
// conventions: spans named "SELECT messages" ("{operation} {table}") with
// db.system.name, db.query.text, db.operation.name, db.collection.name,
// db.namespace, db.response.returned_rows, server.address and server.port
// (on failures, error.type and db.response.status_code: MySQL's error
// number, or the SQLSTATE of drivers that report one, such as pgx and
// lib/pq); database/dup
// emits both sets of keys with the stable names. WithSemconv overrides the
// variable.
//
// # SQL comments (sqlcommenter)
//
// WithSQLCommenter(true), or OTEL_GO_SQLCOMMENTER=true when the option is
// not given, appends a comment in the sqlcommenter format
// (https://google.github.io/sqlcommenter/spec/) to every statement sent,
// so that the database's own tools (MySQL's performance schema and
// process list, PostgreSQL's pg_stat_activity and pg_stat_statements, slow
// query logs) can join a statement to its trace:
//
//	SELECT * FROM users WHERE id = ? /*controller='get_user',db_driver='github.com%2Fgo-sql-driver%2Fmysql%3Av1.9.3',driver_paramstyle='qmark',framework='net%2Fhttp%3Ago1.25.1',route='%2Fusers%2F%7Bid%7D',traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01'*/
//
// Keys are sorted, values URL-encoded (everything but letters, digits and
// -_.~ as %XX), so the comment can hold no quote, no end of comment and
// no placeholder character; it goes at the end, before a trailing ;. The
// keys, named as the sqlcommenter spec and Python's Flask and DB-API
// commenters name them: traceparent (and tracestate when there is one) of
// the statement's own span, sampled or not (flags 00), as Python's DB-API
// commenter gives the span it is inside, so that a database-side tool
// joins the statement to that very span (sqlx starts the span before it
// sends the statement; a driver's driver.ErrSkip hands the span and its
// comment on to the prepared statement database/sql runs instead);
// route, the route pattern (http.route) of the httpx server span the
// statement runs under; controller, the endpoint name of its handler (the
// flask.endpoint value, as Python's Flask commenter gives the endpoint;
// sqlcommenter's action, the second half of a Rails-style
// controller#action, has no net/http counterpart and is never emitted);
// framework, "net/http:<Go release>" under an httpx server span (Flask's
// is "flask:<version>"); httpx hands the three over through its request's
// context once a DB with the commenter is opened; db_driver, the driver's
// module path and version from the binary's build information (the
// package path when there is none); driver_paramstyle, "qmark" (MySQL,
// SQLite) or "numeric" (PostgreSQL's $1). Python's dbapi_level,
// dbapi_threadsafety, mysql_client_version and libpq_version have no Go
// counterpart and are never emitted; SQLCommenterOptions leaves out the
// others one by one.
//
// A statement is left as it is when it holds a comment already
// (sqlcommenter's rule: any /*, */ or --, and in MySQL #, even inside a
// literal), which keeps the comment away from MySQL's /*! and MariaDB's
// /*M! comments that the server executes; when it is empty; and when it
// ends inside a string or quoted name that it never closes. A statement
// prepared with Prepare carries the comment of the context it was
// prepared in (the traceparent of the preparer's span: a prepared
// statement is sent once, before any of its runs has a span). The statement cache, the span name and db.statement /
// db.query.text use the statement without the comment, unless
// SQLCommenterOptions.InAttributes asks for the comment there too
// (Python's enable_attribute_commenter). Off, the commenter costs
// nothing; on, three allocations per statement.
//
// # Hooks
//
// WithStartHook sets a function called before the start of every
// statement span with the caller's context and the Statement (the method,
// the text as db.statement records it, the operation and the table); the
// attributes it returns are given at the span's start, so the sampler
// sees them. WithEndHook sets one called with every recorded statement
// span just before it ends, with the Statement, the rows changed or read
// and the error. A hook never receives a statement's bound arguments: not
// in the Statement, and not in the error's text, scrubbed as the span's
// is. Without hooks nothing is computed for them.
//
// # Built on otelsql
//
// sqlx runs beneath github.com/XSAM/otelsql, which keeps its
// db.client.operation.duration histogram and offers its connection, reset
// session, prepare, rows, ping and transaction spans through
// WithExtraSpans; none of them is emitted by default. The statement spans
// are sqlx's own: otelsql ends a query's span before the rows are read,
// names spans after driver methods and would leave an empty span behind
// when a driver answers driver.ErrSkip. Open and OpenDB register the
// connection-pool metrics db.client.connection.count and
// db.client.connection.max, and otelsql's db.sql.connection.*, with the
// meter provider, until the DB is closed.
//
// # Exceptions as logs
//
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, as the semantic conventions define
// it, chooses the signal of the exceptions above, otelsql's on its extra
// spans included: unset, the span events; logs, a log record instead
// (db.client.operation.exception at severity WARN, under the scope of the
// span's tracer) with exception.type, exception.message (the masked text of
// the span event) and the span's trace and span ids, through the global
// LoggerProvider (the API only; otelboot sets it); logs/dup, both. The
// variable is read at each exception, so a DB built before otelboot.Start
// obeys it. WithExceptionSignal overrides the variable for one DB.
//
// Every span, attribute key and metric the library emits, per
// OTEL_SEMCONV_STABILITY_OPT_IN mode, is listed in one document:
// [docs/telemetry.md].
//
// [docs/telemetry.md]: https://github.com/otelkit/otelkit/blob/main/docs/telemetry.md
package sqlx
