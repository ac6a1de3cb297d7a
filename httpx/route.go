package httpx

import (
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelkit/otelkit/internal/boundcache"
	"github.com/otelkit/otelkit/internal/semconv"
)

// maxRoutes bounds the route cache, in case a router sets Request.Pattern
// to unbounded values.
const maxRoutes = 4096

// routeInfo is everything about a matched pattern that does not change from
// one request to the next.
type routeInfo struct {
	pattern   string
	method    string   // method of the pattern, "" when it matches any
	route     string   // path part of the pattern
	spanName  string   // when method != ""
	otelName  string   // otelhttp's name of a request of method (middleware.spanName), when method != ""
	wildcards []string // names of the pattern's wildcards, in order
	// viewArgsKeys are the JSON texts that precede each wildcard's value
	// in flask.view_args ({"name": then ,"name":), of viewArgsKeysLen
	// bytes in all.
	viewArgsKeys    []string
	viewArgsKeysLen int
	// viewArgsOpen are the same with the quotes around the values
	// ({"name":" then ","name":"), for values that need no escaping.
	viewArgsOpen []string
	endpoint     string // flask.endpoint, sqlcommenter's controller
	routeKV      attribute.KeyValue
	oldKVs       []attribute.KeyValue // flask.route, flask.url_rule, flask.endpoint
}

// routes caches routeInfo by pattern; NewServeMux also stores the endpoint
// names of the handlers it registers.
type routes struct {
	cache boundcache.Map[string, *routeInfo] // pattern -> info

	// front is a direct-mapped cache in front of cache, indexed by a cheap
	// hash of the pattern (frontSlot): a hit costs a load and a string
	// comparison (of one string with itself, for a router such as
	// ServeMux that hands every request of a route the same pattern
	// string) instead of a sync.Map look-up that hashes the whole pattern.
	// A slot holds the last route seen for it; a miss goes to cache.
	front [frontSize]atomic.Pointer[routeInfo]

	mu    sync.RWMutex
	names map[string]string // pattern -> endpoint name, from NewServeMux
}

func (t *routes) register(pattern, endpoint string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.names == nil {
		t.names = map[string]string{}
	}
	t.names[pattern] = endpoint
}

func (t *routes) registered(pattern string) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, ok := t.names[pattern]
	return n, ok
}

// frontSize is the number of slots of routes.front.
const frontSize = 64

// frontSlot hashes a pattern for routes.front from its length and two of
// its bytes, without reading the whole pattern.
func frontSlot(p string) int {
	h := uint(len(p))
	if len(p) > 0 {
		h = h*31 + uint(p[len(p)-1])
		h = h*31 + uint(p[len(p)/2])
	}
	return int(h % frontSize)
}

// lookup returns the routeInfo of r.Pattern, building it on first use.
// next is the handler served, consulted when it is an *http.ServeMux.
func (t *routes) lookup(r *http.Request, next http.Handler, c *config) *routeInfo {
	slot := &t.front[frontSlot(r.Pattern)]
	if info := slot.Load(); info != nil && info.pattern == r.Pattern {
		return info
	}
	info := t.lookupSlow(r, next, c)
	slot.Store(info)
	return info
}

// lookupSlow is lookup past routes.front.
func (t *routes) lookupSlow(r *http.Request, next http.Handler, c *config) *routeInfo {
	if info, ok := t.cache.Load(r.Pattern); ok {
		return info
	}
	name := ""
	if c.endpoint != nil {
		name = c.endpoint(r.Pattern)
	}
	if name == "" {
		name, _ = t.registered(r.Pattern)
	}
	if name == "" {
		mux := c.mux
		if mux == nil {
			mux, _ = next.(*http.ServeMux)
		}
		if mux != nil {
			if h, p := mux.Handler(r); p == r.Pattern {
				name = handlerName(h)
			}
		}
	}
	return t.cache.Store(r.Pattern, newRouteInfo(r.Pattern, name), maxRoutes)
}

