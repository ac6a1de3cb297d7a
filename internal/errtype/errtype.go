// Package errtype is the one answer otelkit gives for the error.type of an
// error: every wrapper (httpx, sqlx, redisx, kafkax) calls Of, so that the
// same error has the same error.type on every span and metric they record.
//
// The rule follows the OpenTelemetry semantic conventions for error.type
// (low cardinality; a code the server or the protocol defines when there is
// one, else the type of the error). The first step that matches wins:
//
//  1. A code the server sent, searched along the whole chain of err
//     (errors.As, so wrappers made with %w and errors.Join are seen
//     through):
//     - an ErrorType() string method (the hook of otel's semconv.ErrorType),
//     when it returns a non-empty value;
//     - a SQLSTATE, from a SQLState() string method (pgx, lib/pq);
//     - a MySQL error number ("1062"), read from the stable text of
//     go-sql-driver's *mysql.MySQLError ("Error 1062 (23000): ..."),
//     without importing the driver (importing it registers a
//     database/sql driver);
//     - a Redis error reply's prefix ("WRONGTYPE", "ERR", "NOAUTH"), from an
//     error with go-redis's RedisError() marker method;
//     - a Kafka error code name ("UNKNOWN_TOPIC_OR_PARTITION"), read from
//     franz-go's *kerr.Error text ("NAME: description").
//  2. "timeout": a deadline passed (context.DeadlineExceeded,
//     os.ErrDeadlineExceeded) or a net.Error reports Timeout(). A deadline
//     is a time-out whoever set it: the conventions' own example value.
//  3. "canceled": the context was canceled (context.Canceled).
//  4. "connection_refused": the peer refused the connection
//     (syscall.ECONNREFUSED anywhere in the chain, as from a dial to a
//     closed port).
//  5. Otherwise the Go type of err as %T prints it ("*net.OpError",
//     "*errors.errorString"), after unwrapping the wrappers of fmt.Errorf
//     (as otel's semconv.ErrorType does), so that the type is the error's
//     own and not the wrapper's.
//
// HTTP status codes are not errors in this sense: otelhttp sets error.type
// to the status code ("500") for failed responses itself. For a transport
// error, httpx's client hands otelhttp the error inside an *Error carrying
// OfContext's answer, which semconv.ErrorType (and so the client span)
// records, and takes the carrier off before the caller sees the error.
// otelhttp's own client metric reads the Go type of the error by reflection
// instead, so its error.type is the carrier's type: that metric is
// otelhttp's, the span is the one this rule governs.
package errtype

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// The values of the classes of step 2 to 4.
const (
	Timeout           = "timeout"
	Canceled          = "canceled"
	ConnectionRefused = "connection_refused"
)

type errorTyper interface{ ErrorType() string }

type sqlStater interface{ SQLState() string }

type redisError interface{ RedisError() }

// Of returns the error.type of err, "" for nil.
func Of(err error) string {
	if err == nil {
		return ""
	}
	if code := ServerCode(err); code != "" {
		return code
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, syscall.ECONNREFUSED):
		return ConnectionRefused
	}
	for {
		t := fmt.Sprintf("%T", err)
		if t != "*fmt.wrapError" {
			return t
		}
		u := errors.Unwrap(err)
		if u == nil {
			return t
		}
		err = u
	}
}

// ServerCode returns the code the server sent with err (step 1 of the
// package's rule), or "". The wrappers that also record the code as
// db.response.status_code use it.
func ServerCode(err error) string {
	var code string
	walk(err, func(e error) bool {
		code = nodeCode(e)
		return code != ""
	})
	return code
}

// nodeCode is the server code of e itself, not of the errors it wraps.
func nodeCode(e error) string {
	if v, ok := e.(errorTyper); ok {
		if s := v.ErrorType(); s != "" {
			return s
		}
	}
	if v, ok := e.(sqlStater); ok {
		if s := v.SQLState(); s != "" {
			return s
		}
	}
	if _, ok := e.(redisError); ok {
		s, _, _ := strings.Cut(e.Error(), " ")
		return s
	}
	switch fmt.Sprintf("%T", e) {
	case "*mysql.MySQLError":
		return MySQLNumber(e.Error())
	case "*kerr.Error":
		name, _, ok := strings.Cut(e.Error(), ": ")
		if ok && isCodeName(name) {
			return name
		}
	}
	return ""
}

