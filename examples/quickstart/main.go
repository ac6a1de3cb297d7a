// Command quickstart: otelboot.Start, one wrapper per client, nothing in the
// handler. GET /hello gives a server span with sqlite.query and redis.command
// children. Needs Redis at REDIS_ADDR (default localhost:6379); listens on
// PORT (default 8080); Ctrl-C or SIGTERM stops it after a flush.
package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/otelboot"
	"github.com/otelkit/otelkit/redisx"
	"github.com/otelkit/otelkit/sqlx"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := otelboot.Start(ctx, otelboot.WithServiceName("quickstart")) // the one line
	if err != nil {
		log.Fatal(err)
	}
	defer shutdown(context.Background()) // flushes traces, metrics and logs on the way out

	db, err := sqlx.Open("sqlite", "file::memory:") // was sql.Open
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: cmp.Or(os.Getenv("REDIS_ADDR"), "localhost:6379")})
	if err := redisx.Instrument(rdb); err != nil { // one call per client
		log.Fatal(err)
	}

	mux := httpx.NewServeMux() // was http.NewServeMux
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

	srv := &http.Server{Addr: ":" + cmp.Or(os.Getenv("PORT"), "8080"), Handler: mux}
	stopped := make(chan struct{})
	go func() {
		<-ctx.Done()                       // Ctrl-C or SIGTERM
		stop()                             // a second Ctrl-C kills at once
		srv.Shutdown(context.Background()) // in-flight requests finish first
		close(stopped)
	}()
	log.Printf("listening on %s", srv.Addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Print(err)
		return // the deferred shutdown still flushes
	}
	<-stopped
}
