package app

// This file is all the instrumentation code the service has. Everything else
// in the package is plain net/http, database/sql, go-redis and franz-go:
// otelboot.Start in main sets up the providers from the OTEL_* variables, and
// the functions below wrap the clients the service builds anyway.

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/kafkax"
	"github.com/otelkit/otelkit/redisx"
	"github.com/otelkit/otelkit/sqlx"
)

// serverHandler gives every request a server span named "METHOD route";
// endpoint names each route for flask.endpoint.
func serverHandler(h http.Handler, endpoint func(pattern string) string) http.Handler {
	return httpx.NewHandler(h, httpx.WithEndpointName(endpoint))
}

// openDB opens the database; every statement gets a child span
// (mysql.query, sqlite.query).
func openDB(driver, dsn string) (*sql.DB, error) {
	return sqlx.Open(driver, dsn)
}

// instrumentRedis gives every Redis command a child span (redis.command).
func instrumentRedis(c *redis.Client) error {
	return redisx.Instrument(c)
}

// kafkaOpts returns the client options that give every produced record a
// span (kafka.produce) and carry its trace context in the record headers,
// and make pollFetches start one kafka.consume span per poll, as the
// telemetry spec's GET /logs/kafka trace shows. Call it once per client.
func kafkaOpts() []kgo.Opt {
	return kafkax.Opts(kafkax.WithBatchSpans(true))
}

// pollFetches is cl.PollFetches with one kafka.consume span per poll,
// linked to the producer span of each record read.
func pollFetches(ctx context.Context, cl *kgo.Client) kgo.Fetches {
	return kafkax.PollFetches(ctx, cl)
}

// newTransport gives every outgoing HTTP request a client span (HTTP GET).
func newTransport(base http.RoundTripper) http.RoundTripper {
	return httpx.NewTransport(base)
}
