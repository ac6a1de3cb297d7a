package app

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/otelkit/otelkit/internal/testutil"
)

// TestStatusCodes walks every endpoint through each status of its row in the
// table.
func TestStatusCodes(t *testing.T) {
	cfg := testConfig(t)
	var extMode atomic.Value // "ok", "fail" or "slow"
	extMode.Store("ok")
	cfg.ExternalAPIURL = externalStub(t, &extMode)
	cfg.ExternalTimeout = 300 * time.Millisecond
	mr := miniredis.RunT(t) // a Redis the test can stop
	cfg.RedisAddr = mr.Addr()
	_, c := newTestServer(t, cfg)

	// POST /register: 201, 400, 409.
	r := c.do("POST", "/register", "", `{"username":"alice","password":"alice-pass-1"}`)
	if r.status != http.StatusCreated || r.str("username") != "alice" {
		t.Fatalf("register: %d %s", r.status, r.raw)
	}
	if _, ok := r.body["password"]; ok {
		t.Errorf("register echoes the password: %s", r.raw)
	}
	expectError(t, "register taken", c.do("POST", "/register", "", `{"username":"alice","password":"other-pass-2"}`), http.StatusConflict)
	expectError(t, "register short username", c.do("POST", "/register", "", `{"username":"al","password":"alice-pass-1"}`), http.StatusBadRequest)
	expectError(t, "register bad username", c.do("POST", "/register", "", `{"username":"al ice","password":"alice-pass-1"}`), http.StatusBadRequest)
	expectError(t, "register long username", c.do("POST", "/register", "", `{"username":"`+strings.Repeat("a", 33)+`","password":"alice-pass-1"}`), http.StatusBadRequest)
	expectError(t, "register short password", c.do("POST", "/register", "", `{"username":"bobby","password":"1234567"}`), http.StatusBadRequest)
	expectError(t, "register long password", c.do("POST", "/register", "", `{"username":"bobby","password":"`+strings.Repeat("p", 129)+`"}`), http.StatusBadRequest)

	// POST /login: 200 with token and HttpOnly cookie; 401 alike for unknown
	// user and wrong password.
	r = c.do("POST", "/login", "", `{"username":"alice","password":"alice-pass-1"}`)
	if r.status != http.StatusOK || r.str("token") == "" {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	token := r.str("token")
	var cookie *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.Value != token {
		t.Errorf("login cookie = %+v, want HttpOnly session cookie holding the token", cookie)
	}
	wrong := c.do("POST", "/login", "", `{"username":"alice","password":"wrong-pass-1"}`)
	unknown := c.do("POST", "/login", "", `{"username":"nobody","password":"wrong-pass-1"}`)
	expectError(t, "login wrong password", wrong, http.StatusUnauthorized)
	expectError(t, "login unknown user", unknown, http.StatusUnauthorized)
	if string(wrong.raw) != string(unknown.raw) {
		t.Errorf("login answers differ: wrong password %s, unknown user %s", wrong.raw, unknown.raw)
	}

	// Authentication: 401 without or with a bad token, the cookie works too.
	for _, p := range []string{"/db/messages", "/db/messages/search?q=x", "/logs/redis", "/logs/kafka", "/admin/users", "/admin/users/alice/messages", "/external/data"} {
		expectError(t, "GET "+p+" without token", c.do("GET", p, "", ""), http.StatusUnauthorized)
		expectError(t, "GET "+p+" bad token", c.do("GET", p, "not-a-token", ""), http.StatusUnauthorized)
	}
	expectError(t, "POST /db/message without token", c.do("POST", "/db/message", "", `{"content":"x"}`), http.StatusUnauthorized)
	expectError(t, "POST /logout without token", c.do("POST", "/logout", "", ""), http.StatusUnauthorized)
	expectError(t, "Basic auth", c.do("GET", "/db/messages", "", "", "Authorization", "Basic YWxpY2U6eA=="), http.StatusUnauthorized)
	req, _ := http.NewRequest("GET", c.base+"/db/messages", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: token})
	if r := c.send(req); r.status != http.StatusOK {
		t.Errorf("GET /db/messages with the session cookie: %d %s", r.status, r.raw)
	}

	// POST /db/message: 201 with the stored message.
	r = c.do("POST", "/db/message", token, `{"content":"first"}`)
	if r.status != http.StatusCreated || r.str("content") != "first" || r.str("username") != "alice" || r.body["id"] == nil || r.str("created_at") == "" {
		t.Fatalf("post message: %d %s", r.status, r.raw)
	}
	if _, err := time.Parse(time.RFC3339Nano, r.str("created_at")); err != nil {
		t.Errorf("created_at %q: %v", r.str("created_at"), err)
	}
	c.do("POST", "/db/message", token, `{"content":"second"}`)
	c.do("POST", "/db/message", token, `{"content":"third"}`)
	expectError(t, "post empty content", c.do("POST", "/db/message", token, `{"content":""}`), http.StatusBadRequest)
	expectError(t, "post long content", c.do("POST", "/db/message", token, `{"content":"`+strings.Repeat("é", 1001)+`"}`), http.StatusBadRequest)
	if r := c.do("POST", "/db/message", token, `{"content":"`+strings.Repeat("é", 1000)+`"}`); r.status != http.StatusCreated {
		t.Errorf("1000 two-byte characters: %d %s", r.status, r.raw)
	}

	// GET /db/messages: newest first, limit.
	r = c.do("GET", "/db/messages?limit=2", token, "")
	ms := messagesOf(t, r)
	if r.status != http.StatusOK || len(ms) != 2 || ms[1] != "third" {
		t.Errorf("GET /db/messages?limit=2: %d %v", r.status, ms)
	}
	if ms := messagesOf(t, c.do("GET", "/db/messages", token, "")); len(ms) != 4 || ms[3] != "first" {
		t.Errorf("GET /db/messages: %v, want 4 newest first", ms)
	}
	expectError(t, "limit=abc", c.do("GET", "/db/messages?limit=abc", token, ""), http.StatusBadRequest)
	expectError(t, "limit=0", c.do("GET", "/db/messages?limit=0", token, ""), http.StatusBadRequest)
	expectError(t, "limit=-1", c.do("GET", "/db/messages?limit=-1", token, ""), http.StatusBadRequest)

	// Another user's messages are not visible.
	bob := c.user("bob.b", "bob-pass-123")
	if ms := messagesOf(t, c.do("GET", "/db/messages", bob, "")); len(ms) != 0 {
		t.Errorf("bob sees %v", ms)
	}

	// GET /db/messages/search.
	if ms := messagesOf(t, c.do("GET", "/db/messages/search?q=ir", token, "")); len(ms) != 2 || ms[0] != "third" || ms[1] != "first" {
		t.Errorf("search ir: %v, want [third first]", ms)
	}
	expectError(t, "search without q", c.do("GET", "/db/messages/search", token, ""), http.StatusBadRequest)
	expectError(t, "search long q", c.do("GET", "/db/messages/search?q="+strings.Repeat("x", 101), token, ""), http.StatusBadRequest)

	// GET /logs/redis and /logs/kafka.
	r = c.do("GET", "/logs/redis", token, "")
	if r.status != http.StatusOK || r.body["count"].(float64) < 10 {
		t.Errorf("logs/redis: %d %s", r.status, r.raw)
	}
	r = c.do("GET", "/logs/kafka", token, "")
	if r.status != http.StatusOK || r.body["count"].(float64) < 10 {
		t.Errorf("logs/kafka: %d %.300s", r.status, r.raw)
	}

	// Admin: 403 for a user, 200 for the admin, 404 for an unknown user.
	expectError(t, "admin/users as user", c.do("GET", "/admin/users", token, ""), http.StatusForbidden)
	expectError(t, "admin user messages as user", c.do("GET", "/admin/users/alice/messages", token, ""), http.StatusForbidden)
	admin := c.login(testAdmin, testAdminPW)
	r = c.do("GET", "/admin/users", admin, "")
	if r.status != http.StatusOK {
		t.Fatalf("admin/users: %d %s", r.status, r.raw)
	}
	found := map[string]float64{}
	for _, u := range r.body["users"].([]any) {
		m := u.(map[string]any)
		found[m["username"].(string)] = m["message_count"].(float64)
		if _, ok := m["password_hash"]; ok {
			t.Errorf("admin/users exposes the password hash: %v", m)
		}
	}
	if found["alice"] != 4 || found["bob.b"] != 0 || len(found) != 3 {
		t.Errorf("admin/users counts = %v", found)
	}
	if ms := messagesOf(t, c.do("GET", "/admin/users/alice/messages", admin, "")); len(ms) != 4 {
		t.Errorf("admin alice messages: %v", ms)
	}
	expectError(t, "admin unknown user", c.do("GET", "/admin/users/nobody/messages", admin, ""), http.StatusNotFound)
	expectError(t, "admin invalid name", c.do("GET", "/admin/users/"+url.PathEscape("a'b;--")+"/messages", admin, ""), http.StatusNotFound)

	// GET /external/data: 200 through the stand-in; 502 when it fails.
	r = c.do("GET", "/external/data", token, "")
	if r.status != http.StatusOK || r.body["data"] == nil {
		t.Errorf("external/data: %d %s", r.status, r.raw)
	}
	extMode.Store("fail")
	expectError(t, "external 500", c.do("GET", "/external/data", token, ""), http.StatusBadGateway)
	extMode.Store("slow")
	r = c.do("GET", "/external/data", token, "")
	expectError(t, "external timeout", r, http.StatusBadGateway)
	if !strings.Contains(r.str("error"), "timed out") {
		t.Errorf("external timeout error = %q, want it to say so", r.str("error"))
	}

	// GET /healthz: 200, then 503 naming the backend that is down.
	if r := c.do("GET", "/healthz", "", ""); r.status != http.StatusOK {
		t.Errorf("healthz: %d %s", r.status, r.raw)
	}

	// Unknown routes and methods: JSON 404 and 405.
	expectError(t, "unknown route", c.do("GET", "/nope", "", ""), http.StatusNotFound)
	r = c.do("DELETE", "/healthz", "", "")
	expectError(t, "wrong method", r, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") == "" {
		t.Errorf("405 without Allow header")
	}

	// POST /logout: 204, then the token is dead.
	if r := c.do("POST", "/logout", token, ""); r.status != http.StatusNoContent {
		t.Errorf("logout: %d %s", r.status, r.raw)
	}
	expectError(t, "token after logout", c.do("GET", "/db/messages", token, ""), http.StatusUnauthorized)

	// Redis down: healthz 503 naming redis.
	mr.Close()
	r = c.do("GET", "/healthz", "", "")
	expectError(t, "healthz redis down", r, http.StatusServiceUnavailable)
	if !strings.Contains(r.str("error"), "redis") || strings.Contains(r.str("error"), "database") {
		t.Errorf("healthz error %q should name redis only", r.str("error"))
	}
}

