package otelboot

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestFailFast: the interceptor changes nothing before shutdown, and makes
// an Unavailable without a connection final (FailedPrecondition, which the
// OTLP exporters do not retry) once shutdown has begun, keeping the
// message; other errors pass unchanged.
func TestFailFast(t *testing.T) {
	var stopping atomic.Bool
	ic := failFast(&stopping, nil)
	call := func(err error) error {
		return ic(context.Background(), "/m", nil, nil, nil, func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
			return err
		})
	}
	unavailable := status.Error(codes.Unavailable, "connection refused")
	if got := call(unavailable); status.Code(got) != codes.Unavailable {
		t.Errorf("before shutdown: %v, want Unavailable", got)
	}
	stopping.Store(true)
	got := call(unavailable)
	if status.Code(got) != codes.FailedPrecondition || !strings.Contains(got.Error(), "connection refused") {
		t.Errorf("stopping: %v, want FailedPrecondition keeping the message", got)
	}
	for _, err := range []error{nil, status.Error(codes.DeadlineExceeded, "slow"), status.Error(codes.ResourceExhausted, "busy")} {
		if got := call(err); status.Code(got) != status.Code(err) {
			t.Errorf("stopping, %v: got %v", err, got)
		}
	}
}
