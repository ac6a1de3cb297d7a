package otelboot

import (
	"context"
	"sync"
	"sync/atomic"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

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
func failFast(stopping *atomic.Bool, f *inflight) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		noConn := status.Code(err) == codes.Unavailable && (cc == nil || cc.GetState() != connectivity.Ready)
		if f != nil {
			f.noConn.Store(noConn)
		}
		if err == nil || !stopping.Load() || status.Code(err) != codes.Unavailable {
			return err
		}
		if !noConn {
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
	return grpc.WithChainUnaryInterceptor(failFast(p.stopping, p.inflight))
}

// inflight tracks the exports of one gRPC exporter, so that shutdown can
// end those that wait in the exporter's retry backoff (5 s and more) for a
// collector that is not there: failFast only changes the answer of a call
// made after shutdown began, and an export already sleeping between two
// attempts would hold shutdown until its deadline. noConn is set while the
// last call failed with no ready connection and cleared by a call that
// succeeds, so an export to a collector that answers is never cut short.
type inflight struct {
	noConn atomic.Bool
	mu     sync.Mutex
	next   int
	cancel map[int]context.CancelFunc
}

// begin returns the context an export runs under and the func ending it.
func (f *inflight) begin(ctx context.Context) (context.Context, func()) {
	if f == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	f.mu.Lock()
	if f.cancel == nil {
		f.cancel = map[int]context.CancelFunc{}
	}
	id := f.next
	f.next++
	f.cancel[id] = cancel
	f.mu.Unlock()
	return ctx, func() {
		f.mu.Lock()
		delete(f.cancel, id)
		f.mu.Unlock()
		cancel()
	}
}

// stop ends the exports in flight when the last call found no connection.
func (f *inflight) stop() {
	if f == nil || !f.noConn.Load() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, cancel := range f.cancel {
		cancel()
	}
}

type inflightSpans struct {
	sdktrace.SpanExporter
	f *inflight
}

func (e inflightSpans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	ctx, end := e.f.begin(ctx)
	defer end()
	return e.SpanExporter.ExportSpans(ctx, spans)
}

type inflightMetrics struct {
	sdkmetric.Exporter
	f *inflight
}

func (e inflightMetrics) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	ctx, end := e.f.begin(ctx)
	defer end()
	return e.Exporter.Export(ctx, rm)
}

type inflightLogs struct {
	sdklog.Exporter
	f *inflight
}

func (e inflightLogs) Export(ctx context.Context, recs []sdklog.Record) error {
	ctx, end := e.f.begin(ctx)
	defer end()
	return e.Exporter.Export(ctx, recs)
}
