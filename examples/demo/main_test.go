package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
)

// TestRunCommand is the README's run command: build the demo, start it with
// no backend configured, poll GET /healthz until 200, exercise a login, stop
// it with SIGTERM and expect exit status 0 with its telemetry flushed and no
// password in its output.
func TestRunCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the demo binary")
	}
	bin := demoBinary(t)

	recv := otlptest.NewHTTPReceiver(t)
	const adminPW = "run-cmd-admin-pw-9"
	const userPW = "run-cmd-user-pw-77"
	p := rcStart(t, bin,
		"OTEL_EXPORTER_OTLP_ENDPOINT="+recv.URL,
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"DEMO_ADMIN_USER=boss",
		"DEMO_ADMIN_PASSWORD="+adminPW,
	)
	base, port, out := p.base, p.port, &p.out

	for _, req := range []struct{ path, body string }{
		{"/register", `{"username":"runner","password":"` + userPW + `"}`},
		{"/login", `{"username":"runner","password":"` + userPW + `"}`},
		{"/login", `{"username":"boss","password":"` + adminPW + `"}`},
	} {
		resp, err := http.Post(base+req.path, "application/json", strings.NewReader(req.body))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Errorf("POST %s: %d", req.path, resp.StatusCode)
		}
	}

	rcStop(t, p)

	text := out.String()
	// The summary of what otelboot built: /v1/<signal> appended to the
	// general endpoint the test set, the demo's service name.
	telemetry := "telemetry: service=hyunwoo traces=otlp http/protobuf " + recv.URL + "/v1/traces" +
		" metrics=otlp http/protobuf " + recv.URL + "/v1/metrics" +
		" logs=otlp http/protobuf " + recv.URL + "/v1/logs sampler=ParentBased{root:AlwaysOnSampler,"
	for _, want := range []string{telemetry, "propagators=baggage,traceparent,tracestate spanmetrics=on",
		"backends: database=embedded", "redis=embedded", "kafka=embedded", "external=embedded", "hyunwoo listening on http://127.0.0.1:" + port} {
		if !strings.Contains(text, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, text)
		}
	}
	for _, pw := range []string{adminPW, userPW} {
		if strings.Contains(text, pw) {
			t.Errorf("output contains the password %q", pw)
		}
	}
	// Shutdown flushed the spans of the requests above.
	names := map[string]bool{}
	for _, s := range recv.Spans() {
		names[s.Name] = true
	}
	for _, n := range []string{"GET /healthz", "POST /register", "POST /login"} {
		if !names[n] {
			t.Errorf("span %q not exported before exit; got %v", n, names)
		}
	}
	if v, _ := recv.ResourceAttr("service.name"); v != "hyunwoo" {
		t.Errorf("service.name = %q", v)
	}

	// The README's exact situation: no collector at all. The service
	// still serves, and SIGTERM still exits 0 once the flush gives up.
	closed := "http://127.0.0.1:" + rcFreePort(t)
	p2 := rcStart(t, bin, "OTEL_EXPORTER_OTLP_ENDPOINT="+closed)
	resp, err := http.Post(p2.base+"/login", "application/json", strings.NewReader(`{"username":"x","password":"y"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a collector: POST /login %d, want 401", resp.StatusCode)
	}
	rcStop(t, p2)
	if want := "traces=otlp http/protobuf " + closed + "/v1/traces"; !strings.Contains(p2.out.String(), want) ||
		!strings.Contains(p2.out.String(), "(a collector that is not running only costs dropped batches)") {
		t.Errorf("start-up output lacks %q and the collector note:\n%s", want, p2.out.String())
	}
	if !strings.Contains(p2.out.String(), "admin account: \"admin\", generated password (shown once): ") {
		t.Errorf("no generated admin password line:\n%s", p2.out.String())
	}
}

// built is the demo binary, built once for every test of the package.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// demoBinary builds the demo (once) and returns the path of the binary.
func demoBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "demo-bin-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "demo")
		out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// rcCleanEnv is the test's environment without the variables that would
// point the demo at real backends.
func rcCleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "MYSQL_DSN", k == "REDIS_ADDR", k == "REDIS_PASSWORD", k == "REDIS_DB",
			k == "KAFKA_BROKERS", k == "EXTERNAL_API_URL", k == "PORT",
			strings.HasPrefix(k, "OTEL_"), strings.HasPrefix(k, "DEMO_"):
			continue
		}
		env = append(env, kv)
	}
	return env
}

func rcFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// rcProc is a started demo process.
type rcProc struct {
	cmd    *exec.Cmd
	out    testutil.SyncBuffer
	exited chan error
	base   string
	port   string
}

// rcStart starts the binary on a free port with env added to a clean
// environment and waits until GET /healthz answers 200.
func rcStart(t *testing.T, bin string, env ...string) *rcProc {
	t.Helper()
	p := &rcProc{port: rcFreePort(t), exited: make(chan error, 1)}
	p.base = "http://127.0.0.1:" + p.port
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(append(rcCleanEnv(), "PORT="+p.port, "OTELKIT_VIEW_ADDR=127.0.0.1:0"), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.exited:
			t.Fatalf("demo exited before answering /healthz: %v\n%s", err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz never answered 200\n%s", p.out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// rcStop sends SIGTERM and expects exit status 0 within 30s.
func rcStop(t *testing.T, p *rcProc) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0\n%s", err, p.out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("demo still running 30s after SIGTERM\n%s", p.out.String())
	}
}
