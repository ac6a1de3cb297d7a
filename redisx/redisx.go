package redisx

import (
	"context"
	"fmt"
	"sync"

	"github.com/otelkit/otelkit/internal/instrumentation"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the spans redisx creates.
const ScopeName = "github.com/otelkit/otelkit/redisx"

// Instrument adds tracing, and redisotel's connection-pool metrics, to a
// go-redis v9 client: a *redis.Client (also as returned by
// redis.NewFailoverClient), a *redis.ClusterClient (also the failover
// cluster client) or a *redis.Ring. Call it once, right after creating the
// client and before using it: the nodes of a cluster client and the shards of
// a ring are instrumented as they are created.
//
// Each command becomes a client span named redis.command, each pipeline or
// transaction one span named redis.pipeline, each new connection a span
// named redis.dial; with OTEL_SEMCONV_STABILITY_OPT_IN=database (or
// database/dup) command spans are named after the command (LRANGE). Spans are
// children of the span in the command's context.
func Instrument(client redis.UniversalClient, opts ...Option) error {
	if !instrumentation.Enabled(instrumentation.Redis) {
		return nil // switched off: no hook is added
	}
	c := newConfig(opts)
	in := &instrumenter{
		conf:   c,
		tracer: c.tracerProvider.Tracer(ScopeName),
		names:  &nameCache{},
		bufs:   &bufPool{},
		seen:   map[*redis.Client]bool{},
	}
	switch rdb := client.(type) {
	case *redis.Client:
		return in.node(rdb)
	case *redis.ClusterClient:
		rdb.OnNewNode(in.onNewNode)
		return nil
	case *redis.Ring:
		rdb.OnNewNode(in.onNewNode)
		// The shards given to NewRing exist already: OnNewNode only sees
		// those added later by SetAddrs.
		return rdb.ForEachShard(context.Background(), func(_ context.Context, shard *redis.Client) error {
			return in.node(shard)
		})
	default:
		return fmt.Errorf("redisx: unsupported client type %T; want *redis.Client, *redis.ClusterClient or *redis.Ring", client)
	}
}

// instrumenter adds the hooks to each node (shard) client exactly once.
type instrumenter struct {
	conf   config
	tracer trace.Tracer
	names  *nameCache
	bufs   *bufPool

	mu   sync.Mutex
	seen map[*redis.Client]bool
}

func (in *instrumenter) onNewNode(rdb *redis.Client) {
	if err := in.node(rdb); err != nil {
		otel.Handle(err)
	}
}

func (in *instrumenter) node(rdb *redis.Client) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.seen[rdb] {
		return nil
	}
	in.seen[rdb] = true
	rdb.AddHook(newHook(in, rdb.Options()))
	if in.conf.metrics {
		if err := redisotel.InstrumentMetrics(rdb, redisotel.WithMeterProvider(in.conf.meterProvider)); err != nil {
			return fmt.Errorf("redisx: connection-pool metrics for %s: %w", rdb.Options().Addr, err)
		}
	}
	return nil
}
