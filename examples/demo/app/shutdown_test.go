package app

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestGracefulShutdown: cancelling Run's context stops accepting new
// connections but lets an in-flight request finish with its answer.
func TestGracefulShutdown(t *testing.T) {
	cfg := testConfig(t)
	cfg.ExternalDelay = 700 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	c := &testClient{t: t, base: "http://" + ln.Addr().String(), c: &http.Client{Timeout: 10 * time.Second}}
	token := c.user("slowpoke", "slowpoke-pw-1")

	inflight := make(chan response, 1)
	go func() {
		// t.Fatal must not run off the test goroutine: check the status after.
		req, _ := http.NewRequest("GET", c.base+"/external/data", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.c.Do(req)
		if err != nil {
			inflight <- response{status: -1}
			return
		}
		resp.Body.Close()
		inflight <- response{status: resp.StatusCode}
	}()
	time.Sleep(200 * time.Millisecond) // the request is now waiting on the external API
	cancel()

	select {
	case r := <-inflight:
		if r.status != http.StatusOK {
			t.Errorf("in-flight request: status %d, want 200", r.status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("in-flight request never answered")
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := http.Get(c.base + "/healthz"); err == nil {
		t.Errorf("the server still accepts connections after shutdown")
	}
}
