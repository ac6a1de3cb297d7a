package httpx

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
)

// Environment variables read by NewHandler, NewServeMux and NewTransport
// when they are built (see the package documentation).
const (
	envExcludedGo             = "OTEL_GO_EXCLUDED_URLS"
	envExcludedPython         = "OTEL_PYTHON_EXCLUDED_URLS"
	envExcludedPythonFlask    = "OTEL_PYTHON_FLASK_EXCLUDED_URLS"
	envExcludedPythonRequests = "OTEL_PYTHON_REQUESTS_EXCLUDED_URLS"

	envCaptureServerRequest  = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST"
	envCaptureServerResponse = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE"
	envCaptureClientRequest  = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST"
	envCaptureClientResponse = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE"
	envSanitizeFields        = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS"

	envJavaServerRequest  = "OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS"
	envJavaServerResponse = "OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS"
	envJavaClientRequest  = "OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS"
	envJavaClientResponse = "OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS"
)

// warnedRE holds "variable\x00value" keys already warned about: a bad
// regular expression is reported once however many wrappers are built.
var warnedRE sync.Map

// compileList compiles the comma list v of the variable name into one
// regular expression: each entry (trimmed, empty ones skipped) is wrapped by
// wrap (a format with one %s) and the results joined by '|'. An entry that
// does not compile is reported once through otel.Handle, naming the
// variable and the entry, and left out; the rest of the list is kept. It
// returns nil when no entry is left.
func compileList(name, v, wrap string) *regexp.Regexp {
	var parts []string
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		p := fmt.Sprintf(wrap, e)
		if _, err := regexp.Compile(p); err != nil {
			if _, dup := warnedRE.LoadOrStore(name+"\x00"+e, struct{}{}); !dup {
				otel.Handle(fmt.Errorf("%s: ignoring invalid regular expression %q: %w", name, e, err))
			}
			continue
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return nil
	}
	return regexp.MustCompile(strings.Join(parts, "|"))
}

// firstSet returns the name and value of the first of the variables that is
// set and not empty, or "", "" when none is (Python's
// environ.get(specific) or environ.get(fallback)).
func firstSet(names ...string) (string, string) {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return n, v
		}
	}
	return "", ""
}

// excludedFromEnv returns the filter (true = trace) built from the excluded
// URL variables of a side: OTEL_GO_EXCLUDED_URLS, and the Python variable
// of the instrumentation (OTEL_PYTHON_FLASK_EXCLUDED_URLS for the server,
// OTEL_PYTHON_REQUESTS_EXCLUDED_URLS for the client) or, when that is
// unset, OTEL_PYTHON_EXCLUDED_URLS (Python's fallback). A request is
// excluded when any expression of either list matches somewhere in its
// full URL (scheme://host/path?query), as Python's re.search does. It
// returns nil when no expression is set.
func excludedFromEnv(pythonSpecific string, fullURL func(*http.Request) string) func(*http.Request) bool {
	var res []*regexp.Regexp
	if re := compileList(envExcludedGo, os.Getenv(envExcludedGo), "(?:%s)"); re != nil {
		res = append(res, re)
	}
	if n, v := firstSet(pythonSpecific, envExcludedPython); n != "" {
		if re := compileList(n, v, "(?:%s)"); re != nil {
			res = append(res, re)
		}
	}
	if len(res) == 0 {
		return nil
	}
	return func(r *http.Request) bool {
		u := fullURL(r)
		for _, re := range res {
			if re.MatchString(u) {
				return false
			}
		}
		return true
	}
}

// serverFullURL is the URL of an incoming request as Python's Flask
// instrumentation matches it: scheme://host/path?query.
func serverFullURL(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return scheme + r.Host + r.URL.RequestURI()
}

// clientFullURL is the URL of an outgoing request without its user info.
func clientFullURL(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	host := r.URL.Host
	if host == "" {
		host = r.Host
	}
	return r.URL.Scheme + "://" + host + r.URL.RequestURI()
}
