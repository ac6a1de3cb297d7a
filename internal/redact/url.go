// Package redact is the one place where otelkit removes secrets before they
// reach telemetry: URLs, headers and Redis arguments. Data source names
// are redacted by internal/dsn, apart so that httpx and redisx link no SQL
// code.
package redact

import (
	"net/url"
	"strings"
)

// Mask replaces a secret value.
const Mask = "REDACTED"

// sensitiveQuery lists query parameter names (lower case) whose values are
// masked. Matching is by exact name or by suffix after '_' or '-' (so
// access_token and x-api-key match too).
var sensitiveQuery = []string{
	"password", "passwd", "pwd", "pass", "secret", "token", "access_token",
	"refresh_token", "id_token", "api_key", "apikey", "key", "auth",
	"authorization", "signature", "sig", "x-amz-signature", "x-goog-signature",
	"x-amz-credential", "x-amz-security-token", "client_secret", "session",
	"sessionid", "code",
}

// IsSensitiveName reports whether a parameter, header or attribute name
// commonly carries a secret.
func IsSensitiveName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range sensitiveQuery {
		if n == s || strings.HasSuffix(n, "_"+s) || strings.HasSuffix(n, "-"+s) {
			return true
		}
	}
	return false
}

// URL returns u as a string with the password of its user info and the
// values of sensitive query parameters replaced by Mask. It uses
// net/url.URL.Redacted for the user info. u is not modified.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), Mask)
		}
	}
	if c.RawQuery != "" {
		c.RawQuery = Query(c.RawQuery)
	}
	return c.String()
}

// URLString parses s and redacts it as URL does. A string that does not parse
// is returned with everything after the scheme's "//" up to the last '@'
// removed, so that a malformed URL never leaks its user info.
func URLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.Index(s, "://"); i >= 0 {
			if j := strings.LastIndex(s[i+3:], "@"); j >= 0 {
				return s[:i+3] + Mask + s[i+3+j:]
			}
		}
		return s
	}
	return URL(u)
}

// Query masks the values of sensitive parameters in a raw query string,
// keeping the order and the encoding of every other parameter.
func Query(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		k, _, hasVal := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasVal && IsSensitiveName(name) {
			parts[i] = k + "=" + Mask
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}
