package sqlx

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	sqldsn "github.com/otelkit/otelkit/internal/dsn"
	"github.com/otelkit/otelkit/internal/errtype"
	"github.com/otelkit/otelkit/internal/semconv"
)

// dbInfo is what every span of one database (one DSN) shares. It is built
// once per connector, never per statement.
type dbInfo struct {
	cfg       *config
	system    string
	spanName  string // old-mode span name, "<system>.query"
	namespace string
	// connString is the password-free connection string (or the system
	// when there is none).
	connString string
	base       []attribute.KeyValue // keys common to every span
	parses     parseCache
	// cm builds the SQL comments; nil when the commenter is off.
	cm *commenter
}

func newDBInfo(cfg *config, system, dsn string, drv driver.Driver) *dbInfo {
	if cfg.system != "" {
		system = cfg.system
	}
	if cfg.dsnSet {
		dsn = cfg.dsn
	}
	if system == "" {
		system = "other_sql"
	}
	info, _ := sqldsn.Parse(system, dsn)
	info.Scheme = system
	d := &dbInfo{cfg: cfg, system: system, spanName: system + ".query", connString: firstNonEmpty(info.String(), system)}
	d.parses.dialect = dialectOf(system)
	if cfg.commenter && drv != nil {
		d.cm = newCommenter(cfg.commenterOpts, drv, system)
		d.parses.commenter = true
	}
	if system != "sqlite" { // an SQLite file name is no namespace
		d.namespace = info.Database
	}
	m := cfg.mode
	if semconv.EmitOld(m) {
		d.base = append(d.base, semconv.DBSystemKey.String(system))
		if cs := info.String(); cs != "" {
			d.base = append(d.base, semconv.DBConnectionStringKey.String(cs))
		}
	}
	if semconv.EmitStable(m) {
		d.base = append(d.base, semconv.DBSystemNameKey.String(system))
		if d.namespace != "" {
			d.base = append(d.base, semconv.DBNamespaceKey.String(d.namespace))
		}
		if info.Host != "" && !strings.HasPrefix(info.Host, "/") {
			d.base = append(d.base, semconv.ServerAddressKey.String(info.Host))
			if info.Port != 0 {
				d.base = append(d.base, semconv.ServerPortKey.Int(info.Port))
			}
		}
	}
	d.base = append(d.base, cfg.attrs...)
	return d
}

var clientKind = trace.WithSpanKind(trace.SpanKindClient)

// began is a statement whose span has started.
type began struct {
	// span is nil when it is not recording (it has been ended then:
	// nothing to add to it).
	span trace.Span
	st   parsed
	// sent is the text to send: the query with the SQL comment appended,
	// or the query itself.
	sent string
	// comment is the SQL comment appended ("" for none).
	comment string
	// method is the call the span was started for.
	method Method
}

// begin starts the span of a statement run by m that began at start,
// before the statement is sent, so that the SQL comment carries the span's
// own id. A statement prepared before (prepared) is sent with the comment
// of its preparation, prepComment; any other is given one here when the
// commenter is on and the statement may take one.
func (d *dbInfo) begin(ctx context.Context, start time.Time, m Method, query string, prepared bool, prepComment string) began {
	mode := d.cfg.mode
	var st parsed
	done := false
	name := d.spanName
	if semconv.StableNames(mode) || d.cm != nil || d.cfg.startHook != nil {
		st, done = d.parses.get(query, d.cfg.sanitize), true
	}
	if semconv.StableNames(mode) {
		name = semconv.DBSpanName(mode, d.spanName, d.system, st.operation, firstNonEmpty(st.table, d.namespace))
	}
	var span trace.Span
	if d.cfg.startHook != nil {
		span = d.startHooked(ctx, start, name, d.statementOf(m, st))
	} else {
		_, span = d.cfg.tracer.Start(ctx, name, clientKind, trace.WithTimestamp(start))
	}
	b := began{sent: query, comment: prepComment, method: m}
	if !prepared && d.cm != nil && st.commentable {
		// The span's own context: a database-side tool joins the
		// statement to this very span. An unsampled span has one too
		// (flags 00); under a no-op tracer it is the caller's.
		sc := span.SpanContext()
		if !sc.IsValid() {
			sc = trace.SpanContextFromContext(ctx)
		}
		b.comment = d.cm.comment(ctx, sc)
	}
	if b.comment != "" && !prepared {
		b.sent = insertComment(query, b.comment)
	}
	if !span.IsRecording() {
		span.End()
		return b
	}
	if !done {
		st = d.parses.get(query, d.cfg.sanitize)
	}
	if b.comment != "" && d.cm.opts.InAttributes {
		st.text = insertComment(st.text, b.comment)
	}
	b.span, b.st = span, st
	return b
}

