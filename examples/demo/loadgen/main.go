// Command loadgen drives every endpoint of the demo service with a realistic
// mix of requests (reads more than writes, some admin calls, a few failing
// logins and unknown routes) at a given rate for a given time, so that the
// span_rate, error_rate and duration panels fill the way the spec's did.
//
//	go run ./examples/demo/loadgen -url http://localhost:5000 -rate 2 -duration 5m \
//	    -admin-user admin -admin-password '<printed at the demo's start>'
//
// Without admin credentials the admin endpoints are called as a user (403).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"
)

type config struct {
	base       string
	rate       float64
	duration   time.Duration
	users      int
	adminUser  string
	adminPass  string
	concurrent int
}

func main() {
	var c config
	flag.StringVar(&c.base, "url", "http://localhost:5000", "base URL of the demo service")
	flag.Float64Var(&c.rate, "rate", 2, "requests per second")
	flag.DurationVar(&c.duration, "duration", time.Minute, "how long to send the mix, counted after the set-up logins")
	flag.IntVar(&c.users, "users", 5, "number of users to register and use")
	flag.StringVar(&c.adminUser, "admin-user", os.Getenv("DEMO_ADMIN_USER"), "admin account (DEMO_ADMIN_USER)")
	flag.StringVar(&c.adminPass, "admin-password", os.Getenv("DEMO_ADMIN_PASSWORD"), "admin password (DEMO_ADMIN_PASSWORD)")
	flag.IntVar(&c.concurrent, "concurrency", 8, "maximum requests in flight")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := run(ctx, c)
	st.print(os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// stats counts answers per "METHOD route" and status.
type stats struct {
	mu     sync.Mutex
	counts map[string]map[int]int
}

func (s *stats) add(route string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil {
		s.counts = map[string]map[int]int{}
	}
	if s.counts[route] == nil {
		s.counts[route] = map[int]int{}
	}
	s.counts[route][status]++
}

func (s *stats) print(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	routes := make([]string, 0, len(s.counts))
	for r := range s.counts {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		fmt.Fprintf(w, "%-45s %v\n", r, s.counts[r])
	}
}

type client struct {
	base string
	http *http.Client
	st   *stats
}

// call sends one request and records its status under route (0 for a
// transport error). It returns the decoded JSON object, if any.
func (c *client) call(ctx context.Context, route, method, path, token string, body any) (int, map[string]any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		c.st.add(route, 0)
		return 0, nil
	}
	req.Header.Set("User-Agent", "otelkit-loadgen/1.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			c.st.add(route, 0)
		}
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
	c.st.add(route, resp.StatusCode)
	return resp.StatusCode, out
}

var words = []string{"hello", "kafka", "redis", "trace", "span", "latency", "50%", "snake_case", "it's", "metrics", "dashboard", "hyunwoo"}

func sentence() string {
	n := 2 + rand.IntN(6)
	s := words[rand.IntN(len(words))]
	for range n {
		s += " " + words[rand.IntN(len(words))]
	}
	return s
}

// run registers the users and logs in, then sends the mix until ctx ends
// or c.duration passes; the duration counts from the end of the set-up, so
// a slow server still gets the whole run.
func run(ctx context.Context, c config) (*stats, error) {
	st := &stats{}
	cl := &client{base: c.base, http: &http.Client{Timeout: 10 * time.Second}, st: st}

	run := time.Now().UnixNano() % 1_000_000
	var tokens, names, passwords []string
	for i := range max(c.users, 1) {
		name := fmt.Sprintf("load%d_%d", run, i)
		pw := fmt.Sprintf("pw-%d-%d-%x", run, i, rand.Uint64())
		cred := map[string]string{"username": name, "password": pw}
		cl.call(ctx, "POST /register", "POST", "/register", "", cred)
		status, body := cl.call(ctx, "POST /login", "POST", "/login", "", cred)
		if status != http.StatusOK {
			return st, fmt.Errorf("login as %s: status %d (is the demo running at %s?)", name, status, c.base)
		}
		tokens = append(tokens, body["token"].(string))
		names = append(names, name)
		passwords = append(passwords, pw)
	}
	admin := tokens[0]
	if c.adminUser != "" {
		status, body := cl.call(ctx, "POST /login", "POST", "/login", "", map[string]string{"username": c.adminUser, "password": c.adminPass})
		if status != http.StatusOK {
			return st, fmt.Errorf("login as admin %s: status %d", c.adminUser, status)
		}
		admin = body["token"].(string)
	}
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()

	// The mix: weight, then the request.
	type step struct {
		weight int
		do     func(ctx context.Context, tok string)
	}
	mix := []step{
		{25, func(ctx context.Context, tok string) {
			cl.call(ctx, "GET /db/messages", "GET", "/db/messages?limit=20", tok, nil)
		}},
		{15, func(ctx context.Context, tok string) {
			cl.call(ctx, "POST /db/message", "POST", "/db/message", tok, map[string]string{"content": sentence()})
		}},
		{10, func(ctx context.Context, tok string) {
			q := url.QueryEscape(words[rand.IntN(len(words))])
			cl.call(ctx, "GET /db/messages/search", "GET", "/db/messages/search?q="+q, tok, nil)
		}},
		{10, func(ctx context.Context, tok string) { cl.call(ctx, "GET /logs/redis", "GET", "/logs/redis", tok, nil) }},
		{6, func(ctx context.Context, tok string) {
			cl.call(ctx, "GET /logs/kafka", "GET", "/logs/kafka?limit=10", tok, nil)
		}},
		{10, func(ctx context.Context, tok string) {
			cl.call(ctx, "GET /external/data", "GET", "/external/data", tok, nil)
		}},
		{5, func(ctx context.Context, _ string) {
			cl.call(ctx, "GET /admin/users", "GET", "/admin/users", admin, nil)
		}},
		{5, func(ctx context.Context, _ string) {
			n := names[rand.IntN(len(names))]
			cl.call(ctx, "GET /admin/users/{username}/messages", "GET", "/admin/users/"+n+"/messages", admin, nil)
		}},
		{5, func(ctx context.Context, _ string) { cl.call(ctx, "GET /healthz", "GET", "/healthz", "", nil) }},
		{3, func(ctx context.Context, _ string) {
			cl.call(ctx, "POST /login", "POST", "/login", "", map[string]string{"username": names[0], "password": "not-the-password"})
		}},
		{2, func(ctx context.Context, tok string) {
			cl.call(ctx, "GET /admin/users", "GET", "/admin/users", tok, nil)
		}},
		{2, func(ctx context.Context, _ string) { cl.call(ctx, "GET (unmatched)", "GET", "/no/such/page", "", nil) }},
		{2, func(ctx context.Context, _ string) { cl.call(ctx, "GET /db/messages", "GET", "/db/messages", "", nil) }},
		{2, func(ctx context.Context, _ string) {
			// A short session: log in, read, log out.
			k := rand.IntN(len(names))
			_, body := cl.call(ctx, "POST /login", "POST", "/login", "", map[string]string{"username": names[k], "password": passwords[k]})
			if tok, ok := body["token"].(string); ok {
				cl.call(ctx, "GET /db/messages", "GET", "/db/messages", tok, nil)
				cl.call(ctx, "POST /logout", "POST", "/logout", tok, nil)
			}
		}},
	}
	total := 0
	for _, s := range mix {
		total += s.weight
	}
	pick := func() func(context.Context, string) {
		n := rand.IntN(total)
		for _, s := range mix {
			if n < s.weight {
				return s.do
			}
			n -= s.weight
		}
		return mix[0].do
	}

	// One of each first, so that even a short run reaches every endpoint.
	for _, s := range mix {
		if ctx.Err() != nil {
			return st, nil
		}
		s.do(ctx, tokens[0])
	}

	interval := time.Duration(float64(time.Second) / max(c.rate, 0.01))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	sem := make(chan struct{}, max(c.concurrent, 1))
	var wg sync.WaitGroup
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return st, nil
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			continue // the service is slower than the rate: skip a beat
		}
		do, tok := pick(), tokens[rand.IntN(len(tokens))]
		wg.Go(func() {
			defer func() { <-sem }()
			do(ctx, tok)
		})
	}
}
