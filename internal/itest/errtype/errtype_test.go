// Package errtype_test checks that the wrappers give the same error.type
// for the same error: a deadline, a cancellation and a refused connection
// are "timeout", "canceled" and "connection_refused" on the spans of sqlx,
// redisx, kafkax and httpx alike, and a server's error is the code that
// server defines.
package errtype_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/internal/errtype"
	"github.com/otelkit/otelkit/kafkax"
	"github.com/otelkit/otelkit/redisx"
	"github.com/otelkit/otelkit/sqlx"
)

type class int

const (
	deadline class = iota
	cancel
	refused
)

var classes = []struct {
	c    class
	name string
	want string
}{
	{deadline, "deadline", "timeout"},
	{cancel, "cancel", "canceled"},
	{refused, "refused", "connection_refused"},
}

// closedAddr is the address of a TCP port nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// ctxFor returns the context of an operation that is to end by c: a
// deadline of 150 ms, or a cancellation after 150 ms.
func ctxFor(t *testing.T, c class) context.Context {
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	switch c {
	case deadline:
		ctx, stop = context.WithTimeout(ctx, 150*time.Millisecond)
		t.Cleanup(stop)
	case cancel:
		time.AfterFunc(150*time.Millisecond, stop)
	}
	return ctx
}

// errorTypes returns the error.type of every recorded span that has one.
func errorTypes(spans tracetest.SpanStubs) map[string]string {
	out := map[string]string{}
	for _, s := range spans {
		for _, kv := range s.Attributes {
			if kv.Key == "error.type" {
				out[s.Name] = kv.Value.String()
			}
		}
	}
	return out
}

func recorder() (*tracetest.InMemoryExporter, *sdktrace.TracerProvider) {
	exp := tracetest.NewInMemoryExporter()
	return exp, sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
}

// oneType returns the one error.type recorded, failing when the spans
// disagree or none has one.
func oneType(t *testing.T, exp *tracetest.InMemoryExporter, opErr error) string {
	t.Helper()
	types := errorTypes(exp.GetSpans())
	var got string
	for name, v := range types {
		if got != "" && v != got {
			t.Errorf("spans disagree: %v", types)
		}
		got = v
		_ = name
	}
	if got == "" {
		t.Fatalf("no span has error.type (operation error: %v; spans: %d)", opErr, len(exp.GetSpans()))
	}
	return got
}

func mysqlDSN(t *testing.T) string {
	dsn := os.Getenv("OTELKIT_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("OTELKIT_TEST_MYSQL_DSN not set")
	}
	return dsn
}

func redisAddr(t *testing.T) string {
	addr := os.Getenv("OTELKIT_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("OTELKIT_TEST_REDIS_ADDR not set")
	}
	return addr
}

func sqlxType(t *testing.T, c class) string {
	exp, tp := recorder()
	dsn := "root@tcp(" + closedAddr(t) + ")/test"
	if c != refused {
		dsn = mysqlDSN(t)
	}
	db, err := sqlx.Open("mysql", dsn, sqlx.WithTracerProvider(tp), sqlx.WithSemconv(otelkit.SemconvStable))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctxFor(t, c), "SELECT SLEEP(3)")
	if err == nil {
		t.Fatal("no error")
	}
	return oneType(t, exp, err)
}

func redisxType(t *testing.T, c class) string {
	exp, tp := recorder()
	addr := closedAddr(t)
	if c != refused {
		addr = redisAddr(t)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ContextTimeoutEnabled: true})
	defer rdb.Close()
	if err := redisx.Instrument(rdb, redisx.WithTracerProvider(tp), redisx.WithMetrics(false), redisx.WithSemconv(otelkit.SemconvStable)); err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, c)
	if c == cancel {
		// go-redis does not watch a cancellation during a read (only a
		// deadline, as the socket's): cancel before the command.
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(context.Background())
		stop()
	}
	err := rdb.BLPop(ctx, 3*time.Second, "otelkit:errtype:nothing").Err()
	if err == nil {
		t.Fatal("no error")
	}
	return oneType(t, exp, err)
}

func kafkaxType(t *testing.T, c class) string {
	exp, tp := recorder()
	var seeds []string
	if c == refused {
		seeds = []string{closedAddr(t)}
	} else {
		cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		seeds = cl.ListenAddrs()
		// Hold the metadata requests so that the record is still
		// buffered when the context ends.
		cl.ControlKey(int16(kmsg.Metadata), func(kmsg.Request) (kmsg.Response, error, bool) {
			cl.KeepControl()
			time.Sleep(time.Second)
			return nil, nil, false
		})
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(seeds...), kgo.RecordRetries(0)},
		kafkax.Opts(kafkax.WithTracerProvider(tp), kafkax.WithSemconv(otelkit.SemconvStable))...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := ctxFor(t, c)
	if c == refused {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(context.Background(), 3*time.Second)
		defer stop()
	}
	err = cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("v")}).FirstErr()
	if err == nil {
		t.Fatal("no error")
	}
	return oneType(t, exp, err)
}

func httpxType(t *testing.T, c class) string {
	exp, tp := recorder()
	target := ""
	if c == refused {
		target = "http://" + closedAddr(t) + "/"
	} else {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		}))
		defer srv.Close()
		target = srv.URL
	}
	client := httpx.Client(httpx.WithTracerProvider(tp))
	req, _ := http.NewRequestWithContext(ctxFor(t, c), http.MethodGet, target, nil)
	res, err := client.Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatal("no error")
	}
	return oneType(t, exp, err)
}