// startHooked starts a span with the attributes of the start hook.
func (d *dbInfo) startHooked(ctx context.Context, start time.Time, name string, s Statement) trace.Span {
	attrs := d.cfg.startHook(ctx, s)
	if len(attrs) == 0 {
		_, span := d.cfg.tracer.Start(ctx, name, clientKind, trace.WithTimestamp(start))
		return span
	}
	_, span := d.cfg.tracer.Start(ctx, name, clientKind, trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	return span
}

// stmtAttrs appends the keys of a statement to dst.
func (d *dbInfo) stmtAttrs(dst []attribute.KeyValue, st parsed) []attribute.KeyValue {
	m := d.cfg.mode
	text := st.text
	if dst == nil {
		// Room for the statement's keys and the rows or error keys.
		dst = make([]attribute.KeyValue, 0, len(d.base)+8)
	}
	attrs := append(dst, d.base...)
	if semconv.EmitOld(m) {
		attrs = append(attrs, semconv.DBStatementKey.String(text))
		if st.operation != "" {
			attrs = append(attrs, semconv.DBOperationKey.String(st.operation))
		}
		if st.table != "" {
			attrs = append(attrs, semconv.DBSQLTableKey.String(st.table))
		}
	}
	if semconv.EmitStable(m) {
		attrs = append(attrs, semconv.DBQueryTextKey.String(text))
		if st.operation != "" {
			attrs = append(attrs, semconv.DBOperationNameKey.String(st.operation))
		}
		if st.table != "" {
			attrs = append(attrs, semconv.DBCollectionNameKey.String(st.table))
		}
	}
	return attrs
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// rowsAttrs appends the rows a statement changed (exec) or read (query).
func (d *dbInfo) rowsAttrs(attrs []attribute.KeyValue, n int64, query bool) []attribute.KeyValue {
	m := d.cfg.mode
	if semconv.EmitOld(m) {
		attrs = append(attrs, semconv.DBRowsAffectedKey.Int64(n))
	}
	if semconv.EmitStable(m) && query {
		attrs = append(attrs, semconv.DBResponseReturnedRowsKey.Int64(n))
	}
	return attrs
}

// endSpan records err (if any), the error of statement query run by m
// with args, sets attrs, calls the end hook (rows is the rows changed or
// read, -1 when unknown) and ends span.
func (d *dbInfo) endSpan(span trace.Span, attrs []attribute.KeyValue, err error, m Method, query string, args []driver.NamedValue, rows int64) {
	if err != nil {
		attrs = d.recordError(span, attrs, err, query, args)
	}
	span.SetAttributes(attrs...)
	if d.cfg.endHook != nil && m != "" { // not for a connect span: no statement
		if err != nil {
			err = errtype.WithText(err, d.errorText(err, query, args))
		}
		d.cfg.endHook(span, d.statementOf(m, d.parses.get(query, d.cfg.sanitize)), rows, err)
	}
	span.End()
}

// recordError records err on span and returns attrs with the stable error
// keys added (error.type by the one rule of internal/errtype, and the
// server's code as db.response.status_code when it sent one). A cancelled
// context is the caller giving up, not a database failure: it is recorded
// as an exception event (with error.type "canceled") and leaves the status
// unset. Every other error, a deadline that passed included, sets the
// ERROR status. The text recorded is errorText's: scrubbed of the
// statement's arguments, and of its literals when sanitising.
func (d *dbInfo) recordError(span trace.Span, attrs []attribute.KeyValue, err error, query string, args []driver.NamedValue) []attribute.KeyValue {
	msg := d.errorText(err, query, args)
	d.recordException(span, err, msg)
	if semconv.EmitStable(d.cfg.mode) {
		if code := responseStatusCode(err); code != "" {
			attrs = append(attrs, semconv.DBResponseStatusCodeKey.String(code), semconv.ErrorTypeKey.String(code))
		} else {
			attrs = append(attrs, semconv.ErrorTypeKey.String(errtype.Of(err)))
		}
	}
	if errors.Is(err, context.Canceled) {
		return attrs
	}
	span.SetStatus(codes.Error, msg)
	return attrs
}

// responseStatusCode is the database's own code for err, as the stable
// conventions' db.response.status_code wants it: MySQL's error number, or
// the SQLSTATE of drivers that report one; "" when err carries neither.
func responseStatusCode(err error) string { return errtype.ServerCode(err) }

// recordable is otelsql's RecordError filter for its extra spans, with the
// same rule as recordError (it cannot leave the status unset while
// recording the event, so a cancellation is not recorded there). otelsql
// records the error's text as it is: an error whose text may echo what
// the database was sent (it holds a quote or a parenthesis, as every
// MySQL error does) is left to recordExtraError.
func recordable(err error) bool {
	return !errors.Is(err, context.Canceled) && !strings.ContainsAny(err.Error(), "'\"`(")
}

// recordExtraError records err, scrubbed as errorText does, on otelsql's
// extra span in ctx (the connect or prepare span sqlx runs beneath) when
// recordable left it to sqlx.
func (d *dbInfo) recordExtraError(ctx context.Context, err error, query string) {
	if recordable(err) || errors.Is(err, context.Canceled) || errors.Is(err, driver.ErrSkip) {
		return
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	msg := d.errorText(err, query, nil)
	d.recordException(span, err, msg)
	span.SetStatus(codes.Error, msg)
}

// connectErrorSpan reports a connection that failed as an ERROR span
// "<system>.connect" in the caller's context, so that a database that is
// down is visible even though connection spans are off.
func (d *dbInfo) connectErrorSpan(ctx context.Context, start time.Time, err error) {
	_, span := d.cfg.tracer.Start(ctx, d.system+".connect", clientKind, trace.WithTimestamp(start))
	if !span.IsRecording() {
		span.End()
		return
	}
	d.endSpan(span, append([]attribute.KeyValue(nil), d.base...), err, "", "", nil, -1)
}

// recordException records the exception of err, whose text is msg, on span
// (see dbException) on the signals of WithExceptionSignal or the
// environment: the SDK's own event when msg is err's text, the same event
// with msg otherwise, and/or the log record with msg.
func (d *dbInfo) recordException(span trace.Span, err error, msg string) {
	dbException.WithSignal(d.cfg.excSignal).Error(context.Background(), unwrapSpan(span), err, msg)
}
