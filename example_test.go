package otelkit_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"

	_ "github.com/go-sql-driver/mysql" // the driver the service already uses
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/kafkax"
	"github.com/otelkit/otelkit/otelboot"
	"github.com/otelkit/otelkit/redisx"
	"github.com/otelkit/otelkit/sqlx"
)

// The whole change to a service: one call in main and the clients it
// already builds, wrapped. Everything else (exporter, endpoint, service
// name, sampler, propagators, log format) comes from the OTEL_* variables.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	shutdown, err := otelboot.Start(ctx) // providers, exporters, slog correlation
	if err != nil {
		log.Printf("telemetry: %v", err) // a bad OTEL_* value: the service runs on
	}
	defer shutdown(context.Background()) // flushes spans, metrics and logs

	db, err := sqlx.Open("mysql", "app:secret@tcp(127.0.0.1:3306)/app") // mysql.query spans, no password
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	if err := redisx.Instrument(rdb); err != nil { // redis.command spans
		log.Fatal(err)
	}
	kc, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers("127.0.0.1:9092")}, kafkax.Opts()...)...) // kafka.produce
	if err != nil {
		log.Fatal(err)
	}
	api := httpx.Client() // HTTP GET spans, traceparent sent

	mux := httpx.NewServeMux() // "GET /logs/redis" server spans, span_rate, error_rate, duration
	mux.HandleFunc("GET /logs/redis", func(w http.ResponseWriter, r *http.Request) {
		logs, err := rdb.LRange(r.Context(), "api_logs", 0, -1).Result()
		if err != nil {
			slog.ErrorContext(r.Context(), "redis", "err", err) // carries trace_id and span_id
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		kc.Produce(r.Context(), &kgo.Record{Topic: "api-logs-hyunwoo", Value: []byte("GET /logs/redis")}, nil)
		fmt.Fprintln(w, len(logs))
	})
	_, _ = db, api
	srv := &http.Server{Addr: ":5000", Handler: mux}
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	log.Print(srv.ListenAndServe())
}

// The conventions a wrapper emits follow OTEL_SEMCONV_STABILITY_OPT_IN, or
// its WithSemconv option.
func ExampleSemconvMode() {
	for _, m := range []otelkit.SemconvMode{otelkit.SemconvOld, otelkit.SemconvStable, otelkit.SemconvDup} {
		fmt.Println(m)
	}
	// Output:
	// old
	// stable
	// dup
}
