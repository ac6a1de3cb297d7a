package errtype

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kerr"
)

type netTimeout struct{ timeout bool }

func (e netTimeout) Error() string   { return "net" }
func (e netTimeout) Timeout() bool   { return e.timeout }
func (e netTimeout) Temporary() bool { return false }

type typed struct{ t string }

func (e typed) Error() string     { return "typed" }
func (e typed) ErrorType() string { return e.t }

type pgErr struct{ code string }

func (e *pgErr) Error() string    { return "ERROR: duplicate key (SQLSTATE " + e.code + ")" }
func (e *pgErr) SQLState() string { return e.code }

// refused dials a port nothing listens on.
func refused(t *testing.T) error {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
		t.Skip("the closed port accepted a connection")
	}
	return err
}

func TestOf(t *testing.T) {
	deadlineCtx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	canceledCtx, cancel2 := context.WithCancel(context.Background())
	cancel2()
	mysqlDup := &mysql.MySQLError{Number: 1062, SQLState: [5]byte{'2', '3', '0', '0', '0'}, Message: "Duplicate entry 's3cret' for key 'PRIMARY'"}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"deadline", context.DeadlineExceeded, Timeout},
		{"deadline of a context", deadlineCtx.Err(), Timeout},
		{"deadline wrapped", fmt.Errorf("query: %w", context.DeadlineExceeded), Timeout},
		{"deadline joined", errors.Join(errors.New("a"), context.DeadlineExceeded), Timeout},
		{"os deadline", os.ErrDeadlineExceeded, Timeout},
		{"net timeout", &net.OpError{Op: "read", Net: "tcp", Err: netTimeout{true}}, Timeout},
		{"net error, no timeout", netTimeout{false}, "errtype.netTimeout"},
		{"cancel", context.Canceled, Canceled},
		{"cancel of a context", canceledCtx.Err(), Canceled},
		{"cancel wrapped", fmt.Errorf("redis: %w", context.Canceled), Canceled},
		{"refused", refused(t), ConnectionRefused},
		{"refused errno", syscall.ECONNREFUSED, ConnectionRefused},
		{"ErrorType method", fmt.Errorf("x: %w", typed{"quota_exceeded"}), "quota_exceeded"},
		{"empty ErrorType falls through", typed{""}, "errtype.typed"},
		{"SQLSTATE", fmt.Errorf("exec: %w", &pgErr{"23505"}), "23505"},
		{"MySQL number with SQLSTATE", mysqlDup, "1062"},
		{"MySQL number without SQLSTATE", &mysql.MySQLError{Number: 1146, Message: "Table 'test.nope' doesn't exist"}, "1146"},
		{"MySQL wrapped", fmt.Errorf("exec: %w", mysqlDup), "1062"},
		{"MySQL text but another type", errors.New("Error 1062: Duplicate entry"), "*errors.errorString"},
		{"Redis WRONGTYPE", proto("WRONGTYPE Operation against a key holding the wrong kind of value"), "WRONGTYPE"},
		{"Redis ERR", fmt.Errorf("pipeline: %w", proto("ERR unknown command 'NOPE'")), "ERR"},
		{"Kafka code", kerr.UnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION"},
		{"Kafka wrapped", fmt.Errorf("produce: %w", kerr.MessageTooLarge), "MESSAGE_TOO_LARGE"},
		{"server code before deadline", errors.Join(context.DeadlineExceeded, kerr.RequestTimedOut), "REQUEST_TIMED_OUT"},
		{"plain", errors.New("boom"), "*errors.errorString"},
		{"plain wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", errors.New("boom"))), "*errors.errorString"},
		{"fmt without %w", fmt.Errorf("a: %v", "b"), "*errors.errorString"},
		{"joined", errors.Join(errors.New("a"), errors.New("b")), "*errors.joinError"},
		{"value type", netTimeout{false}, "errtype.netTimeout"},
		{"os error", &os.PathError{Op: "open", Path: "/x", Err: os.ErrNotExist}, "*fs.PathError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Of(tc.err); got != tc.want {
				t.Errorf("Of(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// proto is a Redis error reply as go-redis returns it (its
// internal/proto.RedisError: a string type with the RedisError marker).
type proto string

func (e proto) Error() string { return string(e) }
func (proto) RedisError()     {}

func TestMySQLNumber(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Error 1062 (23000): Duplicate entry", "1062"},
		{"Error 1062: Duplicate entry", "1062"},
		{"Error 1: x", "1"},
		{"Error 123456: x", "123456"},
		{"Error 1234567: x", ""}, // beyond six digits: not a server number
		{"Error : x", ""},
		{"Error 12", ""},
		{"Error 12x: y", ""},
		{"error 1062: x", ""},
		{"Error  1062: x", ""},
		{"", ""},
	} {
		if got := MySQLNumber(tc.in); got != tc.want {
			t.Errorf("MySQLNumber(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOfContext(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), 0)
	defer cancel2()
	live := context.Background()
	own := errors.New("net/http: request canceled")
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want string
	}{
		{"nil", done, nil, ""},
		{"client's own error, context canceled", done, own, Canceled},
		{"client's own error, deadline passed", expired, own, Timeout},
		{"client's own error, context live", live, own, "*errors.errorString"},
		{"a time-out stays a time-out", done, context.DeadlineExceeded, Timeout},
		{"a server code wins", done, kerr.UnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION"},
	} {
		if got := OfContext(tc.ctx, tc.err); got != tc.want {
			t.Errorf("%s: OfContext = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCarrier(t *testing.T) {
	base := &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}
	e := &Error{Err: base, Type: ConnectionRefused}
	if e.Error() != base.Error() || !errors.Is(e, syscall.ECONNREFUSED) || e.ErrorType() != ConnectionRefused {
		t.Errorf("carrier: %q %v", e.Error(), e.ErrorType())
	}
	if Of(e) != ConnectionRefused {
		t.Errorf("Of(carrier) = %q", Of(e))
	}
	if Strip(e) != error(base) || Strip(base) != error(base) || Strip(nil) != nil {
		t.Error("Strip does not return the wrapped error")
	}
}

// Carry's carriers keep the class in ErrorType and in their Go type, and
// Strip takes every one off; an unclassified error is not wrapped.
func TestCarry(t *testing.T) {
	base := errors.New("boom")
	for _, typ := range []string{Timeout, Canceled, ConnectionRefused} {
		c := Carry(base, typ)
		et, ok := c.(interface{ ErrorType() string })
		if !ok || et.ErrorType() != typ {
			t.Errorf("Carry(%q) = %T, ErrorType not %q", typ, c, typ)
		}
		if Strip(c) != base || !errors.Is(c, base) || c.Error() != base.Error() {
			t.Errorf("Carry(%q): Strip/Is/Error do not give the base error", typ)
		}
	}
	if c := Carry(base, "*errors.errorString"); c != base {
		t.Errorf("an unclassified error is wrapped: %T", c)
	}
	if Carry(nil, Timeout) != nil {
		t.Error("Carry(nil) != nil")
	}
}
