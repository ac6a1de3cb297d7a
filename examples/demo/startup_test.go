package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/otelkit/otelkit/internal/otlptest"
	"github.com/otelkit/otelkit/internal/testutil"
)

// TestStartupFailures is the rule for a backend the demo cannot use at
// start-up: the process exits with status 1 after one line
// "demo: BACKEND: CAUSE (change VARIABLE)", holding no secret of the
// configuration, with no panic, its telemetry flushed and no temporary
// file left behind.
func TestStartupFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the demo binary")
	}
	bin := demoBinary(t)
	const marker = "Pw-MARKER-5ec2et"
	closed := "127.0.0.1:" + rcFreePort(t)
	pad := func(s string, n int) string { return s + strings.Repeat("x", n-len(s)) }

	type tc struct {
		name     string
		env      []string
		backend  string // the line starts with "demo: " + backend + ": "
		variable string
		cause    string
		secrets  []string
	}
	cases := []tc{
		{
			name:    "mysql unreachable",
			env:     []string{"MYSQL_DSN=app:" + marker + "@tcp(" + closed + ")/demo"},
			backend: "database", variable: "MYSQL_DSN", cause: "connection refused", secrets: []string{marker},
		},
		{
			name:    "redis not running",
			env:     []string{"REDIS_ADDR=" + closed, "REDIS_PASSWORD=" + marker},
			backend: "redis", variable: "REDIS_ADDR", cause: "connection refused", secrets: []string{marker},
		},
		{
			name:    "kafka unreachable",
			env:     []string{"KAFKA_BROKERS=" + closed},
			backend: "kafka", variable: "KAFKA_BROKERS", cause: "connection refused",
		},
		{
			name:    "external API not http",
			env:     []string{"EXTERNAL_API_URL=ftp://user:" + marker + "@example.com/x?api_key=" + marker + "2&v=1"},
			backend: "external API", variable: "EXTERNAL_API_URL", cause: "not an http(s) URL",
			secrets: []string{marker, marker + "2"},
		},
		{
			name:    "external API without host",
			env:     []string{"EXTERNAL_API_URL=http:///api?token=" + marker},
			backend: "external API", variable: "EXTERNAL_API_URL", cause: "with a host", secrets: []string{marker},
		},
		{
			name:    "admin password 73 bytes",
			env:     []string{"DEMO_ADMIN_USER=boss", "DEMO_ADMIN_PASSWORD=" + pad(marker, 73)},
			backend: "admin account", variable: "DEMO_ADMIN_PASSWORD", cause: "at most 72 bytes", secrets: []string{marker},
		},
		{
			// 19 emoji: 19 characters, 76 bytes.
			name:    "admin password 19 emoji",
			env:     []string{"DEMO_ADMIN_USER=boss", "DEMO_ADMIN_PASSWORD=" + strings.Repeat("😀", 19)},
			backend: "admin account", variable: "DEMO_ADMIN_PASSWORD", cause: "has 76", secrets: []string{"😀😀"},
		},
		{
			name:    "admin password too short",
			env:     []string{"DEMO_ADMIN_USER=boss", "DEMO_ADMIN_PASSWORD=Pw-7x"},
			backend: "admin account", variable: "DEMO_ADMIN_PASSWORD", cause: "at least 8 characters", secrets: []string{"Pw-7x"},
		},
	}
	if dsn := os.Getenv("OTELKIT_TEST_MYSQL_DSN"); dsn == "" {
		t.Log("OTELKIT_TEST_MYSQL_DSN not set: the cases of a missing database and a wrong password are skipped")
	} else {
		mc, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("OTELKIT_TEST_MYSQL_DSN: %v", err)
		}
		missing := mc.Clone()
		missing.DBName = "otelkit_no_such_db"
		wrongPW := mc.Clone()
		wrongPW.Passwd = marker
		cases = append(cases,
			tc{
				name:    "mysql database does not exist",
				env:     []string{"MYSQL_DSN=" + missing.FormatDSN()},
				backend: "database", variable: "MYSQL_DSN", cause: `database "otelkit_no_such_db" does not exist`,
				secrets: []string{mc.Passwd},
			},
			tc{
				name:    "mysql wrong password",
				env:     []string{"MYSQL_DSN=" + wrongPW.FormatDSN()},
				backend: "database", variable: "MYSQL_DSN", cause: "Access denied", secrets: []string{marker},
			},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			recv := otlptest.NewHTTPReceiver(t)
			tmp := t.TempDir()
			cmd := exec.Command(bin)
			cmd.Env = append(append(rcCleanEnv(),
				"PORT=0", "OTELKIT_VIEW_ADDR=127.0.0.1:0", "TMPDIR="+tmp,
				"OTEL_EXPORTER_OTLP_ENDPOINT="+recv.URL,
			), c.env...)
			var out testutil.SyncBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("still running after 60s:\n%s", out.String())
			}
			text := out.String()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, text)
			}
			for _, bad := range []string{"panic", "goroutine ", "runtime error"} {
				if strings.Contains(text, bad) {
					t.Errorf("output holds %q:\n%s", bad, text)
				}
			}
			// Besides the start-up lines, exactly one line: the error.
			var rest []string
			for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
				if !strings.HasPrefix(line, "telemetry: ") && !strings.HasPrefix(line, "live view: ") {
					rest = append(rest, line)
				}
			}
			if len(rest) != 1 {
				t.Fatalf("want one error line, got %d:\n%s", len(rest), text)
			}
			line := rest[0]
			if !strings.HasPrefix(line, "demo: "+c.backend+": ") ||
				!strings.HasSuffix(line, "(change "+c.variable+")") || !strings.Contains(line, c.cause) {
				t.Errorf("error line\n\t%s\nwant \"demo: %s: ...%s... (change %s)\"", line, c.backend, c.cause, c.variable)
			}
			for _, sec := range c.secrets {
				if sec != "" && strings.Contains(text, sec) {
					t.Errorf("output holds the secret %q:\n%s", sec, text)
				}
			}
			// Flushed: the metrics reader exports once at shutdown.
			if len(recv.Requests()) == 0 {
				t.Errorf("no telemetry reached the receiver before exit:\n%s", text)
			}
			if ents, err := os.ReadDir(tmp); err != nil || len(ents) != 0 {
				t.Errorf("temporary directory not empty after exit: %v %v", ents, err)
			}
		})
	}
}
