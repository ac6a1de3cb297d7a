package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
)

// goBlock matches a fenced ```go block of a Markdown file.
var goBlock = regexp.MustCompile("(?ms)^```go\n(.*?)^```\n")

// TestReadmeGoBlocksBuild: every ```go block of the root README.md is real
// code. A block that is a Go file of the examples module byte for byte is
// built with that module (the quick start is examples/quickstart/main.go);
// any other block is written into a scratch package of the module (with
// "package main" added when it has no package clause) and must build and
// vet as it is.
func TestReadmeGoBlocksBuild(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlock.FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```go block: the quick start is gone")
	}
	files := map[string]string{} // content -> path, every .go file of examples/
	err = filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		files[string(b)] = path
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	quick, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("```go\n"+string(quick)+"```\n")) {
		t.Errorf("README.md's quick start is not examples/quickstart/main.go verbatim")
	}
	for i, m := range blocks {
		code := string(m[1])
		if path, ok := files[code]; ok {
			t.Logf("block %d is %s", i+1, path)
			out, err := exec.Command("go", "vet", "./"+filepath.ToSlash(filepath.Dir(path))).CombinedOutput()
			if err != nil {
				t.Errorf("block %d (%s): go vet: %v\n%s", i+1, path, err, out)
			}
			continue
		}
		if !regexp.MustCompile(`(?m)^package \w+`).MatchString(code) {
			code = "package main\n\n" + code
		}
		dir, err := os.MkdirTemp("..", "readme-block-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "block.go"), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		pkg := "./" + filepath.Base(dir)
		for _, args := range [][]string{{"build", "-o", os.DevNull, pkg}, {"vet", pkg}} {
			cmd := exec.Command("go", args...)
			cmd.Dir = ".."
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("README.md ```go block %d does not %s: %v\n%s\n%s", i+1, args[0], err, out, code)
			}
		}
	}
}

// TestQuickstartInterrupt: the quick start, built and run, answers
// GET /hello, and on SIGINT (Ctrl-C) exits with status 0 after flushing:
// the receiver holds the GET /hello span.
func TestQuickstartInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the quick start")
	}
	bin := filepath.Join(t.TempDir(), "quickstart")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	redisAddr := os.Getenv("OTELKIT_TEST_REDIS_ADDR")
	if redisAddr == "" {
		redisAddr = "127.0.0.1:1" // no Redis: /hello answers 502, still traced
	}
	recv := otlptest.NewHTTPReceiver(t)
	cmd := exec.Command(bin)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OTEL") && !strings.HasPrefix(kv, "PORT=") && !strings.HasPrefix(kv, "REDIS_ADDR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "PORT="+port, "REDIS_ADDR="+redisAddr,
		"OTEL_EXPORTER_OTLP_ENDPOINT="+recv.URL,
		// Long enough that nothing but the shutdown flush exports.
		"OTEL_BSP_SCHEDULE_DELAY=600000", "OTEL_METRIC_EXPORT_INTERVAL=600000")
	var out testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	var status int
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get("http://127.0.0.1:" + port + "/hello")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("exited before serving: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /hello never answered:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("GET /hello: %d", status)
	if len(recv.Spans()) != 0 {
		t.Fatalf("spans exported before the signal; the test would not prove the flush")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Fatalf("exit after SIGINT: %v, want status 0\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30s after SIGINT\n%s", out.String())
	}
	found := false
	for _, s := range recv.Spans() {
		found = found || s.Name == "GET /hello"
	}
	if !found {
		t.Errorf("the GET /hello span was not flushed before exit\n%s", out.String())
	}
}