// newRouteInfo parses a ServeMux pattern ("[METHOD ][HOST]/[PATH]").
func newRouteInfo(pattern, endpoint string) *routeInfo {
	info := &routeInfo{pattern: pattern}
	rest := pattern
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		info.method = rest[:i]
		rest = strings.TrimLeft(rest[i:], " \t")
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		info.route = rest[i:]
	}
	for seg := range strings.SplitSeq(info.route, "/") {
		if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
			name := strings.TrimSuffix(seg[1:len(seg)-1], "...")
			if name != "$" {
				info.wildcards = append(info.wildcards, name)
			}
		}
	}
	info.setViewArgsKeys()
	if info.method != "" {
		info.spanName = semconv.HTTPServerSpanName(info.method, info.route)
		info.otelName = info.spanName
		if r := otelhttpRoute(pattern); r != info.route {
			info.otelName = semconv.HTTPServerSpanName(info.method, r)
		}
	}
	if endpoint == "" {
		endpoint = patternName(info.method, info.route)
	}
	info.endpoint = endpoint
	info.routeKV = semconv.HTTPRouteKey.String(info.route)
	info.oldKVs = []attribute.KeyValue{
		semconv.FlaskRouteKey.String(info.route),
		semconv.FlaskURLRuleKey.String(info.route),
		semconv.FlaskEndpointKey.String(endpoint),
	}
	return info
}

// otelhttpRoute is the route that otelhttp takes from a pattern for its
// span names: from the first '/' on.
func otelhttpRoute(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return ""
}

// name returns the span name for a request of method matched by info.
func (info *routeInfo) name(method string) string {
	if info.spanName != "" {
		return info.spanName
	}
	return semconv.HTTPServerSpanName(method, info.route)
}

// viewArgs returns the JSON object of the request's path values, in the
// pattern's order; "{}" when the pattern has no wildcard (or info is nil).
func (info *routeInfo) viewArgs(r *http.Request) string {
	if info == nil || len(info.wildcards) == 0 {
		return "{}"
	}
	var vbuf [maxInlineWildcards]string
	vals := info.pathValues(r, vbuf[:0])
	var b strings.Builder // one allocation: String does not copy
	b.Grow(info.viewArgsLen(vals))
	info.writeViewArgs(&b, vals)
	return b.String()
}

// urlAndViewArgs returns the concatenation of the URL's parts and the view
// arguments of r (info has wildcards), built in one string of which they
// are the two parts: one allocation for both.
func (info *routeInfo) urlAndViewArgs(r *http.Request, url [3]string) (fullURL, viewArgs string) {
	var vbuf [maxInlineWildcards]string
	vals := info.pathValues(r, vbuf[:0])
	n := 0
	for _, p := range url {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n + info.viewArgsLen(vals))
	for _, p := range url {
		b.WriteString(p)
	}
	info.writeViewArgs(&b, vals)
	s := b.String()
	return s[:n], s[n:]
}

// maxInlineWildcards is the number of path values that pathValues' callers
// hold on the stack.
const maxInlineWildcards = 8

// pathValues appends the request's values of the pattern's wildcards to
// dst, in order.
func (info *routeInfo) pathValues(r *http.Request, dst []string) []string {
	for _, w := range info.wildcards {
		dst = append(dst, r.PathValue(w))
	}
	return dst
}

// viewArgsLen is the length of the view arguments of vals (pathValues)
// when no value needs escaping.
func (info *routeInfo) viewArgsLen(vals []string) int {
	n := info.viewArgsKeysLen + 1 // the keys and the closing brace
	for _, v := range vals {
		n += len(v) + 2
	}
	return n
}

// writeViewArgs writes the view arguments of vals (pathValues) to b, for a
// pattern with wildcards.
func (info *routeInfo) writeViewArgs(b *strings.Builder, vals []string) {
	plain := true
	for _, v := range vals {
		if !jsonPlain(v) {
			plain = false
			break
		}
	}
	if plain { // the common case, in fewer writes
		for i, v := range vals {
			b.WriteString(info.viewArgsOpen[i])
			b.WriteString(v)
		}
		b.WriteString(`"}`)
		return
	}
	for i, v := range vals {
		b.WriteString(info.viewArgsKeys[i])
		writeJSONString(b, v)
	}
	b.WriteByte('}')
}

