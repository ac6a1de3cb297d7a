package otelboot

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"
)

// closedPort returns an address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestShutdownBoundEveryProtocol: with the collector down (a closed port)
// or hanging (a listener that accepts and never answers), the shutdown
// returns within its context's deadline, over gRPC as over HTTP, whether
// or not anything was emitted.
func TestShutdownBoundEveryProtocol(t *testing.T) {
	const deadline, slack = 500 * time.Millisecond, 400 * time.Millisecond
	for _, proto := range []string{"grpc", "http/protobuf"} {
		for _, receiver := range []string{"closed port", "hanging"} {
			for _, emitted := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/emitted=%v", proto, receiver, emitted), func(t *testing.T) {
					ep := closedPort(t)
					if receiver == "hanging" {
						ep = deadReceiver(t)
					}
					cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", ep, "OTEL_EXPORTER_OTLP_PROTOCOL", proto)
					shutdown, _ := start(t)
					if emitted {
						emit(t)
					}
					ctx, cancel := context.WithTimeout(context.Background(), deadline)
					defer cancel()
					began := time.Now()
					_ = shutdown(ctx)
					if took := time.Since(began); took > deadline+slack {
						t.Errorf("shutdown took %s with a %s deadline", took, deadline)
					}
				})
			}
		}
	}
}

// TestShutdownNoCollectorIsQuick: with nothing listening, nothing can be
// flushed, and shutdown gives up at once over both protocols instead of
// using its deadline retrying (gRPC took the whole 5 s of the demo's).
func TestShutdownNoCollectorIsQuick(t *testing.T) {
	const deadline = 5 * time.Second
	for _, proto := range []string{"grpc", "http/protobuf"} {
		t.Run(proto, func(t *testing.T) {
			cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", closedPort(t), "OTEL_EXPORTER_OTLP_PROTOCOL", proto)
			shutdown, _ := start(t)
			emit(t)
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			began := time.Now()
			err := shutdown(ctx)
			if took := time.Since(began); took > deadline/2 {
				t.Errorf("shutdown took %s with nothing listening, want well under the %s deadline", took, deadline)
			}
			if err == nil {
				t.Errorf("shutdown reported no error although nothing was delivered")
			}
		})
	}
}

// An export already waiting in the gRPC exporter's retry backoff when
// shutdown begins (the BSP exported once, the collector is not there, the
// next attempt is seconds away) no longer holds shutdown: the demo's
// SIGTERM over gRPC took 4.3 s for that wait.
func TestShutdownEndsExportInBackoff(t *testing.T) {
	cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", closedPort(t), "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
		"OTEL_BSP_SCHEDULE_DELAY", "10", "OTEL_METRIC_EXPORT_INTERVAL", "100", "OTEL_BLRP_SCHEDULE_DELAY", "10")
	shutdown, _ := start(t)
	emit(t)
	// Let the batchers make their first attempt and enter the backoff; an
	// attempt on a refused port fails within milliseconds.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	_ = shutdown(ctx)
	if took := time.Since(began); took > time.Second {
		t.Errorf("shutdown took %s with exports in backoff and nothing listening, want under 1s", took)
	}
}

// An export to a collector that answers is not cut short by shutdown: the
// inflight set ends exports only after a call found no connection.
func TestInflightStopOnlyWithoutConnection(t *testing.T) {
	var f inflight
	ctx, end := f.begin(context.Background())
	defer end()
	f.stop()
	if ctx.Err() != nil {
		t.Fatal("an export was ended although the last call had a connection")
	}
	f.noConn.Store(true)
	f.stop()
	if ctx.Err() == nil {
		t.Fatal("an export in flight was not ended after a call found no connection")
	}
	var nilSet *inflight
	c2, end2 := nilSet.begin(context.Background())
	end2()
	nilSet.stop()
	if c2.Err() != nil {
		t.Fatal("a nil set changed the context")
	}
}
