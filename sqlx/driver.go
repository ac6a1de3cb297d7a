package sqlx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// The wrappers below sit beneath otelsql: database/sql -> otelsql -> sqlx ->
// driver. otelsql keeps its metrics and its optional spans; sqlx makes the
// one span per statement. The span starts before the statement is sent
// (with the statement's start time), so that the SQL comment can carry
// its id and the start hook runs before the statement. A driver may
// answer driver.ErrSkip (go-sql-driver/mysql does for every statement
// with arguments unless interpolateParams is set) and database/sql then
// runs the statement again through a prepared statement on the same
// connection: the span and its comment are handed on to it (conn.held),
// so that no empty span is left behind. For queries the span stays open
// until the rows are closed, so that it can carry the number of rows
// read.

var (
	_ driver.Connector          = (*connector)(nil)
	_ io.Closer                 = (*connector)(nil)
	_ driver.Driver             = (*wrappedDriver)(nil)
	_ driver.DriverContext      = (*wrappedDriverContext)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
	_ driver.StmtExecContext    = (*stmt)(nil)
	_ driver.StmtQueryContext   = (*stmt)(nil)
	_ driver.NamedValueChecker  = (*stmt)(nil)
	_ driver.RowsNextResultSet  = (*rows)(nil)
)

// connector wraps a driver.Connector.
type connector struct {
	inner  driver.Connector
	info   *dbInfo
	driver driver.Driver

	mu   sync.Mutex
	regs []metric.Registration
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	start := time.Now()
	cn, err := c.inner.Connect(ctx)
	if err != nil {
		if c.info.cfg.extra&ExtraConnect == 0 {
			c.info.connectErrorSpan(ctx, start, err)
		} else {
			c.info.recordExtraError(ctx, err, "")
		}
		return nil, err
	}
	return &conn{Conn: cn, info: c.info}, nil
}

func (c *connector) Driver() driver.Driver { return c.driver }

// Close unregisters the pool metrics and closes the inner connector when
// it is an io.Closer; database/sql calls it from DB.Close.
func (c *connector) Close() error {
	c.mu.Lock()
	regs := c.regs
	c.regs = nil
	c.mu.Unlock()
	var errs []error
	for _, r := range regs {
		errs = append(errs, r.Unregister())
	}
	if cl, ok := c.inner.(io.Closer); ok {
		errs = append(errs, cl.Close())
	}
	return errors.Join(errs...)
}

func (c *connector) addRegistration(r metric.Registration) {
	c.mu.Lock()
	c.regs = append(c.regs, r)
	c.mu.Unlock()
}

