// Package apionly_test runs httpx, sqlx and kafkax under a TracerProvider
// written against the OpenTelemetry API only (internal/apitrace) and under
// the SDK's, and checks they record the same spans: the wrappers depend on
// the API, not on the SDK's types.
package apionly_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	_ "modernc.org/sqlite"

	"github.com/otelkit/otelkit/httpx"
	"github.com/otelkit/otelkit/internal/apitrace"
	"github.com/otelkit/otelkit/kafkax"
	"github.com/otelkit/otelkit/sqlx"
)

// varying are the keys whose values differ from one run to the next
// whatever the provider (ephemeral ports, offsets).
var varying = regexp.MustCompile(`^(network\.peer\.port|net\.sock\.peer\.port|net\.peer\.port|client\.port|messaging\.kafka\.offset|messaging\.kafka\.message\.offset)=`)

func normalize(vs []apitrace.View) []apitrace.View {
	for i := range vs {
		for j, a := range vs[i].Attrs {
			if loc := varying.FindStringIndex(a); loc != nil {
				vs[i].Attrs[j] = a[:loc[1]] + "*"
			}
		}
	}
	return vs
}

// same runs scenario under the SDK and under apitrace.Provider and
// compares the spans.
func same(t *testing.T, minSpans int, scenario func(t *testing.T, tp trace.TracerProvider)) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	sdk := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer sdk.Shutdown(context.Background())
	scenario(t, sdk)
	want := normalize(apitrace.ViewsOf(exp.GetSpans()))
	rec := &apitrace.Provider{}
	scenario(t, rec)
	got := normalize(rec.Views())
	if len(want) < minSpans {
		t.Fatalf("the SDK recorded %d spans, want at least %d:\n%s", len(want), minSpans, apitrace.Lines(want))
	}
	if d := apitrace.Diff(got, want); d != "" {
		t.Error(d)
	}
	t.Logf("%d spans alike:\n%s", len(got), apitrace.Lines(got))
}

func TestHTTPXWithoutSDK(t *testing.T) {
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	same(t, 6, func(t *testing.T, tp trace.TracerProvider) {
		opts := []httpx.Option{httpx.WithTracerProvider(tp), httpx.WithMeterProvider(noopmetric.NewMeterProvider()),
			httpx.WithPropagators(propagation.TraceContext{})}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item") })
		mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) })
		handler = httpx.NewHandler(mux, opts...)
		client := &http.Client{Transport: httpx.NewTransport(http.DefaultTransport, opts...)}
		ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
		defer parent.End()
		for _, path := range []string{"/items/42?q=1", "/fail", "/missing"} {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

func TestSQLXWithoutSDK(t *testing.T) {
	dsn := "file:" + filepath.Join(t.TempDir(), "api.db")
	same(t, 4, func(t *testing.T, tp trace.TracerProvider) {
		db, err := sqlx.Open("sqlite", dsn, sqlx.WithTracerProvider(tp), sqlx.WithMeterProvider(noopmetric.NewMeterProvider()))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
		defer parent.End()
		for _, q := range []string{
			"CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, body TEXT)",
			"INSERT INTO messages (body) VALUES ('hello')",
			"SELECT body FROM messages WHERE id = 1",
			"SELECT * FROM no_such_table",
		} {
			rows, err := db.QueryContext(ctx, q)
			if err == nil {
				for rows.Next() {
				}
				rows.Close()
			}
		}
	})
}

func TestKafkaxWithoutSDK(t *testing.T) {
	const topic = "api-logs"
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := 0
	same(t, 3, func(t *testing.T, tp trace.TracerProvider) {
		run++
		opts := kafkax.Opts(kafkax.WithTracerProvider(tp), kafkax.WithMeterProvider(noopmetric.NewMeterProvider()),
			kafkax.WithPropagators(propagation.TraceContext{}))
		prod, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.ClientID("producer")}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer prod.Close()
		ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
		if err := prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		parent.End()
		// Each run reads only its own record: the offset of the run's.
		cons, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.ClientID("consumer"),
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(int64(run - 1))}})}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer cons.Close()
		pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		fs := kafkax.PollFetches(pctx, cons)
		if err := fs.Err(); err != nil {
			t.Fatal(err)
		}
		if n := fs.NumRecords(); n != 1 {
			t.Fatalf("consumed %d records, want 1", n)
		}
		// The consume span of a record ends when the next poll starts (or
		// the client closes).
		cons.Close()
	})
}
