// Command demo is the spec's hyunwoo service: every endpoint of its table,
// on MySQL, Redis and Kafka when MYSQL_DSN, REDIS_ADDR and KAFKA_BROKERS are
// set, and on embedded stand-ins when they are not, so that
//
//	go run ./examples/demo
//
// starts it with no setup. Its telemetry follows the OTEL_* variables.
//
// The instrumentation is the otelboot.Start call below plus the wrappers in
// app/instrument.go; nothing else in the service knows about OpenTelemetry.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otelkit/otelkit/examples/demo/app"
	"github.com/otelkit/otelkit/otelboot"
	"github.com/otelkit/otelkit/otelboot/liveview"
)

// usage is the -h text: the demo takes no flag, only variables.
const usage = `Usage: demo [-h]

The hyunwoo demo service: every endpoint of the telemetry spec, on embedded
stand-ins unless the variables below name real backends. It takes no flag;
everything is read from the environment:

  HOST                  listen address (default 127.0.0.1; 0.0.0.0 for every interface)
  PORT                  listen port (default 5000)
  MYSQL_DSN             go-sql-driver DSN, e.g. app:pw@tcp(db:3306)/demo; the database
                        must exist, the tables are created (default: embedded SQLite
                        in a temporary directory)
  REDIS_ADDR            Redis host:port (default: in-process Redis)
  REDIS_PASSWORD        Redis password (default none)
  REDIS_DB              Redis database index (default 0)
  KAFKA_BROKERS         comma-separated seed brokers (default: in-process Kafka)
  EXTERNAL_API_URL      http(s) base URL; GET <url>/api/data is called
                        (default: a stand-in on a loopback port)
  DEMO_ADMIN_USER       admin account name (default admin)
  DEMO_ADMIN_PASSWORD   its password, 8 characters to 72 bytes (default: random,
                        printed once)
  OTELKIT_VIEW_ADDR     live view address (default 127.0.0.1:5001)
  OTELKIT_VIEW_TOKEN    live view token, needed beyond loopback (default none)
  OTELKIT_LOG_CORRELATION  the spec's log layout with trace_id and span_id on
                        standard error (default true in the demo; false: slog's
                        plain text, otelboot's own default)
  OTEL_*                telemetry (default: OTLP/HTTP to http://localhost:4318);
                        OTEL_SDK_DISABLED=true turns it off
`

func main() {
	// -h prints the usage on standard output and exits 0; any other flag
	// or argument is an error: exit status 2, the usage on standard error.
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	err := fs.Parse(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Print(usage)
		os.Exit(0)
	case err == nil && fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n\n%s", err, usage)
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := app.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}

	// The live view; a token is needed to serve it beyond loopback.
	disabled := false // OTEL_SDK_DISABLED=true, from the summary
	view := liveview.New(liveview.Config{Token: os.Getenv("OTELKIT_VIEW_TOKEN")})
	shutdown, err := otelboot.Start(ctx,
		otelboot.WithServiceName("hyunwoo"),
		otelboot.WithServiceVersion("1.0.0"),
		otelboot.WithResourceAttributes(attribute.String("deployment.environment", "development")),
		otelboot.WithLiveView(view),
		// The spec's log layout, trace_id and span_id on every line of
		// standard error, as the original sets
		// OTEL_PYTHON_LOG_CORRELATION=true. otelboot's default is off (slog's
		// plain text); OTELKIT_LOG_CORRELATION=false still turns it off here.
		otelboot.WithLogCorrelation(true),
		// Where telemetry goes, as otelboot built it.
		otelboot.WithSummary(func(s otelboot.Summary) {
			disabled = s.Disabled
			line := "telemetry: " + s.String()
			if usesOTLP(s) {
				line += " (a collector that is not running only costs dropped batches)"
			}
			fmt.Println(line)
		}),
	)
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	defer func() {
		// Flush what is still buffered; a collector that is not running
		// must not hold the exit for long.
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(fctx); err != nil {
			fmt.Fprintln(os.Stderr, "demo: telemetry not flushed:", flushError(err))
		}
	}()
	// go-redis's own logger prints every failed dial of its pool; the
	// errors reach the service anyway (start-up, /healthz, the handlers).
	redis.SetLogger(debugLogger{})

	viewAddr := os.Getenv("OTELKIT_VIEW_ADDR")
	if viewAddr == "" {
		viewAddr = "127.0.0.1:5001"
	}
	if disabled {
		// No spans, metrics or logs reach the view: it would stay empty.
		fmt.Println("live view: off (OTEL_SDK_DISABLED=true)")
	} else if url, err := view.Start(viewAddr); err != nil {
		fmt.Fprintln(os.Stderr, "demo: live view not started:", err)
	} else if url != "" {
		fmt.Println("live view:", url)
		defer view.Shutdown(context.Background())
	}

	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

// usesOTLP says whether s sends any signal to an OTLP collector.
func usesOTLP(s otelboot.Summary) bool {
	for _, exps := range [][]otelboot.ExporterSummary{s.Traces, s.Metrics, s.Logs} {
		for _, e := range exps {
			if e.Name == "otlp" {
				return true
			}
		}
	}
	return false
}

// flushError folds the errors of a telemetry shutdown onto one line, one
// entry per cause with the signals it hit: a collector that is not running
// gives "metrics, traces: dial tcp ...: connection refused", not one line
// per signal and step.
func flushError(err error) string {
	var causes []string
	signals := map[string][]string{}
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		sig := "telemetry"
		for _, s := range []string{"traces", "metrics", "logs"} {
			if strings.Contains(line, s) {
				sig = s
				break
			}
		}
		cause := line
		if i := strings.LastIndex(line, "\": "); i >= 0 { // Post "URL": cause
			cause = line[i+3:]
		} else if i := strings.Index(line, sig+": "); i >= 0 { // flushing logs: cause
			cause = line[i+len(sig)+2:]
		}
		if _, seen := signals[cause]; !seen {
			causes = append(causes, cause)
		}
		if !slices.Contains(signals[cause], sig) {
			signals[cause] = append(signals[cause], sig)
		}
	}
	parts := make([]string, len(causes))
	for i, c := range causes {
		parts[i] = strings.Join(signals[c], ", ") + ": " + c
	}
	return strings.Join(parts, "; ")
}

// debugLogger sends go-redis's internal log lines to slog at debug level.
type debugLogger struct{}

func (debugLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
