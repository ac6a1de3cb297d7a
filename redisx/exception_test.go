package redisx

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/otelkit/otelkit/internal/exception"
	"github.com/otelkit/otelkit/internal/exception/exceptiontest"
)

// TestCommandExceptionSignal: a command the server rejects under each value
// of OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, with a reply that echoes a
// masked argument (the log record carries the masked text of the span
// event) and a plain one (the SDK's own event).
func TestCommandExceptionSignal(t *testing.T) {
	const secret = "s3cr3t-value"
	for _, mode := range []string{"", "logs", "logs/dup"} {
		t.Run(mode, func(t *testing.T) {
			for _, c := range []struct {
				args []any
				msg  string
			}{
				{[]any{"fail", secret}, "ERR failed"},
				{[]any{"wrong", "k"}, "WRONGTYPE Operation"},
			} {
				sink := exceptiontest.Capture(t, mode)
				r := newRig(t, WithValueMasking(true))
				if err := r.rdb.Do(context.Background(), c.args...).Err(); err == nil {
					t.Fatalf("%v: no error", c.args)
				}
				s := r.only(t)
				// The rig's connection set-up (a rejected HELLO) has its
				// own exception; keep the command's.
				var recs []sdklog.Record
				for _, rec := range sink.Records() {
					if rec.SpanID() == s.SpanContext.SpanID() {
						recs = append(recs, rec)
					}
				}
				got := exceptiontest.Check(t, mode, s.Snapshot(), recs, exceptiontest.Want{
					Kind: exception.DBClient, Scope: ScopeName, Type: "github.com/redis/go-redis/v9/internal/proto.RedisError", Message: c.msg,
				})
				if got != s.Status.Description {
					t.Errorf("%v: exception.message %q, status %q", c.args, got, s.Status.Description)
				}
				for _, rec := range sink.Records() {
					rec.WalkAttributes(func(kv attribute.KeyValue) bool {
						if strings.Contains(kv.Value.String(), secret) {
							t.Errorf("log attribute %s shows the masked argument: %q", kv.Key, kv.Value.String())
						}
						return true
					})
				}
			}
		})
	}
}

// TestExceptionSignalOption: WithExceptionSignal wins over
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN in both directions; its zero value
// leaves the variable in charge. want is the mode the exception follows.
func TestExceptionSignalOption(t *testing.T) {
	for _, c := range exceptiontest.OptionCases {
		t.Run(c.Name, func(t *testing.T) {
			sink := exceptiontest.Capture(t, c.Env)
			r := newRig(t, WithExceptionSignal(c.Opt))
			if err := r.rdb.Do(context.Background(), "wrong", "k").Err(); err == nil {
				t.Fatal("no error")
			}
			s := r.only(t)
			var recs []sdklog.Record
			for _, rec := range sink.Records() {
				if rec.SpanID() == s.SpanContext.SpanID() {
					recs = append(recs, rec)
				}
			}
			exceptiontest.Check(t, c.Want, s.Snapshot(), recs, exceptiontest.Want{
				Kind: exception.DBClient, Scope: ScopeName, Type: "github.com/redis/go-redis/v9/internal/proto.RedisError", Message: "WRONGTYPE Operation",
			})
		})
	}
}