// setViewArgsKeys builds viewArgsKeys from the wildcards.
func (info *routeInfo) setViewArgsKeys() {
	info.viewArgsKeys = make([]string, len(info.wildcards))
	info.viewArgsOpen = make([]string, len(info.wildcards))
	for i, w := range info.wildcards {
		var b strings.Builder
		if i == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		writeJSONString(&b, w)
		b.WriteByte(':')
		info.viewArgsKeys[i] = b.String()
		if i == 0 {
			info.viewArgsOpen[i] = b.String() + `"`
		} else {
			info.viewArgsOpen[i] = `"` + b.String() + `"`
		}
		info.viewArgsKeysLen += b.Len()
	}
}

// jsonPlain reports whether s is printable ASCII with no quote or
// backslash, so that it is its own JSON string body.
func jsonPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// writeJSONString writes s as a JSON string. It escapes what RFC 8259
// requires (quote, backslash, control characters) and replaces invalid
// UTF-8 with U+FFFD, as encoding/json does; encoding/json itself costs six
// allocations per request here.
func writeJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	if jsonPlain(s) { // the common case, written at once
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	for _, r := range s { // invalid bytes arrive as U+FFFD
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// Endpoint returns h with its endpoint name (flask.endpoint) set to name,
// for use when registering a route:
//
//	mux.Handle("GET /logs/kafka", httpx.Endpoint("get_kafka_logs", h))
//
// Without it the name is derived from the handler: the function's name for a
// function handler (getKafkaLogs and (*Server).GetKafkaLogs become
// get_kafka_logs), the type's name otherwise, both in snake case; for an
// anonymous function it is derived from the pattern ("GET
// /admin/users/{username}/messages" gives get_admin_users_username_messages).
// The returned handler only calls h.
func Endpoint(name string, h http.Handler) http.Handler {
	return &endpointHandler{name: name, h: h}
}

// EndpointFunc is Endpoint for a handler function.
func EndpointFunc(name string, f func(http.ResponseWriter, *http.Request)) http.Handler {
	return Endpoint(name, http.HandlerFunc(f))
}

type endpointHandler struct {
	name string
	h    http.Handler
}

func (e *endpointHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.h.ServeHTTP(w, r) }

// handlerName derives the endpoint name of h; "" when h is an anonymous
// function.
func handlerName(h http.Handler) string {
	if e, ok := h.(*endpointHandler); ok {
		return e.name
	}
	v := reflect.ValueOf(h)
	if v.Kind() == reflect.Func {
		f := runtime.FuncForPC(v.Pointer())
		if f == nil {
			return ""
		}
		return funcName(f.Name())
	}
	t := v.Type()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return snake(t.Name())
}

// funcName turns a runtime function name such as
// "example.com/svc.(*Server).getKafkaLogs-fm" into "get_kafka_logs"; it
// returns "" for closures ("main.routes.func1").
func funcName(full string) string {
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		full = full[i+1:]
	}
	if i := strings.IndexByte(full, '['); i >= 0 { // generic instantiation
		full = full[:i]
	}
	full = strings.TrimSuffix(full, "-fm")
	last := full[strings.LastIndexByte(full, '.')+1:]
	if last == "" || isClosure(last) || !strings.Contains(full, ".") {
		return ""
	}
	return snake(last)
}

func isClosure(s string) bool {
	s = strings.TrimPrefix(s, "func")
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// snake converts a Go identifier to snake case: getHTTPLogs -> get_http_logs.
func snake(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 {
				prev := rs[i-1]
				nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// patternName derives an endpoint name from a pattern's method and route.
func patternName(method, route string) string {
	var parts []string
	if method != "" {
		parts = append(parts, strings.ToLower(method))
	}
	for seg := range strings.SplitSeq(route, "/") {
		seg = strings.Trim(seg, "{}.$")
		seg = strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return '_'
		}, seg)
		if seg != "" {
			parts = append(parts, seg)
		}
	}
	if len(parts) == 0 || (len(parts) == 1 && method != "") {
		parts = append(parts, "index")
	}
	return strings.Join(parts, "_")
}
