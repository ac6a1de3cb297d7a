package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/otelkit/otelkit/examples/demo/app"
)

// TestRunCoversEveryEndpoint drives an in-process demo for a short while and
// checks that the mix reached every endpoint of the table with the answers
// it expects.
func TestRunCoversEveryEndpoint(t *testing.T) {
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{
		SQLitePath: t.TempDir() + "/demo.db", AdminUser: "boss", AdminPassword: "boss-password-1",
		BcryptCost: bcrypt.MinCost, ExternalDelay: time.Millisecond, Out: &strings.Builder{},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer func() { srv.Close(); a.Close() }()

	st, err := run(ctx, config{
		base: srv.URL, rate: 400, duration: 3 * time.Second, users: 3,
		adminUser: "boss", adminPass: "boss-password-1", concurrent: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"POST /register": 201, "POST /login": 200, "POST /logout": 204, "POST /db/message": 201,
		"GET /db/messages": 200, "GET /db/messages/search": 200, "GET /logs/redis": 200,
		"GET /logs/kafka": 200, "GET /admin/users": 200, "GET /admin/users/{username}/messages": 200,
		"GET /external/data": 200, "GET /healthz": 200, "GET (unmatched)": 404,
	}
	for route, status := range want {
		if st.counts[route][status] == 0 {
			t.Errorf("%s: no %d answer; got %v", route, status, st.counts[route])
		}
	}
	for route, byStatus := range st.counts {
		for status := range byStatus {
			if status == 0 || status >= 500 {
				t.Errorf("%s answered %d", route, status)
			}
		}
	}
	if st.counts["POST /login"][401] == 0 || st.counts["GET /admin/users"][403] == 0 || st.counts["GET /db/messages"][401] == 0 {
		t.Errorf("the mix should include failing logins, forbidden and unauthenticated calls: %v", st.counts)
	}
}