// dsnConnector is the connector of a driver without driver.DriverContext.
type dsnConnector struct {
	dsn string
	d   driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

// wrappedDriver is what WrapDriver returns for a driver without
// driver.DriverContext; wrappedDriverContext adds OpenConnector.
type wrappedDriver struct {
	inner  driver.Driver
	cfg    *config
	system string

	infos sync.Map // dsn -> *dbInfo
}

type wrappedDriverContext struct{ *wrappedDriver }

func (d *wrappedDriver) infoFor(dsn string) *dbInfo {
	if v, ok := d.infos.Load(dsn); ok {
		return v.(*dbInfo)
	}
	v, _ := d.infos.LoadOrStore(dsn, newDBInfo(d.cfg, d.system, dsn, d.inner))
	return v.(*dbInfo)
}

func (d *wrappedDriver) Open(dsn string) (driver.Conn, error) {
	info := d.infoFor(dsn)
	start := time.Now()
	cn, err := d.inner.Open(dsn)
	if err != nil {
		if d.cfg.extra&ExtraConnect == 0 {
			info.connectErrorSpan(context.Background(), start, err)
		}
		return nil, err
	}
	return &conn{Conn: cn, info: info}, nil
}

func (d wrappedDriverContext) OpenConnector(dsn string) (driver.Connector, error) {
	c, err := d.inner.(driver.DriverContext).OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &connector{inner: c, info: d.infoFor(dsn), driver: d}, nil
}

// conn wraps a driver.Conn. It implements the optional interfaces
// otelsql's own connection implements, with the same fallbacks.
type conn struct {
	driver.Conn
	info *dbInfo
	// held is the statement whose exec or query the driver answered
	// driver.ErrSkip (go-sql-driver/mysql does for a statement with
	// arguments unless interpolateParams is set): database/sql prepares
	// it next on this connection and runs the prepared statement, which
	// takes over its span and comment. database/sql calls the driver
	// under the connection's lock, so no two calls touch held at once.
	held      began
	heldQuery string
	holding   bool
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// hold keeps b, the statement of query that the driver skipped, for the
// prepared statement database/sql runs instead. A statement still held
// (database/sql did not prepare it: never seen, but a Tx used from two
// goroutines could interleave) has its span ended first.
func (c *conn) hold(query string, b began) {
	c.release()
	if b.span == nil && b.comment == "" {
		return
	}
	c.held, c.heldQuery, c.holding = b, query, true
}

// take returns the statement held for query, if any.
func (c *conn) take(query string) (began, bool) {
	if !c.holding || c.heldQuery != query {
		return began{}, false
	}
	b := c.held
	c.held, c.heldQuery, c.holding = began{}, "", false
	return b, true
}

// release ends the span of a statement still held.
func (c *conn) release() {
	if !c.holding {
		return
	}
	if c.held.span != nil {
		c.held.span.End()
	}
	c.held, c.heldQuery, c.holding = began{}, "", false
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ec, isCtx := c.Conn.(driver.ExecerContext)
	//lint:ignore SA1019 the legacy interface, which database/sql supports too
	e, isLegacy := c.Conn.(driver.Execer)
	if !isCtx && !isLegacy {
		return nil, driver.ErrSkip
	}
	start := time.Now()
	b := c.info.begin(ctx, start, MethodExec, query, false, "")
	var (
		res driver.Result
		err error
	)
	if isCtx {
		res, err = ec.ExecContext(ctx, b.sent, args)
	} else {
		var dargs []driver.Value
		if dargs, err = namedValueToValue(args); err == nil {
			res, err = e.Exec(b.sent, dargs)
		}
	}
	if errors.Is(err, driver.ErrSkip) {
		c.hold(query, b)
		return res, err
	}
	c.info.endExec(b, query, args, res, err)
	return res, err
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	qc, isCtx := c.Conn.(driver.QueryerContext)
	//lint:ignore SA1019 the legacy interface, which database/sql supports too
	q, isLegacy := c.Conn.(driver.Queryer)
	if !isCtx && !isLegacy {
		return nil, driver.ErrSkip
	}
	start := time.Now()
	b := c.info.begin(ctx, start, MethodQuery, query, false, "")
	var (
		r   driver.Rows
		err error
	)
	if isCtx {
		r, err = qc.QueryContext(ctx, b.sent, args)
	} else {
		var dargs []driver.Value
		if dargs, err = namedValueToValue(args); err == nil {
			r, err = q.Query(b.sent, dargs)
		}
	}
	if errors.Is(err, driver.ErrSkip) {
		c.hold(query, b)
		return r, err
	}
	return c.info.endQuery(b, query, args, r, err), err
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	start := time.Now()
	held, isHeld := c.take(query)
	sent, comment := query, ""
	if isHeld {
		sent, comment = held.sent, held.comment
	} else {
		sent, comment = c.info.commented(ctx, query)
	}
	var (
		s   driver.Stmt
		err error
	)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, sent)
	} else {
		s, err = c.Conn.Prepare(sent)
		if err == nil && ctx.Err() != nil {
			err = errors.Join(ctx.Err(), s.Close())
			s = nil
		}
	}
	if err != nil {
		if isHeld {
			// The statement database/sql was to run fails here.
			if held.span != nil {
				c.info.endSpan(held.span, c.info.stmtAttrs(nil, held.st), err, held.method, query, nil, -1)
			}
		} else {
			c.prepareFailed(ctx, start, query, comment, err)
		}
		return nil, err
	}
	st := &stmt{Stmt: s, conn: c, query: query, comment: comment}
	if isHeld {
		st.held, st.holding = held, true
	}
	return st, nil
}

