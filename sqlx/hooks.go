package sqlx

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Method is the database/sql call a statement span stands for.
type Method string

const (
	// MethodExec is ExecContext (Exec), on a DB, Conn, Tx or Stmt.
	MethodExec Method = "exec"
	// MethodQuery is QueryContext (Query, QueryRow), on a DB, Conn, Tx
	// or Stmt.
	MethodQuery Method = "query"
	// MethodPrepare is PrepareContext for a statement that failed to
	// prepare: its span is the statement's, since no execution follows
	// (a statement that prepares gets its span when it runs).
	MethodPrepare Method = "prepare"
)

// Statement is what a hook learns of the statement of a span. It never
// holds the statement's bound arguments (the values passed with ? or $1),
// nor the SQL comment of WithSQLCommenter: bound arguments never reach a
// hook, as they never reach a span.
type Statement struct {
	// Method is the call that runs the statement.
	Method Method
	// Text is the statement as db.statement / db.query.text records it,
	// without the SQL comment: with its literals masked when
	// WithSanitizeLiterals is on, as the application wrote it otherwise.
	Text string
	// Operation is db.operation (SELECT, INSERT, ...), "" when the
	// statement has none sqlx can read.
	Operation string
	// Table is db.sql.table, "" when sqlx is not sure of it.
	Table string
}

// StartHook is called with a statement just before the start of its span,
// with the caller's context. The attributes it returns are given to the
// tracer at the start (trace.WithAttributes), so the sampler sees them in
// its parameters, and they are on the span. It runs on the goroutine that
// runs the statement, before the statement is sent (but for a statement
// that failed to prepare, whose span starts after the failure); it is
// called for every statement span, sampled or not, and only when a hook
// is set does sqlx read the statement for it.
type StartHook func(ctx context.Context, s Statement) []attribute.KeyValue

// EndHook is called with a recorded statement span just before it ends,
// after sqlx has set its attributes and, on failure, its status and
// exception event: span can take more attributes or events. rows is the
// number of rows the statement changed (MethodExec, the driver's
// RowsAffected) or read (MethodQuery, counted until the rows are closed),
// -1 when the driver does not say; err is the statement's error, nil on
// success. Its text (Error) is the one the span records, scrubbed of the
// bound arguments (and of the literals with WithSanitizeLiterals) when the
// driver's text echoes them; errors.Is and errors.As reach the driver's
// error beneath. It must not end the span.
type EndHook func(span trace.Span, s Statement, rows int64, err error)

// WithStartHook sets the hook called before the start of every statement
// span (see StartHook), Python's DB-API request_hook but run before the
// start, so that the attributes it returns reach the sampler. The last of
// several of these options wins; nil removes it.
func WithStartHook(hook StartHook) Option {
	return optionFunc(func(c *config) { c.startHook = hook })
}

// WithEndHook sets the hook called with every recorded statement span just
// before it ends (see EndHook), Python's DB-API response_hook. The last of
// several of these options wins; nil removes it.
func WithEndHook(hook EndHook) Option {
	return optionFunc(func(c *config) { c.endHook = hook })
}

// statementOf is the Statement of query run by m, for the hooks.
func (d *dbInfo) statementOf(m Method, st parsed) Statement {
	return Statement{Method: m, Text: st.text, Operation: st.operation, Table: st.table}
}
