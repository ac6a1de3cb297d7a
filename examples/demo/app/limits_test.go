package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestPasswordLimits: a password is at least 8 characters and at most 72
// bytes of UTF-8, the most bcrypt takes; at and beyond each edge, in ASCII
// and in 4-byte emoji, the answer is 201 or a 400 JSON error, never a 500,
// and an accepted password logs in.
func TestPasswordLimits(t *testing.T) {
	_, c := newTestServer(t, testConfig(t))
	cases := []struct {
		name, pw string
		status   int
	}{
		{"7 ASCII", strings.Repeat("a", 7), http.StatusBadRequest},
		{"8 ASCII", strings.Repeat("a", 8), http.StatusCreated},
		{"72 ASCII", strings.Repeat("a", 72), http.StatusCreated},
		{"73 ASCII", strings.Repeat("a", 73), http.StatusBadRequest},
		{"128 ASCII", strings.Repeat("a", 128), http.StatusBadRequest},
		{"129 ASCII", strings.Repeat("a", 129), http.StatusBadRequest},
		{"2 emoji (8 bytes)", strings.Repeat("😀", 2), http.StatusBadRequest},
		{"8 emoji", strings.Repeat("😀", 8), http.StatusCreated},
		{"18 emoji (72 bytes)", strings.Repeat("😀", 18), http.StatusCreated},
		{"19 emoji (76 bytes)", strings.Repeat("😀", 19), http.StatusBadRequest},
		{"71 ASCII + é (73 bytes)", strings.Repeat("a", 71) + "é", http.StatusBadRequest},
		{"70 ASCII + é (72 bytes)", strings.Repeat("a", 70) + "é", http.StatusCreated},
	}
	for i, tc := range cases {
		name := fmt.Sprintf("limit_user%d", i)
		r := c.do("POST", "/register", "", `{"username":"`+name+`","password":`+jsonString(tc.pw)+`}`)
		if tc.status != http.StatusCreated {
			expectError(t, tc.name, r, tc.status)
			continue
		}
		if r.status != http.StatusCreated {
			t.Errorf("%s: status %d %s, want 201", tc.name, r.status, r.raw)
			continue
		}
		c.login(name, tc.pw)
	}
	r := c.do("POST", "/register", "", `{"username":"limit_msg","password":`+jsonString(strings.Repeat("😀", 19))+`}`)
	if msg := r.str("error"); !strings.Contains(msg, "72 bytes") || !strings.Contains(msg, "76") {
		t.Errorf("error %q does not say the limit is 72 bytes and this one 76", msg)
	}
}

// TestStrictJSON: field names match exactly, no key appears twice (at any
// depth), unknown fields are refused; each a 400 JSON error naming the key,
// and nothing is stored.
func TestStrictJSON(t *testing.T) {
	a, c := newTestServer(t, testConfig(t))
	users0, _ := counts(t, a)
	cases := []struct {
		name, body, want string
	}{
		{"upper-case field", `{"username":"strict1","PASSWORD":"strict-pass-1"}`, `unknown field "PASSWORD"`},
		{"title-case field", `{"Username":"strict1","password":"strict-pass-1"}`, `unknown field "Username"`},
		{"duplicate key", `{"username":"strict1","password":"strict-pass-1","password":"other-pass-2"}`, `duplicate field "password"`},
		{"duplicate key first", `{"username":"strict1","username":"strict2","password":"strict-pass-1"}`, `duplicate field "username"`},
		{"duplicate in nested object", `{"username":{"a":1,"a":2},"password":"strict-pass-1"}`, `duplicate field "a"`},
		{"duplicate in array of objects", `{"username":[{"b":1},{"b":1,"b":2}],"password":"strict-pass-1"}`, `duplicate field "b"`},
		{"unknown field", `{"username":"strict1","password":"strict-pass-1","admin":true}`, `unknown field "admin"`},
		{"escaped duplicate", `{"username":"strict1","password":"strict-pass-1","passw\u006frd":"x"}`, `duplicate field "password"`},
		{"deep nesting", `{"username":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `,"password":"strict-pass-1"}`, `nested deeper`},
	}
	for _, tc := range cases {
		for _, ep := range []string{"/register", "/login"} {
			r := c.do("POST", ep, "", tc.body)
			expectError(t, ep+" "+tc.name, r, http.StatusBadRequest)
			if msg := r.str("error"); !strings.Contains(msg, tc.want) {
				t.Errorf("%s %s: error %q, want it to hold %q", ep, tc.name, msg, tc.want)
			}
		}
	}
	// The exact names still work.
	if r := c.do("POST", "/register", "", `{"username":"strict1","password":"strict-pass-1"}`); r.status != http.StatusCreated {
		t.Fatalf("exact names: %d %s", r.status, r.raw)
	}
	if u, _ := counts(t, a); u != users0+1 {
		t.Errorf("%d users, want %d: a strict-JSON case was stored", u, users0+1)
	}
}

// TestExpectContinue: a Content-Length over the body limit with
// "Expect: 100-continue" is answered 413 at once, without "100 Continue";
// a body within the limit gets "100 Continue" and is read. A raw TCP client,
// since net/http's client hides the interim answer.
func TestExpectContinue(t *testing.T) {
	a, _ := newTestServer(t, testConfig(t))
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")

	for _, path := range []string{"/register", "/login", "/db/message"} {
		for _, length := range []int{maxBody + 1, 20 << 20} {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
				"Authorization: Bearer nope\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", path, length)
			br := bufio.NewReader(conn)
			status, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("%s %d bytes: no answer within 5s: %v", path, length, err)
			}
			want := "HTTP/1.1 413"
			if path == "/db/message" {
				want = "HTTP/1.1 401" // authentication first: still no 100 Continue
			}
			if !strings.HasPrefix(status, want) {
				t.Errorf("%s Content-Length %d: first line %q, want %q...", path, length, status, want)
			}
			conn.Close()
		}
	}

	// Within the limit: 100 Continue, then the body is read and answered.
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	body := `{"username":"cont1","password":"cont-pass-1"}`
	fmt.Fprintf(conn, "POST /register HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("small body: first line %q (%v), want 100 Continue", line, err)
	}
	_, _ = br.ReadString('\n') // the blank line after 100 Continue
	fmt.Fprint(conn, body)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("small body after 100 Continue: %d, want 201", resp.StatusCode)
	}
}

// FuzzCheckStrict: checkStrict never panics, and a body it accepts that
// decodes as an object has no duplicate top-level key (the map holds as
// many keys as the token stream).
func FuzzCheckStrict(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `{"a":{"b":[1,{"c":2,"c":3}]}}`, `{"\u0061":1,"a":2}`, `[`, `{"a":`, `{"a":[1,{",`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if checkStrict([]byte(body), nil) != nil {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &m) != nil {
			return
		}
		dec := json.NewDecoder(strings.NewReader(body))
		_, _ = dec.Token()
		keys := 0
		for dec.More() {
			if _, err := dec.Token(); err != nil {
				return
			}
			keys++
			var v json.RawMessage
			if dec.Decode(&v) != nil {
				return
			}
		}
		if keys != len(m) {
			t.Fatalf("accepted %q with %d keys, %d distinct", body, keys, len(m))
		}
	})
}
