// Command quickstart: otelboot.Start, one wrapper per client, nothing in the
// handler. GET /hello gives a server span with sqlite.query and redis.command
// children. Needs Redis at REDIS_ADDR (default localhost:6379).
package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"

	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite"

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/otelboot"
	"github.com/otelkit/otelkit/redisx"
	"github.com/otelkit/otelkit/sqlx"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	shutdown, err := otelboot.Start(ctx, otelboot.WithServiceName("quickstart"))
	if err != nil {
		log.Fatal(err)
	}
	defer shutdown(context.Background())

	db, err := sqlx.Open("sqlite", "file::memory:")
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: cmp.Or(os.Getenv("REDIS_ADDR"), "localhost:6379")})
	if err := redisx.Instrument(rdb); err != nil {
		log.Fatal(err)
	}

	mux := httpx.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		var version string
		if err := db.QueryRowContext(r.Context(), "SELECT sqlite_version()").Scan(&version); err != nil {
			http.Error(w, "database unavailable", http.StatusInternalServerError)
			return
		}
		visits, err := rdb.Incr(r.Context(), "visits").Result()
		if err != nil {
			http.Error(w, "redis unavailable", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "hello from sqlite %s, visit %d\n", version, visits)
	})
	srv := &http.Server{Addr: ":8080", Handler: mux}
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	log.Println(srv.ListenAndServe())
}
