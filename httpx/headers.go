package httpx

import (
	"net/http"
	"os"
	"regexp"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelkit/otelkit/internal/redact"
	"github.com/otelkit/otelkit/internal/validutf8"
)

// redacted replaces the value of a sensitive captured header.
const redacted = "[REDACTED]"

// alwaysRedacted are the headers redacted whatever the sanitize list says.
var alwaysRedacted = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
}

// headerCapture says which headers of one direction (request or response)
// become attributes, and which of their values are redacted.
type headerCapture struct {
	match    *regexp.Regexp // full, case-insensitive match of a header name
	sanitize *regexp.Regexp // full, case-insensitive match: value redacted
	prefix   string         // "http.request.header." or "http.response.header."
}

// newHeaderCapture compiles the comma list names (header names or regular
// expressions) of the variable (or option) name; nil when it captures
// nothing.
func newHeaderCapture(name, names, prefix string, sanitize *regexp.Regexp) *headerCapture {
	re := compileList(name, names, "(?i:^(?:%s)$)")
	if re == nil {
		return nil
	}
	return &headerCapture{match: re, sanitize: sanitize, prefix: prefix}
}

// captureFromEnv reads the Python spelling of a capture variable or, when it
// is unset, the Java agent's spelling.
func captureFromEnv(prefix, python, java string, sanitize *regexp.Regexp) *headerCapture {
	n, v := firstSet(python, java)
	if n == "" {
		return nil
	}
	return newHeaderCapture(n, v, prefix, sanitize)
}

// sanitizeFromEnv compiles OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS.
func sanitizeFromEnv() *regexp.Regexp {
	return compileList(envSanitizeFields, os.Getenv(envSanitizeFields), "(?i:^(?:%s)$)")
}

// sensitiveHeader reports whether the value of the header (lower-case name)
// is redacted: Authorization, Proxy-Authorization, Cookie, Set-Cookie, a
// name that says key, token, secret, password and the like
// (redact.IsSensitiveName), or a name the sanitize list matches.
func (h *headerCapture) sensitiveHeader(lower string) bool {
	return alwaysRedacted[lower] || redact.IsSensitiveName(lower) ||
		(h.sanitize != nil && h.sanitize.MatchString(lower))
}

// attrs appends to kvs one string-slice attribute per captured header of
// hdr: the key is the prefix and the lower-case name, the values are valid
// UTF-8, [REDACTED] for a sensitive header, and otherwise redacted as URLs
// or parameter lists are (a Referer's token query parameter is masked).
func (h *headerCapture) attrs(kvs []attribute.KeyValue, hdr http.Header) []attribute.KeyValue {
	if h == nil {
		return kvs
	}
	for name, vals := range hdr {
		lower := strings.ToLower(name)
		if !h.match.MatchString(lower) {
			continue
		}
		out := make([]string, len(vals))
		secret := h.sensitiveHeader(lower)
		for i, v := range vals {
			if secret {
				out[i] = redacted
			} else {
				out[i] = validutf8.String(redact.URLString(v))
			}
		}
		kvs = append(kvs, attribute.StringSlice(validutf8.String(h.prefix+lower), out))
	}
	return kvs
}