// MySQLNumber reads the error number of a MySQL server error from its
// text, "Error 1062 (23000): ..." or "Error 1062: ...", the form
// go-sql-driver's MySQLError.Error has kept since v1.0; "" when msg is not
// of that form.
func MySQLNumber(msg string) string {
	rest, ok := strings.CutPrefix(msg, "Error ")
	if !ok {
		return ""
	}
	n := 0
	for n < len(rest) && n < 6 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n == len(rest) || (rest[n] != ':' && rest[n] != ' ') {
		return ""
	}
	return rest[:n]
}

// isCodeName reports whether s looks like a Kafka error code name
// (UNKNOWN_TOPIC_OR_PARTITION): upper-case letters, digits and '_'.
func isCodeName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// walk calls f on err and every error it wraps, depth first in the order
// errors.As uses, until f returns true. The depth is bounded so that a
// cyclic chain cannot loop.
func walk(err error, f func(error) bool) bool {
	return walkDepth(err, f, 0)
}

func walkDepth(err error, f func(error) bool, depth int) bool {
	for ; err != nil && depth < 64; depth++ {
		if f(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if walkDepth(e, f, depth+1) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// OfContext is Of for an operation that ran under ctx: when err carries no
// server code and is not itself a time-out or a cancellation, but ctx has
// ended, the operation failed because of ctx and its error.type is that of
// ctx.Err(). Clients such as net/http report a cancelled request with an
// error of their own ("net/http: request canceled") that does not wrap the
// context's error.
func OfContext(ctx context.Context, err error) string {
	t := Of(err)
	if err == nil || t == Timeout || t == Canceled || ServerCode(err) != "" {
		return t
	}
	if cerr := ctx.Err(); cerr != nil {
		return Of(cerr)
	}
	return t
}

// Error is err with its error.type fixed: ErrorType returns Type, which
// otel's semconv.ErrorType (and so otelhttp) records instead of the Go
// type of err. Wrap it around an error handed to such instrumentation and
// take it off again with Unwrap before the error reaches the caller.
type Error struct {
	Err  error
	Type string
}

// Error returns the text of the wrapped error.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// ErrorType returns the error.type.
func (e *Error) ErrorType() string { return e.Type }

// TimeoutError, CanceledError, ConnectionRefusedError and ServerCodeError
// are the carriers Carry makes. They differ only in their Go type, which
// instrumentation that names an error by its type (otelhttp's client
// metric) records: "github.com/otelkit/otelkit/internal/errtype.TimeoutError"
// says what failed, where one Error type for every failure would not.
type (
	// TimeoutError carries the error.type "timeout".
	TimeoutError struct{ carrier }
	// CanceledError carries the error.type "canceled".
	CanceledError struct{ carrier }
	// ConnectionRefusedError carries the error.type "connection_refused".
	ConnectionRefusedError struct{ carrier }
	// ServerCodeError carries a code the server sent.
	ServerCodeError struct{ carrier }
)

type carrier struct {
	err error
	typ string
}

func (c carrier) Error() string     { return c.err.Error() }
func (c carrier) Unwrap() error     { return c.err }
func (c carrier) ErrorType() string { return c.typ }
func (c carrier) base() error       { return c.err }

// Carry returns err wrapped in the carrier of its class typ (as OfContext
// gives it), for instrumentation that records semconv.ErrorType: the span
// then carries typ. An error whose class is only its Go type is returned as
// it is, so that such instrumentation names it as it would without us.
// Strip takes the carrier off again.
func Carry(err error, typ string) error {
	if err == nil {
		return nil
	}
	e := carrier{err: err, typ: typ}
	switch {
	case typ == Timeout:
		return &TimeoutError{e}
	case typ == Canceled:
		return &CanceledError{e}
	case typ == ConnectionRefused:
		return &ConnectionRefusedError{e}
	case typ == ServerCode(err) && typ != "":
		return &ServerCodeError{e}
	}
	return err
}

// Strip returns the error a carrier (an *Error or one Carry made) wraps, or
// err itself.
func Strip(err error) error {
	switch e := err.(type) {
	case *Error:
		return e.Err
	case interface{ base() error }:
		return e.base()
	}
	return err
}
