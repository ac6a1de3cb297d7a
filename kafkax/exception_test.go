package kafkax

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/internal/exception"
	"github.com/otelkit/otelkit/internal/exception/exceptiontest"
)

// TestExceptionSignal: a record that could not be produced
// (messaging.send.exception) and a fetch that failed
// (messaging.receive.exception), both WARN, under each value of
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN.
func TestExceptionSignal(t *testing.T) {
	for _, mode := range []string{"", "logs", "logs/dup"} {
		t.Run(mode, func(t *testing.T) {
			sink := exceptiontest.Capture(t, mode)
			h, exp := testHooks(t, sdktrace.AlwaysSample())
			r := &kgo.Record{Topic: "orders", Context: context.Background()}
			h.OnProduceRecordBuffered(r)
			h.OnProduceRecordUnbuffered(r, kerr.MessageTooLarge)
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			exceptiontest.Check(t, mode, spans[0].Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.MessagingSend, Scope: ScopeName, Type: "*kerr.Error", Message: "MESSAGE_TOO_LARGE",
			})

			sink = exceptiontest.Capture(t, mode)
			exp.Reset()
			h.pollDone(context.Background(), kgo.NewErrFetch(errors.New("broker gone")), time.Now(), time.Now())
			spans = exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			exceptiontest.Check(t, mode, spans[0].Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.MessagingReceive, Scope: ScopeName, Type: "*errors.errorString", Message: "broker gone",
			})
		})
	}
}

// TestExceptionSignalOption: WithExceptionSignal wins over
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN in both directions, for a produce
// and a fetch error; its zero value leaves the variable in charge. want is
// the mode the exceptions follow.
func TestExceptionSignalOption(t *testing.T) {
	for _, c := range exceptiontest.OptionCases {
		t.Run(c.Name, func(t *testing.T) {
			sink := exceptiontest.Capture(t, c.Env)
			h, exp := testHooks(t, sdktrace.AlwaysSample(), WithExceptionSignal(c.Opt))
			r := &kgo.Record{Topic: "orders", Context: context.Background()}
			h.OnProduceRecordBuffered(r)
			h.OnProduceRecordUnbuffered(r, kerr.MessageTooLarge)
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			exceptiontest.Check(t, c.Want, spans[0].Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.MessagingSend, Scope: ScopeName, Type: "*kerr.Error", Message: "MESSAGE_TOO_LARGE",
			})

			sink = exceptiontest.Capture(t, c.Env)
			exp.Reset()
			h.pollDone(context.Background(), kgo.NewErrFetch(errors.New("broker gone")), time.Now(), time.Now())
			spans = exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			exceptiontest.Check(t, c.Want, spans[0].Snapshot(), sink.Records(), exceptiontest.Want{
				Kind: exception.MessagingReceive, Scope: ScopeName, Type: "*errors.errorString", Message: "broker gone",
			})
		})
	}
}