// prepareFailed reports a statement that failed to prepare (a syntax error,
// a missing table) as the statement's ERROR span, since no execution will
// follow; with ExtraPrepare on, otelsql's prepare span shows it instead.
// The span starts after the failure: a successful preparation has no span
// of sqlx's, so the comment of a prepared statement carries the
// preparer's span id.
func (c *conn) prepareFailed(ctx context.Context, start time.Time, query, comment string, err error) {
	if errors.Is(err, driver.ErrSkip) {
		return
	}
	if c.info.cfg.extra&ExtraPrepare != 0 {
		c.info.recordExtraError(ctx, err, query)
		return
	}
	if b := c.info.begin(ctx, start, MethodPrepare, query, true, comment); b.span != nil {
		c.info.endSpan(b.span, c.info.stmtAttrs(nil, b.st), err, MethodPrepare, query, nil, -1)
	}
}

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	s, err := c.Conn.Prepare(query)
	if err != nil {
		return nil, err
	}
	return &stmt{Stmt: s, conn: c, query: query}, nil
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	if opts.Isolation != driver.IsolationLevel(sql.LevelDefault) {
		return nil, errors.New("sqlx: driver does not support non-default isolation level")
	}
	if opts.ReadOnly {
		return nil, errors.New("sqlx: driver does not support read-only transactions")
	}
	//lint:ignore SA1019 the fallback database/sql uses too
	tx, err := c.Conn.Begin()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, errors.Join(err, tx.Rollback())
	}
	return tx, nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	c.release()
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *conn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close closes the driver's connection, ending the span of a statement
// still held.
func (c *conn) Close() error {
	c.release()
	return c.Conn.Close()
}

// Raw returns the driver's connection, for sql.Conn.Raw users that assert
// on the driver's own type.
func (c *conn) Raw() driver.Conn { return c.Conn }

// stmt wraps a driver.Stmt.
type stmt struct {
	driver.Stmt
	conn  *conn
	query string
	// comment is the SQL comment the statement was prepared with: a
	// prepared statement is sent once, with its preparer's context.
	comment string
	// held is the statement database/sql prepared after the driver
	// skipped it (see conn.held): its first run takes over its span.
	held    began
	holding bool
}

// begin returns the span of a run of s: the held one first, else a new
// one.
func (s *stmt) begin(ctx context.Context, start time.Time, m Method) began {
	if s.holding {
		b := s.held
		s.held, s.holding = began{}, false
		return b
	}
	return s.conn.info.begin(ctx, start, m, s.query, true, s.comment)
}

// Close closes the driver's statement, ending a held span never run.
func (s *stmt) Close() error {
	if s.holding && s.held.span != nil {
		s.held.span.End()
	}
	s.held, s.holding = began{}, false
	return s.Stmt.Close()
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	start := time.Now()
	b := s.begin(ctx, start, MethodExec)
	var (
		res driver.Result
		err error
	)
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		res, err = e.ExecContext(ctx, args)
	} else {
		var dargs []driver.Value
		if dargs, err = namedValueToValue(args); err == nil {
			if err = ctx.Err(); err == nil {
				res, err = s.Exec(dargs)
			}
		}
	}
	s.conn.info.endExec(b, s.query, args, res, err)
	return res, err
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	start := time.Now()
	b := s.begin(ctx, start, MethodQuery)
	var (
		r   driver.Rows
		err error
	)
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		r, err = q.QueryContext(ctx, args)
	} else {
		var dargs []driver.Value
		if dargs, err = namedValueToValue(args); err == nil {
			if err = ctx.Err(); err == nil {
				r, err = s.Query(dargs)
			}
		}
	}
	return s.conn.info.endQuery(b, s.query, args, r, err), err
}

func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	// As otelsql does: fall back to the connection's checker, which
	// database/sql would have used had the statement not implemented one.
	return s.conn.CheckNamedValue(nv)
}