func TestSameErrorSameType(t *testing.T) {
	wrappers := []struct {
		name string
		f    func(*testing.T, class) string
	}{
		{"sqlx", sqlxType},
		{"redisx", redisxType},
		{"kafkax", kafkaxType},
		{"httpx", httpxType},
	}
	for _, cl := range classes {
		for _, w := range wrappers {
			t.Run(cl.name+"/"+w.name, func(t *testing.T) {
				if got := w.f(t, cl.c); got != cl.want {
					t.Errorf("%s: error.type %q, want %q", w.name, got, cl.want)
				}
			})
		}
	}
}

// TestServerErrors: an error the server sent has that server's own code as
// error.type.
func TestServerErrors(t *testing.T) {
	t.Run("mysql", func(t *testing.T) {
		exp, tp := recorder()
		db, err := sqlx.Open("mysql", mysqlDSN(t), sqlx.WithTracerProvider(tp), sqlx.WithSemconv(otelkit.SemconvStable))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = db.ExecContext(context.Background(), "SELECT * FROM otelkit_errtype_nope")
		if got := oneType(t, exp, err); got != "1146" {
			t.Errorf("error.type %q, want 1146", got)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("OTELKIT_TEST_POSTGRES_DSN")
		if dsn == "" {
			t.Skip("OTELKIT_TEST_POSTGRES_DSN not set")
		}
		exp, tp := recorder()
		db, err := sqlx.Open("pgx", dsn, sqlx.WithTracerProvider(tp), sqlx.WithSemconv(otelkit.SemconvStable))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = db.ExecContext(context.Background(), "SELECT * FROM otelkit_errtype_nope")
		if got := oneType(t, exp, err); got != "42P01" {
			t.Errorf("error.type %q, want 42P01", got)
		}
	})
	for _, tc := range []struct {
		name string
		run  func(context.Context, *redis.Client) error
		want string
	}{
		{"redis WRONGTYPE", func(ctx context.Context, rdb *redis.Client) error {
			rdb.Set(ctx, "otelkit:errtype:str", "v", time.Minute)
			return rdb.LPush(ctx, "otelkit:errtype:str", "x").Err()
		}, "WRONGTYPE"},
		{"redis ERR", func(ctx context.Context, rdb *redis.Client) error {
			return rdb.Do(ctx, "OTELKIT_NO_SUCH_COMMAND").Err()
		}, "ERR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp, tp := recorder()
			rdb := redis.NewClient(&redis.Options{Addr: redisAddr(t)})
			defer rdb.Close()
			if err := redisx.Instrument(rdb, redisx.WithTracerProvider(tp), redisx.WithMetrics(false), redisx.WithSemconv(otelkit.SemconvStable)); err != nil {
				t.Fatal(err)
			}
			err := tc.run(context.Background(), rdb)
			types := errorTypes(exp.GetSpans())
			found := false
			for _, v := range types {
				found = found || v == tc.want
			}
			if !found {
				t.Errorf("error.type of the spans %v, want %q (error %v)", types, tc.want, err)
			}
		})
	}
	t.Run("kafka", func(t *testing.T) {
		exp, tp := recorder()
		cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		// The broker answers that the topic does not exist.
		opts := append([]kgo.Opt{kgo.SeedBrokers(cl.ListenAddrs()...), kgo.UnknownTopicRetries(0)},
			kafkax.Opts(kafkax.WithTracerProvider(tp), kafkax.WithSemconv(otelkit.SemconvStable))...)
		c, err := kgo.NewClient(opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		err = c.ProduceSync(ctx, &kgo.Record{Topic: "otelkit-nope", Value: []byte("v")}).FirstErr()
		if got := oneType(t, exp, err); got != "UNKNOWN_TOPIC_OR_PARTITION" {
			t.Errorf("error.type %q, want UNKNOWN_TOPIC_OR_PARTITION (error %v)", got, err)
		}
	})
	t.Run("http", func(t *testing.T) {
		exp, tp := recorder()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		res, err := httpx.Client(httpx.WithTracerProvider(tp)).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := oneType(t, exp, nil); got != "503" {
			t.Errorf("error.type %q, want 503", got)
		}
	})
}

// TestHTTPCallerSeesOwnError: the error.type carrier httpx hands otelhttp
// never reaches the caller, who gets the transport's own error.
func TestHTTPCallerSeesOwnError(t *testing.T) {
	_, tp := recorder()
	_, err := httpx.Client(httpx.WithTracerProvider(tp)).Get("http://" + closedAddr(t) + "/")
	if errtype.Strip(errors.Unwrap(err)) != errors.Unwrap(err) {
		t.Errorf("the caller's error holds the carrier: %v", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %T %v, want *url.Error", err, err)
	}
	if _, ok := ue.Err.(*net.OpError); !ok {
		t.Errorf("url.Error.Err = %T, want *net.OpError as without httpx", ue.Err)
	}
	rt := httpx.NewTransport(nil, httpx.WithTracerProvider(tp))
	req, _ := http.NewRequest(http.MethodGet, "http://"+closedAddr(t)+"/", nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("no error")
	} else if _, ok := err.(*net.OpError); !ok {
		t.Errorf("RoundTrip error %T, want *net.OpError", err)
	}
}
