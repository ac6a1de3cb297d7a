package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestCommand builds the command, runs it on free ports, sends it spans
// over OTLP/HTTP and OTLP/gRPC, reads them back through the page's API by
// service, and stops it with SIGTERM.
func TestCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "otelkit-view")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-otlp", "127.0.0.1:0, 127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()

	var page string
	var endpoints []string
	sc := bufio.NewScanner(stdout)
	for len(endpoints) < 2 && sc.Scan() {
		line := sc.Text()
		if u, ok := strings.CutPrefix(line, "live view: "); ok {
			page = u
		}
		if u, ok := strings.CutPrefix(line, "OTLP receiver: "); ok {
			endpoints = append(endpoints, u[:strings.IndexByte(u, ' ')])
		}
	}
	if page == "" || len(endpoints) != 2 {
		t.Fatalf("page %q, endpoints %q; stderr:\n%s", page, endpoints, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	ctx := context.Background()
	httpExp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoints[0]+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	grpcExp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(strings.TrimPrefix(endpoints[1], "http://")), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	for svc, exp := range map[string]sdktrace.SpanExporter{"over-http": httpExp, "over-grpc": grpcExp} {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", svc))))
		_, sp := tp.Tracer("t").Start(ctx, "op of "+svc)
		sp.End()
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
	}

	client := &http.Client{Timeout: 5 * time.Second}
	get := func(path string) string {
		resp, err := client.Get(page + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	if body := get(""); !strings.Contains(body, "otelkit live view") {
		t.Errorf("page: %.200s", body)
	}
	for _, svc := range []string{"over-http", "over-grpc"} {
		var tr struct {
			Traces []struct{ Name, Service string }
		}
		if err := json.Unmarshal([]byte(get("api/traces?service="+svc)), &tr); err != nil {
			t.Fatal(err)
		}
		if len(tr.Traces) != 1 || tr.Traces[0].Name != "op of "+svc || tr.Traces[0].Service != svc {
			t.Errorf("%s: %+v", svc, tr.Traces)
		}
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Error("still running 10 s after SIGTERM")
	}
}

// TestCommandRefusesNonLoopbackWithoutToken: the token rules of the view.
func TestCommandRefusesNonLoopbackWithoutToken(t *testing.T) {
	t.Setenv("OTELKIT_VIEW_TOKEN", "")
	for _, args := range [][]string{
		{"-addr", "0.0.0.0:0", "-otlp", "127.0.0.1:0"},
		{"-addr", "127.0.0.1:0", "-otlp", "0.0.0.0:0"},
	} {
		var out, errOut strings.Builder
		err := run(context.Background(), args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "token") {
			t.Errorf("%q: %v", args, err)
		}
	}
}
