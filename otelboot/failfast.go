package otelboot

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
)

// The OTLP/gRPC exporters retry an Unavailable export with a backoff that
// starts at 5 s, so with no collector listening a shutdown used its whole
// deadline (5 s in the demo), where the OTLP/HTTP exporters give up on a
// refused connection at once. Once shutdown has begun, failFast makes an
// export that failed because there is no connection final, so that
// shutdown has the same bound over both protocols: at once when nothing
// can be reached, within the deadline when the collector hangs.

// failFast returns the interceptor for the gRPC exporters: while stopping
// is set, an Unavailable error on a connection that is not ready is
// returned as FailedPrecondition, which the exporters do not retry (the
// message is kept).
func failFast(stopping *atomic.Bool) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if err == nil || !stopping.Load() || status.Code(err) != codes.Unavailable {
			return err
		}
		if cc != nil && cc.GetState() == connectivity.Ready {
			return err // a collector answering Unavailable: retry as usual
		}
		return status.Error(codes.FailedPrecondition, "no connection while shutting down: "+status.Convert(err).Message())
	}
}

// grpcFailFast is the dial option of failFast for p.
func grpcFailFast(p exporterPlan) grpc.DialOption {
	if p.stopping == nil {
		p.stopping = new(atomic.Bool)
	}
	return grpc.WithChainUnaryInterceptor(failFast(p.stopping))
}
