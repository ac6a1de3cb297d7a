package otelboot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otellog "go.opentelemetry.io/otel/log"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
)

// TestShutdownDeliversEverything: what was emitted before shutdown reaches
// the receiver; a second shutdown does no work and returns nil; slog's
// default logger is restored.
func TestShutdownDeliversEverything(t *testing.T) {
	r := otlptest.NewHTTPReceiver(t)
	cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_SERVICE_NAME", "hyunwoo")
	prev := slog.Default()
	shutdown, _ := start(t, WithDefaultLogger(true))
	if slog.Default() == prev {
		t.Fatalf("slog default not replaced")
	}
	const n = 700 // more than one export batch
	tr, c := otel.Tracer("t"), must(otel.Meter("t").Int64Counter("requests"))
	for i := range n {
		ctx, span := tr.Start(context.Background(), fmt.Sprint("op-", i))
		c.Add(ctx, 1)
		var rec otellog.Record
		rec.SetBody(attribute.IntValue(i))
		otel.GetLoggerProvider().Logger("t").Emit(ctx, rec)
		span.End()
	}
	shut(t, shutdown)
	if got := len(r.Spans()); got != n {
		t.Errorf("spans = %d, want %d", got, n)
	}
	if got := len(r.LogRecords()); got != n {
		t.Errorf("log records = %d, want %d", got, n)
	}
	m := metricByName(r, "requests")
	if m == nil || m.GetSum().GetDataPoints()[0].GetAsInt() != n {
		t.Errorf("requests counter = %v, want %d", m, n)
	}
	if slog.Default() != prev {
		t.Errorf("slog default not restored")
	}
	if metricByName(r, "duration") == nil {
		t.Errorf("span metrics (duration) not exported: spanmetrics processor not registered")
	}

	before := len(r.Requests())
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a second shutdown must not need any time at all
	if err := shutdown(ctx); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
	if len(r.Requests()) != before {
		t.Errorf("second shutdown sent requests")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// deadReceiver accepts connections and never answers.
func deadReceiver(t *testing.T) string {
	t.Helper()
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		lis.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + lis.Addr().String()
}

// TestShutdownDeadReceiverHonoursDeadline: with a receiver that never
// answers, shutdown returns within its deadline and says what it could not
// flush.
func TestShutdownDeadReceiverHonoursDeadline(t *testing.T) {
	for _, proto := range []string{"http/protobuf", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", deadReceiver(t), "OTEL_EXPORTER_OTLP_PROTOCOL", proto)
			shutdown, _ := start(t)
			emit(t)
			const deadline = 300 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			began := time.Now()
			err := shutdown(ctx)
			took := time.Since(began)
			if took > deadline+time.Second {
				t.Errorf("shutdown took %s with a %s deadline", took, deadline)
			}
			if err == nil {
				t.Fatalf("shutdown reported no error although nothing was delivered")
			}
			for _, what := range []string{"traces", "metrics", "logs"} {
				if !strings.Contains(err.Error(), "flushing "+what) {
					t.Errorf("error does not name %s: %v", what, err)
				}
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Logf("note: error does not wrap DeadlineExceeded: %v", err)
			}
		})
	}
}

