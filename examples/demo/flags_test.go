package main

import (
	"bufio"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelkit/otelkit/internal/testutil"
)

// TestFlags: -h and -help print the usage on standard output and exit 0;
// an unknown flag or an argument exits 2 with the usage on standard error.
// The usage names every variable the demo reads (found in its source).
func TestFlags(t *testing.T) {
	bin := demoBinary(t)
	for _, h := range []string{"-h", "-help", "--help"} {
		cmd := exec.Command(bin, h)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(out), "Usage: demo") || stderr.Len() != 0 {
			t.Errorf("demo %s: %v, stdout %q, stderr %q", h, err, out, stderr.String())
		}
	}
	for _, args := range [][]string{{"-port", "1"}, {"--verbose"}, {"serve"}, {"-x"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(rcCleanEnv(), "PORT=0", "OTELKIT_VIEW_ADDR=127.0.0.1:0")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "Usage: demo") ||
			strings.Contains(string(out), "listening") {
			t.Errorf("demo %v: %v, want exit status 2 with the usage and nothing served\n%s", args, err, out)
		}
	}

	// Every variable read in the source is in the usage.
	read := regexp.MustCompile(`[Gg]etenv\("([A-Z_]+)"\)`)
	for _, f := range []string{"main.go", "app/config.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range read.FindAllStringSubmatch(string(src), -1) {
			if !regexp.MustCompile(`(?m)^  ` + m[1] + ` `).MatchString(usage) {
				t.Errorf("%s reads %s; the usage does not list it", f, m[1])
			}
		}
	}
}

// TestListenAddress: the demo listens on HOST (127.0.0.1 by default) and
// prints the address it really listens on, from the listener: with PORT=0
// the printed URL carries the port the kernel chose and answers.
func TestListenAddress(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the demo binary")
	}
	bin := demoBinary(t)
	for _, tc := range []struct {
		host string
		line *regexp.Regexp
	}{
		{"", regexp.MustCompile(`^hyunwoo listening on http://(127\.0\.0\.1:(\d+))$`)},
		{"127.0.0.1", regexp.MustCompile(`^hyunwoo listening on http://(127\.0\.0\.1:(\d+))$`)},
		{"0.0.0.0", regexp.MustCompile(`^hyunwoo listening on (?:0\.0\.0\.0|\[::\]):(\d+) \(every interface; http://localhost:(\d+) here\)$`)},
	} {
		t.Run("HOST="+tc.host, func(t *testing.T) {
			cmd := exec.Command(bin)
			cmd.Env = append(rcCleanEnv(), "PORT=0", "HOST="+tc.host, "OTELKIT_VIEW_ADDR=127.0.0.1:0", "OTEL_SDK_DISABLED=true")
			var stderr testutil.SyncBuffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				_ = cmd.Wait()
			}()
			lines := make(chan string, 16)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			timeout := time.After(60 * time.Second)
			for {
				select {
				case line, ok := <-lines:
					if !ok {
						t.Fatalf("exited without a listening line; stderr:\n%s", stderr.String())
					}
					if strings.HasPrefix(line, "live view: http") {
						t.Errorf("with OTEL_SDK_DISABLED=true the live view is announced: %q", line)
					}
					if !strings.HasPrefix(line, "hyunwoo listening") {
						continue
					}
					m := tc.line.FindStringSubmatch(line)
					if m == nil {
						t.Fatalf("listening line %q does not match %s", line, tc.line)
					}
					port := m[len(m)-1]
					if port == "0" {
						t.Fatalf("printed port 0, not the listener's: %q", line)
					}
					resp, err := http.Get("http://127.0.0.1:" + port + "/healthz")
					if err != nil {
						t.Fatalf("the printed address does not answer: %v", err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Errorf("GET /healthz on the printed address: %d", resp.StatusCode)
					}
					go func() { // drain
						for range lines {
						}
					}()
					return
				case <-timeout:
					t.Fatalf("no listening line within 60s; stderr:\n%s", stderr.String())
				}
			}
		})
	}
}
