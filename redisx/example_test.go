package redisx_test

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/redisx"
)

// The spans of a command, here against a server that cannot be reached so
// that the example runs anywhere.
func Example() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))

	rdb := redis.NewClient(&redis.Options{
		Addr:       "redis-master:6379",
		MaxRetries: -1,
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no server in this example")
		},
	})
	defer rdb.Close()
	if err := redisx.Instrument(rdb, redisx.WithTracerProvider(tp), redisx.WithMetrics(false)); err != nil {
		panic(err)
	}

	_ = rdb.LRange(context.Background(), "api_logs", 0, -1).Err()

	for _, s := range exp.GetSpans() {
		if s.Name != "redis.command" {
			continue
		}
		fmt.Println(s.Name, s.SpanKind, s.Status.Code, s.Status.Description)
		for _, kv := range s.Attributes {
			fmt.Printf("  %s = %s\n", kv.Key, kv.Value.String())
		}
	}
	// Output:
	// redis.command client Error no server in this example
	//   db.system = redis
	//   db.connection_string = redis://redis-master:6379/0
	//   db.redis.database_index = 0
	//   server.address = redis-master
	//   server.port = 6379
	//   db.operation = LRANGE
	//   db.redis.command = LRANGE api_logs 0 -1
}

// Credentials never reach a span; WithValueMasking hides the values that
// commands write as well.
func ExampleWithValueMasking() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))

	rdb := redis.NewClient(&redis.Options{
		Addr:       "redis-master:6379",
		MaxRetries: -1,
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no server in this example")
		},
	})
	defer rdb.Close()
	if err := redisx.Instrument(rdb,
		redisx.WithTracerProvider(tp),
		redisx.WithMetrics(false),
		redisx.WithDialSpans(false),
		redisx.WithValueMasking(true),
	); err != nil {
		panic(err)
	}

	ctx := context.Background()
	rdb.Do(ctx, "AUTH", "alice", "s3cret")
	rdb.RPush(ctx, "api_logs", "GET /logs/redis 200")
	rdb.LRange(ctx, "api_logs", 0, -1)

	for _, s := range exp.GetSpans() {
		for _, kv := range s.Attributes {
			if kv.Key == "db.redis.command" {
				fmt.Println(kv.Value.String())
			}
		}
	}
	// Output:
	// AUTH ? REDACTED
	// RPUSH api_logs ?
	// LRANGE api_logs ? ?
}

// The start hook sees the command as the span records it (credentials
// masked) before the span starts, so that the sampler can use the
// attributes it returns; the end hook sees the error.
func ExampleWithStartHook() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	rdb := redis.NewClient(&redis.Options{
		Addr:       "redis-master:6379",
		MaxRetries: -1,
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no server in this example")
		},
	})
	defer rdb.Close()
	err := redisx.Instrument(rdb, redisx.WithTracerProvider(tp), redisx.WithMetrics(false), redisx.WithDialSpans(false),
		redisx.WithStartHook(func(ctx context.Context, cmd redisx.Command) []attribute.KeyValue {
			fmt.Println("start:", cmd.Text)
			return []attribute.KeyValue{attribute.String("app.command", cmd.Name)}
		}),
		redisx.WithEndHook(func(span trace.Span, cmd redisx.Command, err error) {
			fmt.Println("end:", cmd.Name, err)
		}))
	if err != nil {
		panic(err)
	}

	_ = rdb.Do(context.Background(), "AUTH", "app", "s3cret").Err()
	// Output:
	// start: AUTH app REDACTED
	// end: AUTH no server in this example
}