// TestCollectorDown: 10,000 spans with nothing listening. Memory stays
// within the queue bound, and errors are reported per export, not per span:
// the error handler is called at most once per batch and one line is
// written per kind. Nothing depends on time: exports happen only when a
// batch is full (the schedule delay is an hour), the rate limit's interval
// is an hour, and the test waits for the first error line by a signal.
func TestCollectorDown(t *testing.T) {
	const spans, size, batch = 10000, 2048, 512
	cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", closedPort(t), "OTEL_BSP_SCHEDULE_DELAY", "3600000",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", fmt.Sprint(batch), "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	var calls atomic.Int64
	hook := optionFunc(func(c *config) { c.onError = func(error) { calls.Add(1) } })
	var diag testutil.SyncBuffer
	logged := make(chan struct{}, 1)
	h := &signalHandler{Handler: slog.NewTextHandler(&diag, nil), at: slog.LevelError, signal: logged}
	shutdown, err := Start(context.Background(), WithLogger(slog.New(h)), WithDefaultLogger(false), hook,
		WithErrorInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	payload := strings.Repeat("x", size)
	tr := otel.Tracer("t")
	for i := range spans {
		_, span := tr.Start(context.Background(), "op")
		span.SetAttributes(attribute.String("payload", payload), attribute.Int("i", i))
		span.End()
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	grown := int64(ms.HeapAlloc) - int64(base)
	// Unbounded, 10,000 spans would hold more than 20 MB; the queue (2048)
	// plus one batch in flight (512) hold about 2560 × (2 KB + overhead).
	const bound = 12 << 20
	if grown > bound {
		t.Errorf("heap grew by %d MB with the collector down, want < %d MB", grown>>20, bound>>20)
	}
	t.Logf("heap growth %.1f MB for %d spans of %d bytes", float64(grown)/(1<<20), spans, size)

	<-logged // the first failed export has been reported (the test's own timeout bounds this)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = shutdown(ctx) // whether spans were left to flush depends on the scheduler
	// Every export is done: count.
	if n, most := calls.Load(), int64(spans/batch+2); n == 0 || n > most {
		t.Errorf("error handler called %d times for %d spans, want 1 to %d (one per batch)", n, spans, most)
	}
	if n := countLines(diag.String(), "level=ERROR", "opentelemetry:"); n == 0 || n > 2 {
		t.Errorf("%d error lines logged, want 1 or 2 (one per kind):\n%s", n, diag.String())
	}
	t.Logf("error handler called %d times, %d lines logged", calls.Load(), countLines(diag.String(), "level=ERROR"))
}

// signalHandler sends on signal (without blocking) after handling a record
// at level at or above.
type signalHandler struct {
	slog.Handler
	at     slog.Level
	signal chan struct{}
}

func (h *signalHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.at {
		select {
		case h.signal <- struct{}{}:
		default:
		}
	}
	return err
}

// TestErrorHandlerRateLimit: one line per kind per interval, with the count
// of the suppressed ones on the next line.
func TestErrorHandlerRateLimit(t *testing.T) {
	var buf testutil.SyncBuffer
	now := time.Unix(0, 0)
	d := newDiag(&config{logger: slog.New(slog.NewTextHandler(&buf, nil)), errorInterval: time.Minute}, slog.LevelInfo)
	d.errs.now = func() time.Time { return now }
	for range 1000 {
		d.errs.Handle(errors.New("traces export: connection refused"))
	}
	d.errs.Handle(errors.New("failed to upload metrics: connection refused"))
	if got := countLines(buf.String(), "level=ERROR"); got != 2 {
		t.Fatalf("%d lines, want 2 (one per kind):\n%s", got, buf.String())
	}
	now = now.Add(time.Minute)
	d.errs.Handle(errors.New("traces export: connection refused"))
	if got := countLines(buf.String(), "traces export", "suppressed=999"); got != 1 {
		t.Errorf("no line reporting 999 suppressed:\n%s", buf.String())
	}
}

// TestOTLPTimeout: OTEL_EXPORTER_OTLP_TRACES_TIMEOUT bounds an export to a
// receiver that never answers (the default would be 10 s).
func TestOTLPTimeout(t *testing.T) {
	cleanEnv(t, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", deadReceiver(t)+"/v1/traces", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "100",
		"OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
	shutdown, _ := start(t)
	emit(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	began := time.Now()
	err := shutdown(ctx)
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("export gave up after %s, want about 100ms", took)
	}
	if err == nil || !strings.Contains(err.Error(), "flushing traces") {
		t.Errorf("err = %v, want a traces flush error", err)
	}
}

// TestOTLPCertificate: OTEL_EXPORTER_OTLP_CERTIFICATE makes an https
// receiver with a private CA reachable; without it, nothing arrives.
func TestOTLPCertificate(t *testing.T) {
	for _, withCA := range []bool{true, false} {
		t.Run(fmt.Sprint("ca=", withCA), func(t *testing.T) {
			r := otlptest.NewHTTPReceiver(t, otlptest.WithTLS())
			ca := ""
			if withCA {
				ca = r.CertFile
			}
			cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_EXPORTER_OTLP_CERTIFICATE", ca,
				"OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none")
			shutdown, _ := start(t)
			emit(t)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			err := shutdown(ctx)
			if got := len(r.Spans()); (got == 1) != withCA {
				t.Errorf("spans received = %d (err %v)", got, err)
			}
			if withCA && err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}
