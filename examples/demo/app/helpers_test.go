package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/otelkit/otelkit/internal/testutil"
)

const (
	testAdmin   = "root_admin"
	testAdminPW = "admin-secret-pw-4711"
)

// testConfig is an embedded-backends configuration with fast hashing.
func testConfig(t *testing.T) Config {
	t.Helper()
	return Config{
		Addr:          "127.0.0.1:0",
		SQLitePath:    t.TempDir() + "/demo.db",
		AdminUser:     testAdmin,
		AdminPassword: testAdminPW,
		BcryptCost:    bcrypt.MinCost,
		ExternalDelay: 5 * time.Millisecond,
		KafkaReadWait: 3 * time.Second,
		Out:           &testutil.SyncBuffer{},
	}
}

// newTestServer starts the app on embedded backends behind httptest.
func newTestServer(t *testing.T, cfg Config) (*App, *testClient) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return a, &testClient{t: t, base: srv.URL, c: srv.Client()}
}

type testClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// do sends a request; token, when not empty, goes in a Bearer header.
func (c *testClient) do(method, path, token, body string, hdr ...string) response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.send(req)
}

func (c *testClient) send(req *http.Request) response {
	c.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			c.t.Fatalf("%s %s: %d body is not a JSON object: %q", req.Method, req.URL.Path, resp.StatusCode, raw)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			c.t.Errorf("%s %s: Content-Type %q, want application/json", req.Method, req.URL.Path, ct)
		}
	}
	return r
}

// register and login a user; returns the token.
func (c *testClient) user(name, pw string) string {
	c.t.Helper()
	if r := c.do("POST", "/register", "", `{"username":"`+name+`","password":"`+pw+`"}`); r.status != http.StatusCreated {
		c.t.Fatalf("register %s: %d %s", name, r.status, r.raw)
	}
	return c.login(name, pw)
}

func (c *testClient) login(name, pw string) string {
	c.t.Helper()
	r := c.do("POST", "/login", "", `{"username":"`+name+`","password":"`+pw+`"}`)
	if r.status != http.StatusOK || r.str("token") == "" {
		c.t.Fatalf("login %s: %d %s", name, r.status, r.raw)
	}
	return r.str("token")
}

// expectError checks an error answer: the status and a JSON {"error": "..."}.
func expectError(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d (body %s)", what, r.status, status, r.raw)
		return
	}
	if r.str("error") == "" {
		t.Errorf("%s: body %s has no \"error\"", what, r.raw)
	}
}

// counts returns the number of users and messages stored.
func counts(t *testing.T, a *App) (users, messages int) {
	t.Helper()
	ctx := context.Background()
	if err := a.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if err := a.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&messages); err != nil {
		t.Fatal(err)
	}
	return users, messages
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func urlQuery(s string) string { return url.QueryEscape(s) }