func messagesOf(t *testing.T, r response) []string {
	t.Helper()
	list, ok := r.body["messages"].([]any)
	if !ok {
		t.Fatalf("no messages in %d %s", r.status, r.raw)
	}
	var out []string
	for _, m := range list {
		out = append(out, m.(map[string]any)["content"].(string))
	}
	return out
}

// externalStub serves /api/data as mode says: "ok" (200 JSON), "fail"
// (500) or "slow" (200 after 2s). It returns the base URL.
func externalStub(t *testing.T, mode *atomic.Value) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case "fail":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "slow":
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestExternalUnreachable: GET /external/data answers 502 when nothing
// listens at EXTERNAL_API_URL.
func TestExternalUnreachable(t *testing.T) {
	cfg := testConfig(t)
	cfg.ExternalAPIURL = "http://127.0.0.1:1"
	_, c := newTestServer(t, cfg)
	token := c.user("dave", "dave-pass-1")
	r := c.do("GET", "/external/data", token, "")
	expectError(t, "external unreachable", r, http.StatusBadGateway)
	if !strings.Contains(r.str("error"), "unreachable") {
		t.Errorf("error %q should say the API is unreachable", r.str("error"))
	}
}

// TestExternalURLRedacted: EXTERNAL_API_URL's password and api_key reach
// neither the start-up line nor the error log of a failed call.
func TestExternalURLRedacted(t *testing.T) {
	const pw, key = "ext-PW-marker", "ext-KEY-marker"
	var logs testutil.SyncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	cfg := testConfig(t)
	cfg.ExternalAPIURL = "http://user:" + pw + "@127.0.0.1:1/base?api_key=" + key + "&region=eu"
	out := cfg.Out.(*testutil.SyncBuffer)
	_, c := newTestServer(t, cfg)
	token := c.user("erin", "erin-pass-1")
	expectError(t, "external unreachable", c.do("GET", "/external/data", token, ""), http.StatusBadGateway)
	if !strings.Contains(out.String(), "external=real (http://user:REDACTED@127.0.0.1:1/base?api_key=REDACTED&region=eu)") {
		t.Errorf("start-up line:\n%s", out.String())
	}
	if !strings.Contains(logs.String(), "external API unreachable") || !strings.Contains(logs.String(), "api_key=REDACTED") {
		t.Errorf("no redacted error log:\n%s", logs.String())
	}
	for _, s := range []string{pw, key} {
		if strings.Contains(out.String()+logs.String(), s) {
			t.Errorf("%q printed:\n%s\n%s", s, out.String(), logs.String())
		}
	}
}
