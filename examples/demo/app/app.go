package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// App is the hyunwoo service: its backends and its HTTP handler.
type App struct {
	cfg Config
	out io.Writer

	db      *sql.DB
	dialect dialect
	rdb     *redis.Client
	kafka   *kgo.Client
	kadm    *kadm.Client
	brokers []string

	client      *http.Client
	externalURL string

	backends  []backend
	endpoints map[string]string // route pattern -> endpoint name
	closers   []func() error
	handler   http.Handler

	closeOnce sync.Once
	closeErr  error
}

// New opens (or starts) every backend, creates the schema and the admin
// account, and builds the handler. It prints the start-up lines to cfg.Out.
//
// A backend that cannot be used is a *[StartError] naming the backend and
// the variable to change; every backend opened before it is closed again,
// and the temporary SQLite directory is removed.
func New(ctx context.Context, cfg Config) (*App, error) {
	a := &App{cfg: cfg, out: cfg.Out}
	if a.out == nil {
		a.out = os.Stdout
	}
	if err := a.start(ctx); err != nil {
		_ = a.Close()
		return nil, err
	}
	return a, nil
}

// start does New's work on a.
func (a *App) start(ctx context.Context) error {
	// What needs no backend is checked first, before anything is opened.
	if err := a.checkExternal(); err != nil {
		return err
	}
	name, pw, generated := a.adminCredentials()
	if err := validateCredentials(name, pw); err != nil {
		v := "DEMO_ADMIN_PASSWORD"
		if !usernameRE.MatchString(name) {
			v = "DEMO_ADMIN_USER"
		}
		return a.cfg.startError("admin account", v, err)
	}
	if err := a.openDatabase(ctx); err != nil {
		return err
	}
	if err := a.openRedis(ctx); err != nil {
		return err
	}
	if err := a.openKafka(ctx); err != nil {
		return err
	}
	if err := a.openExternal(); err != nil {
		return err
	}
	if err := a.ensureAdmin(ctx, name, pw); err != nil {
		return a.cfg.startError("admin account", "DEMO_ADMIN_PASSWORD", err)
	}
	admin := name

	mux := http.NewServeMux()
	a.endpoints = map[string]string{}
	a.routes(mux)
	a.handler = serverHandler(a.jsonFallback(mux), a.endpointName)

	parts := make([]string, len(a.backends))
	for i, b := range a.backends {
		parts[i] = b.String()
	}
	fmt.Fprintf(a.out, "backends: %s\n", strings.Join(parts, ", "))
	if generated != "" {
		// Written once, to the terminal only: never through slog, whose
		// records are exported as telemetry.
		fmt.Fprintf(a.out, "admin account: %q, generated password (shown once): %s\n", admin, generated)
	} else {
		fmt.Fprintf(a.out, "admin account: %q (password from DEMO_ADMIN_PASSWORD)\n", admin)
	}
	return nil
}

// Handler returns the service's HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Listen opens the listening socket on cfg.Addr ("127.0.0.1:5000" when
// empty).
func (a *App) Listen() (net.Listener, error) {
	addr := a.cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:5000"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx is done, then stops accepting, lets
// in-flight requests finish (up to 10s) and closes the backends.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	fmt.Fprintf(a.out, "hyunwoo listening on %s\n", listenLine(ln.Addr()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		serveErr = srv.Shutdown(sctx)
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
			serveErr = err
		}
	}
	return errors.Join(serveErr, a.Close())
}

// Run is Listen and Serve.
func (a *App) Run(ctx context.Context) error {
	ln, err := a.Listen()
	if err != nil {
		_ = a.Close()
		return err
	}
	return a.Serve(ctx, ln)
}

// Close closes every backend (flushing the Kafka producer) in reverse order
// of opening. It is safe to call more than once.
func (a *App) Close() error {
	a.closeOnce.Do(func() {
		var errs []error
		for i := len(a.closers) - 1; i >= 0; i-- {
			if err := a.closers[i](); err != nil {
				errs = append(errs, err)
			}
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// jsonFallback answers the requests no route matches (404, 405) with a JSON
// error instead of ServeMux's plain text, and logs them to the API log.
func (a *App) jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		jw := &jsonErrorWriter{ResponseWriter: w}
		mux.ServeHTTP(jw, r)
		a.appendLog(r.Context(), LogEntry{
			Time: start.UTC(), Method: r.Method, Route: "(unmatched)", Status: jw.status,
			DurationMS: float64(time.Since(start).Microseconds()) / 1000, TraceID: traceID(r.Context()),
		})
	})
}

// jsonErrorWriter replaces ServeMux's plain-text error body with JSON.
type jsonErrorWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

func (j *jsonErrorWriter) WriteHeader(code int) {
	if j.written {
		return
	}
	j.written = true
	j.status = code
	h := j.Header()
	h.Del("Content-Length")
	h.Del("X-Content-Type-Options")
	msg := strings.ToLower(http.StatusText(code))
	if code == http.StatusMethodNotAllowed {
		msg = "method not allowed (allowed: " + h.Get("Allow") + ")"
	}
	writeError(j.ResponseWriter, code, msg)
}

func (j *jsonErrorWriter) Write(b []byte) (int, error) {
	if !j.written {
		j.WriteHeader(http.StatusOK)
	}
	return len(b), nil // the JSON body is already written
}

// listenLine says where the listener really is, from its own address: the
// URL for a specific address ("http://127.0.0.1:5000"), and for a wildcard
// one the address, that it is every interface, and the URL to open on this
// machine ("0.0.0.0:5000 (every interface; http://localhost:5000 here)").
func listenLine(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return addr.String() + " (every interface; http://" + net.JoinHostPort("localhost", port) + " here)"
	}
	return "http://" + addr.String()
}

// endpointName returns the endpoint name a route pattern was registered with.
func (a *App) endpointName(pattern string) string { return a.endpoints[pattern] }