func (d *dbInfo) endExec(b began, query string, args []driver.NamedValue, res driver.Result, err error) {
	if b.span == nil {
		return
	}
	attrs := d.stmtAttrs(nil, b.st)
	rows := int64(-1)
	if err == nil && res != nil {
		if n, rerr := res.RowsAffected(); rerr == nil {
			attrs, rows = d.rowsAttrs(attrs, n, false), n
		}
	}
	d.endSpan(b.span, attrs, err, MethodExec, query, args, rows)
}

func (d *dbInfo) endQuery(b began, query string, args []driver.NamedValue, r driver.Rows, err error) driver.Rows {
	if b.span == nil {
		return r
	}
	if err != nil {
		d.endSpan(b.span, d.stmtAttrs(nil, b.st), err, MethodQuery, query, args, -1)
		return r
	}
	// One allocation for the wrapper and the attributes it will set.
	w := &rows{Rows: r, span: b.span, info: d, query: query, args: args}
	w.attrs = d.stmtAttrs(w.buf[:0], b.st)
	return w
}

// rows counts the rows read and ends the statement's span on Close.
type rows struct {
	driver.Rows
	span  trace.Span
	attrs []attribute.KeyValue
	// buf holds the attributes of the stable conventions (10 with an
	// error) and one of WithAttributes without another allocation; 11
	// keeps rows in the 896-byte size class (with the allocator's
	// 8-byte header), as before it held the statement's query and args.
	buf  [11]attribute.KeyValue
	info *dbInfo
	n    int64
	err  error
	// query and args are the statement's, for the error text.
	query string
	args  []driver.NamedValue
}

func (r *rows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	switch {
	case err == nil:
		r.n++
	case err != io.EOF && r.err == nil:
		r.err = err
	}
	return err
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	if r.span != nil {
		if r.err == nil {
			r.err = err
		}
		r.info.endSpan(r.span, r.info.rowsAttrs(r.attrs, r.n, true), r.err, MethodQuery, r.query, r.args, r.n)
		r.span, r.attrs, r.args = nil, nil, nil
	}
	return err
}

func (r *rows) HasNextResultSet() bool {
	if v, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return v.HasNextResultSet()
	}
	return false
}

func (r *rows) NextResultSet() error {
	if v, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return v.NextResultSet()
	}
	return io.EOF
}

func (r *rows) ColumnTypeScanType(index int) reflect.Type {
	if v, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return v.ColumnTypeScanType(index)
	}
	return reflect.TypeFor[any]()
}

func (r *rows) ColumnTypeDatabaseTypeName(index int) string {
	if v, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return v.ColumnTypeDatabaseTypeName(index)
	}
	return ""
}

func (r *rows) ColumnTypeLength(index int) (int64, bool) {
	if v, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return v.ColumnTypeLength(index)
	}
	return 0, false
}

func (r *rows) ColumnTypeNullable(index int) (bool, bool) {
	if v, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return v.ColumnTypeNullable(index)
	}
	return false, false
}

func (r *rows) ColumnTypePrecisionScale(index int) (int64, int64, bool) {
	if v, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return v.ColumnTypePrecisionScale(index)
	}
	return 0, 0, false
}

// namedValueToValue is database/sql's conversion for drivers without the
// context interfaces.
func namedValueToValue(named []driver.NamedValue) ([]driver.Value, error) {
	dargs := make([]driver.Value, len(named))
	for n, p := range named {
		if p.Name != "" {
			return nil, errors.New("sqlx: driver does not support the use of Named Parameters")
		}
		dargs[n] = p.Value
	}
	return dargs, nil
}

// commented returns the text to send for query run in ctx and the SQL
// comment appended to it ("" for none): query itself unless the commenter
// is on and the statement may take a comment. The statement's parse (and
// its cache entry) stays keyed on query.
func (d *dbInfo) commented(ctx context.Context, query string) (sent, comment string) {
	if d.cm == nil {
		return query, ""
	}
	if !d.parses.get(query, d.cfg.sanitize).commentable {
		return query, ""
	}
	if comment = d.cm.comment(ctx, trace.SpanContextFromContext(ctx)); comment == "" {
		return query, ""
	}
	return insertComment(query, comment), comment
}
