// Command otelkit-view is a local OTLP receiver with the live view's page:
// point the OTLP exporters of one or more local processes at it (any
// language, OTLP/HTTP or OTLP/gRPC) and watch them in one dashboard, with
// the service name as a filter.
//
//	go run github.com/otelkit/otelkit/cmd/otelkit-view
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 ./your-service
//
// By default it takes OTLP on 127.0.0.1:4318 and 127.0.0.1:4317 (the
// exporters' default ports; each takes both protocols) and serves the page
// on 127.0.0.1:5001. It prints where it listens and runs until interrupted.
//
// Flags:
//
//	-addr  address of the page (default 127.0.0.1:5001)
//	-otlp  comma-separated addresses of the OTLP receiver
//	       (default 127.0.0.1:4318,127.0.0.1:4317)
//	-token token required by the page and the receiver (default
//	       $OTELKIT_VIEW_TOKEN); required beyond loopback
//
// The bounds and the token rules are those of package liveview: without a
// token it listens on loopback addresses only and answers only requests
// for a loopback name; with one, every page, API and OTLP request must
// carry it (exporters: OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/otelkit/otelkit/otelboot/liveview"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "otelkit-view:", err)
		}
		os.Exit(2)
	}
}

// run serves the view until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("otelkit-view", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", liveview.DefaultAddr, "address of the page")
	otlp := fs.String("otlp", "127.0.0.1:4318,127.0.0.1:4317", "comma-separated addresses of the OTLP receiver (each takes OTLP/HTTP and OTLP/gRPC)")
	token := fs.String("token", os.Getenv("OTELKIT_VIEW_TOKEN"), "token required by the page and the receiver (default $OTELKIT_VIEW_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	v := liveview.New(liveview.Config{Token: *token})
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = v.Shutdown(sctx)
	}()
	page, err := v.Start(*addr)
	if err != nil {
		return err
	}
	var endpoints []string
	for a := range strings.SplitSeq(*otlp, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		url, err := v.StartOTLP(a)
		if err != nil {
			return err
		}
		endpoints = append(endpoints, url)
	}
	if len(endpoints) == 0 {
		return errors.New("no OTLP address (-otlp)")
	}
	fmt.Fprintf(stdout, "live view: %s\n", page)
	for _, e := range endpoints {
		fmt.Fprintf(stdout, "OTLP receiver: %s (OTLP/HTTP and OTLP/gRPC; OTEL_EXPORTER_OTLP_ENDPOINT=%s)\n", e, e)
	}
	if *token != "" {
		fmt.Fprintln(stdout, "token required: exporters send OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>; the page takes ?token=<token>")
	}
	<-ctx.Done()
	return nil
}
