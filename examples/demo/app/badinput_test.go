package app

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestBadInput sends every kind of bad body to each endpoint that takes one:
// each answer is a 4xx JSON error, never a 500, and nothing is stored.
func TestBadInput(t *testing.T) {
	badInput(t, testConfig(t))
}

// TestBadInputMariaDB is TestBadInput on MariaDB (its LIKE and collation
// differ from SQLite's), with OTELKIT_TEST_MYSQL_DSN.
func TestBadInputMariaDB(t *testing.T) {
	dsn := os.Getenv("OTELKIT_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("set OTELKIT_TEST_MYSQL_DSN to run against MariaDB")
	}
	cfg := testConfig(t)
	cfg.MySQLDSN = scratchDatabase(t, dsn)
	badInput(t, cfg)
}

func badInput(t *testing.T, cfg Config) {
	a, c := newTestServer(t, cfg)
	token := c.user("carol", "carol-pass-1")
	users0, msgs0 := counts(t, a)

	oversize := `{"content":"` + strings.Repeat("x", maxBody) + `"}`
	cases := []struct {
		name   string
		body   string
		ctype  string
		status int
	}{
		{"empty body", "", "application/json", http.StatusBadRequest},
		{"whitespace body", "  \n\t ", "application/json", http.StatusBadRequest},
		{"malformed JSON", `{"username":`, "application/json", http.StatusBadRequest},
		{"malformed JSON syntax", `{username: "x"}`, "application/json", http.StatusBadRequest},
		{"trailing garbage", `{"content":"a"} {"content":"b"}`, "application/json", http.StatusBadRequest},
		{"array", `[{"content":"a"}]`, "application/json", http.StatusBadRequest},
		{"string", `"hello"`, "application/json", http.StatusBadRequest},
		{"null", `null`, "application/json", http.StatusBadRequest},
		{"wrong type number", `{"username":12345,"password":12345678,"content":5}`, "application/json", http.StatusBadRequest},
		{"wrong type object", `{"username":{"a":1},"password":["x"],"content":{"a":1}}`, "application/json", http.StatusBadRequest},
		{"unknown field", `{"username":"dave1","password":"dave-pass-1","content":"x","admin":true}`, "application/json", http.StatusBadRequest},
		{"non-UTF-8", "{\"username\":\"dave\xff\",\"password\":\"pass\xfe\xfdword\",\"content\":\"\xff\xfe\"}", "application/json", http.StatusBadRequest},
		{"oversize", oversize, "application/json", http.StatusRequestEntityTooLarge},
		{"form body", `username=x&password=y`, "application/x-www-form-urlencoded", http.StatusBadRequest},
	}
	endpoints := []string{"/register", "/login", "/db/message"}
	for _, ep := range endpoints {
		for _, tc := range cases {
			req, _ := http.NewRequest("POST", c.base+ep, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Authorization", "Bearer "+token)
			r := c.send(req)
			expectError(t, ep+" "+tc.name, r, tc.status)
		}
	}

	// SQL metacharacters in credentials: rejected by validation or 401.
	for _, name := range []string{`x' OR '1'='1`, `admin'--`, `a"; DROP TABLE users;--`, `%`, `_`} {
		body := `{"username":` + jsonString(name) + `,"password":"whatever-pw"}`
		expectError(t, "register "+name, c.do("POST", "/register", "", body), http.StatusBadRequest)
		expectError(t, "login "+name, c.do("POST", "/login", "", body), http.StatusUnauthorized)
	}
	expectError(t, "login SQL in password", c.do("POST", "/login", "", `{"username":"carol","password":"' OR '1'='1"}`), http.StatusUnauthorized)
	expectError(t, "login missing password", c.do("POST", "/login", "", `{"username":"carol"}`), http.StatusBadRequest)

	// Non-UTF-8 and bad values in query parameters.
	expectError(t, "search non-UTF-8 q", c.do("GET", "/db/messages/search?q=%ff%fe", token, ""), http.StatusBadRequest)
	expectError(t, "search empty q", c.do("GET", "/db/messages/search?q=", token, ""), http.StatusBadRequest)
	expectError(t, "limit float", c.do("GET", "/db/messages?limit=1.5", token, ""), http.StatusBadRequest)
	expectError(t, "limit huge", c.do("GET", "/db/messages?limit=99999999999999999999", token, ""), http.StatusBadRequest)

	if u, m := counts(t, a); u != users0 || m != msgs0 {
		t.Fatalf("after bad input: %d users, %d messages; want %d, %d (nothing stored)", u, m, users0, msgs0)
	}

	// Metacharacters as data: stored verbatim and matched literally.
	contents := []string{`100% sure`, `100 percent`, `snake_case`, `snakeXcase`, `it's "quoted"`, `back\slash`, `bang!`, `'; DROP TABLE messages;--`}
	for _, s := range contents {
		if r := c.do("POST", "/db/message", token, `{"content":`+jsonString(s)+`}`); r.status != http.StatusCreated || r.str("content") != s {
			t.Fatalf("store %q: %d %s", s, r.status, r.raw)
		}
	}
	searches := map[string][]string{
		"%":           {`100% sure`},
		"_":           {`snake_case`},
		"'":           {`'; DROP TABLE messages;--`, `it's "quoted"`},
		`"`:           {`it's "quoted"`},
		`\`:           {`back\slash`},
		"!":           {`bang!`},
		"% s":         {`100% sure`},
		"DROP TABLE ": {`'; DROP TABLE messages;--`},
	}
	for q, want := range searches {
		r := c.do("GET", "/db/messages/search?q="+urlQuery(q), token, "")
		got := messagesOf(t, r)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("search %q = %q, want %q", q, got, want)
		}
	}
	if u, m := counts(t, a); u != users0 || m != msgs0+len(contents) {
		t.Errorf("tables changed by metacharacters: %d users, %d messages", u, m)
	}
}
