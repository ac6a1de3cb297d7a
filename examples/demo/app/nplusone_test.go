package app

import (
	"net/http"
	"reflect"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestAdminUsersNPlusOne: GET /admin/users?n_plus_one=true answers exactly
// what GET /admin/users does, with one users query and then one COUNT per
// user (N+1 statement spans under the request), where the default runs one
// statement; any value strconv.ParseBool refuses is a 400.
func TestAdminUsersNPlusOne(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(prev)
		_ = tp.Shutdown(t.Context())
	})

	_, c := newTestServer(t, testConfig(t))
	for i, name := range []string{"np_alice", "np_bob", "np_carol"} {
		tok := c.user(name, "np-password-"+name)
		for range i + 1 {
			if r := c.do("POST", "/db/message", tok, `{"content":"hi"}`); r.status != http.StatusCreated {
				t.Fatalf("post message: %d %s", r.status, r.raw)
			}
		}
	}
	admin := c.login(testAdmin, testAdminPW)
	const users = 4 // the admin and the three above

	// statements returns the statement spans of the last GET /admin/users.
	statements := func() []string {
		t.Helper()
		spans := rec.Ended()
		var server sdktrace.ReadOnlySpan
		for _, s := range spans {
			if s.Name() == "GET /admin/users" {
				server = s
			}
		}
		if server == nil {
			t.Fatal("no GET /admin/users span")
		}
		var out []string
		for _, s := range spans {
			if s.Parent().SpanID() != server.SpanContext().SpanID() {
				continue
			}
			for _, kv := range s.Attributes() {
				if kv.Key == "db.statement" {
					out = append(out, kv.Value.AsString())
				}
			}
		}
		return out
	}

	want := c.do("GET", "/admin/users", admin, "")
	if want.status != http.StatusOK || len(want.body["users"].([]any)) != users {
		t.Fatalf("GET /admin/users: %d %s", want.status, want.raw)
	}
	if st := statements(); len(st) != 1 {
		t.Errorf("default: %d statements %q, want 1", len(st), st)
	}
	for _, v := range []string{"0", "false", "1", "true", "TRUE"} {
		r := c.do("GET", "/admin/users?n_plus_one="+v, admin, "")
		if r.status != http.StatusOK || !reflect.DeepEqual(r.body, want.body) {
			t.Errorf("n_plus_one=%s: %d %s, want the default answer %s", v, r.status, r.raw, want.raw)
		}
		st := statements()
		on := v != "0" && v != "false"
		switch {
		case !on && len(st) != 1:
			t.Errorf("n_plus_one=%s: %d statements %q, want 1", v, len(st), st)
		case on && len(st) != users+1:
			t.Errorf("n_plus_one=%s: %d statements %q, want %d", v, len(st), st, users+1)
		case on:
			for _, s := range st[1:] {
				if s != "SELECT COUNT(*) FROM messages WHERE user_id = ?" {
					t.Errorf("n_plus_one=%s: per-user statement %q", v, s)
				}
			}
		}
	}
	for _, v := range []string{"yes", "2", "on", "%00"} {
		expectError(t, "n_plus_one="+v, c.do("GET", "/admin/users?n_plus_one="+v, admin, ""), http.StatusBadRequest)
	}
}
