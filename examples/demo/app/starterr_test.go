package app

import (
	"errors"
	"strings"
	"testing"
)

// TestStartErrorScrubs: a StartError's message is one line and holds none of
// the configuration's secrets, wherever the cause echoes them.
func TestStartErrorScrubs(t *testing.T) {
	const m = "MARK-s3cr3t"
	cfgs := []Config{
		{MySQLDSN: "app:" + m + "@tcp(db:3306)/demo"},
		{MySQLDSN: "app:" + m + "@bogus(("},
		{RedisPassword: m},
		{AdminUser: "boss", AdminPassword: m},
		{ExternalAPIURL: "https://u:" + m + "@api.example/?api_key=" + m},
		{ExternalAPIURL: "https://api.example/?access_token=" + m + "&x=1"},
	}
	for _, cfg := range cfgs {
		for _, cause := range []string{m, "dial " + m + ": refused", "a\n" + m + "\r\nb"} {
			e := cfg.startError("redis", "REDIS_ADDR", errors.New(cause))
			msg := e.Error()
			if strings.Contains(msg, m) || strings.ContainsAny(msg, "\r\n") {
				t.Errorf("%+v, cause %q: %q", cfg, cause, msg)
			}
			if !strings.HasPrefix(msg, "redis: ") || !strings.HasSuffix(msg, " (change REDIS_ADDR)") {
				t.Errorf("message %q", msg)
			}
			if !errors.Is(e, e.Err) {
				t.Errorf("Unwrap lost the cause")
			}
		}
	}
}
