package liveview

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerRequiresToken(t *testing.T) {
	const tok = "s3cret-token"
	h := New(Config{Token: tok}).Handler()
	tests := []struct {
		name, path, auth string
		want             int
	}{
		{"page without token", "/", "", http.StatusUnauthorized},
		{"api without token", "/api/rates", "", http.StatusUnauthorized},
		{"trace without token", "/api/traces/0102030405060708090a0b0c0d0e0f10", "", http.StatusUnauthorized},
		{"wrong bearer", "/api/spans", "Bearer nope", http.StatusUnauthorized},
		{"wrong query", "/api/spans?token=nope", "", http.StatusUnauthorized},
		{"basic auth is not a token", "/api/spans", "Basic czNjcmV0LXRva2Vu", http.StatusUnauthorized},
		{"bearer", "/api/spans", "Bearer " + tok, http.StatusOK},
		{"bearer any case", "/api/logs", "bearer " + tok, http.StatusOK},
		{"query", "/api/heatmap?token=" + tok, "", http.StatusOK},
		{"page with query", "/?token=" + tok, "", http.StatusOK},
		{"static code needs none", "/static/app.js", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("%d, want %d", rec.Code, tt.want)
			}
			body := rec.Body.String()
			if rec.Code == http.StatusUnauthorized {
				if !strings.Contains(body, "token required") || rec.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 does not say a token is required: %q", body)
				}
				if strings.Contains(body, tok) {
					t.Error("401 body leaks the token")
				}
			}
		})
	}

	// The page served with the token knows it is required and says so.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/info", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `"token_required":true`) {
		t.Errorf("info: %s", rec.Body)
	}
}

func TestStartRefusesNonLoopbackWithoutToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:5001", "example.com:5001"} {
		v := New(Config{})
		if _, err := v.Start(addr); !errors.Is(err, ErrTokenRequired) {
			t.Errorf("Start(%q) = %v, want ErrTokenRequired", addr, err)
		}
	}
}

func TestStartOnLoopback(t *testing.T) {
	v := New(Config{})
	url, err := v.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/") {
		t.Errorf("url %q", url)
	}
	if _, err := v.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded")
	}
	resp, err := http.Get(url + "api/rates")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET api/rates: %d", resp.StatusCode)
	}
	if err := v.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("server still answers after Shutdown")
	}
}

func TestStartNonLoopbackAnswers401WithoutToken(t *testing.T) {
	const tok = "tok-123"
	v := New(Config{Token: tok})
	url, err := v.Start("0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Shutdown(context.Background()) })
	_, port, _ := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
	base := "http://127.0.0.1:" + port + "/"

	resp, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "token required") {
		t.Errorf("page without token: %d %q", resp.StatusCode, body)
	}
	resp, err = http.Get(base + "?token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("page with token: %d", resp.StatusCode)
	}
}

// localRequest is a request as a browser on this machine sends it to the
// view's default address.
func localRequest(method, target string) *http.Request {
	req := httptest.NewRequest(method, target, nil)
	req.Host = "127.0.0.1:5001"
	return req
}

// The rule: without a token, the view answers only a Host that is a
// loopback name or address or its own listen address; anything else (a name
// a page rebinds to 127.0.0.1) gets 421, on every path. With a token, every
// Host is served.
func TestHostGuardWithoutToken(t *testing.T) {
	v := New(Config{})
	h := v.Handler()
	tests := []struct {
		host string
		want int
	}{
		{"127.0.0.1:5001", http.StatusOK},
		{"127.0.0.1", http.StatusOK},
		{"127.8.9.10:80", http.StatusOK},
		{"localhost:5001", http.StatusOK},
		{"LOCALHOST.:5001", http.StatusOK},
		{"app.localhost:5001", http.StatusOK},
		{"[::1]:5001", http.StatusOK},
		{"[::1]", http.StatusOK},
		{"attacker.example", http.StatusMisdirectedRequest},
		{"attacker.example:5001", http.StatusMisdirectedRequest},
		{"localhost.attacker.example", http.StatusMisdirectedRequest},
		{"127.0.0.1.nip.io:5001", http.StatusMisdirectedRequest},
		{"notlocalhost:5001", http.StatusMisdirectedRequest},
		{"10.1.2.3:5001", http.StatusMisdirectedRequest},
		{"[::ffff:10.1.2.3]:5001", http.StatusMisdirectedRequest},
		{"", http.StatusMisdirectedRequest},
		{":5001", http.StatusMisdirectedRequest},
		{"[", http.StatusMisdirectedRequest},
	}
	for _, path := range []string{"/", "/api/info", "/api/traces", "/static/app.js", "/nothing"} {
		for _, tt := range tests {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Host = tt.host
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			want := tt.want
			if want == http.StatusOK && path == "/nothing" {
				want = http.StatusNotFound
			}
			if rec.Code != want {
				t.Errorf("GET %s Host %q: %d, want %d", path, tt.host, rec.Code, want)
			}
		}
	}

	// A token lifts the rule: the token protects the data.
	ht := New(Config{Token: "tok"}).Handler()
	req := httptest.NewRequest(http.MethodGet, "/api/info", nil)
	req.Host = "attacker.example"
	req.Header.Set("Authorization", "Bearer tok")
	rec := httptest.NewRecorder()
	ht.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("with a token, Host attacker.example: %d, want 200", rec.Code)
	}
}

// Over a real listener: the address the view listens on is accepted, a
// foreign Host is not.
func TestHostGuardListening(t *testing.T) {
	v := New(Config{})
	u, err := v.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Shutdown(context.Background())
	for host, want := range map[string]int{
		strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/"): http.StatusOK,
		"attacker.example": http.StatusMisdirectedRequest,
	} {
		req, _ := http.NewRequest(http.MethodGet, u+"api/info", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, want)
		}
	}
}
