package redisx_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/redisx"
)

// TestHooksNeverSeeSecrets runs the credential commands of
// TestAuthPasswordNeverExported (AUTH, HELLO ... AUTH on connecting, CONFIG
// SET masterauth, which fails and which miniredis echoes) and a failing
// pipeline with hooks set: no hook input holds the password, the end hook
// gets each failing command's error (one call for the pipeline), and the
// start hook's attribute is on every span.
func TestHooksNeverSeeSecrets(t *testing.T) {
	skipReal(t)
	for _, b := range backends(t, true) {
		t.Run(b.name, func(t *testing.T) {
			h := newHarness(t)
			var mu sync.Mutex
			var seen []string
			ends := map[string]error{}
			rdb := h.client(t, b,
				redisx.WithStartHook(func(_ context.Context, cmd redisx.Command) []attribute.KeyValue {
					mu.Lock()
					seen = append(seen, fmt.Sprint(cmd))
					mu.Unlock()
					return []attribute.KeyValue{attribute.String("app.hooked", cmd.Name)}
				}),
				redisx.WithEndHook(func(span trace.Span, cmd redisx.Command, err error) {
					mu.Lock()
					seen = append(seen, fmt.Sprint(cmd, err))
					ends[cmd.Name] = err
					mu.Unlock()
				}))
			ctx, parent := h.parent(context.Background())
			if err := rdb.Set(ctx, "hooks:k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			rdb.Do(ctx, "AUTH", "someuser", password)
			rdb.Do(ctx, "CONFIG", "SET", "no-such-option-redisx", "x", "masterauth", password)
			_, pipeErr := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "hooks:s", "text", 0)
				p.Incr(ctx, "hooks:s") // not an integer: fails
				return nil
			})
			parent.End()
			if pipeErr == nil {
				t.Fatal("pipeline: no error")
			}
			for _, s := range seen {
				if strings.Contains(s, password) {
					t.Errorf("a hook saw the password: %s", s)
				}
			}
			if err := ends["SET"]; err != nil {
				t.Errorf("SET: end hook error %v", err)
			}
			var rerr redis.Error
			for _, name := range []string{"AUTH", "CONFIG", "SET INCR"} {
				if err := ends[name]; err == nil || !errors.As(err, &rerr) {
					t.Errorf("%s: end hook error %v, want the server's error", name, err)
				}
			}
			for _, s := range h.exp.GetSpans() {
				if s.Name == "GET /logs/redis" || s.Name == "redis.dial" {
					continue
				}
				if _, ok := attrs(s)["app.hooked"]; !ok {
					t.Errorf("span %s %v lacks the start hook's attribute", s.Name, attrs(s)["db.operation"])
				}
			}
		})
	}
}
