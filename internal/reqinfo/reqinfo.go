// Package reqinfo carries what a database statement's SQL comment needs to
// know about the HTTP request it runs under (the route and the handler's
// endpoint name) from httpx to sqlx, without either importing the other.
//
// Nothing is attached until a consumer asks for it with Enable (sqlx does
// when a DB is opened with its SQL commenter on): until then Attach
// returns the request unchanged and costs one atomic load.
package reqinfo

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
)

var enabled atomic.Bool

// Enable makes Attach attach the request to its context from now on.
func Enable() { enabled.Store(true) }

// Namer gives the endpoint name of a request the router has matched (its
// Pattern set): httpx's flask.endpoint value. It is called on the
// goroutine that runs the statement, so it must be safe for concurrent use.
type Namer interface {
	EndpointName(r *http.Request) string
}

type key struct{}

type holder struct {
	r     *http.Request
	namer Namer
}

// Attach returns r with a context from which Route and Endpoint read the
// route that the router (an http.ServeMux) later sets on the returned
// request and its endpoint name, given by namer (nil for none); r itself
// when nothing has called Enable.
func Attach(r *http.Request, namer Namer) *http.Request {
	if !enabled.Load() {
		return r
	}
	h := &holder{namer: namer}
	r = r.WithContext(context.WithValue(r.Context(), key{}, h))
	h.r = r
	return r
}

// Attached reports whether ctx belongs to a request that Attach attached,
// routed or not.
func Attached(ctx context.Context) bool {
	h, _ := ctx.Value(key{}).(*holder)
	return h != nil && h.r != nil
}

// Route returns the path part of the route pattern of the request ctx
// belongs to ("/users/{id}" for "GET /users/{id}"), or "" when ctx holds
// no attached request or no route matched (yet).
func Route(ctx context.Context) string {
	h, _ := ctx.Value(key{}).(*holder)
	if h == nil || h.r == nil {
		return ""
	}
	p := h.r.Pattern
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = strings.TrimLeft(p[i+1:], " \t")
	}
	if i := strings.IndexByte(p, '/'); i > 0 {
		p = p[i:] // drop the host of "example.com/path"
	}
	return p
}

// Endpoint returns the endpoint name of the handler of the request ctx
// belongs to, or "" when ctx holds no attached request, no route matched
// (yet) or Attach was given no Namer.
func Endpoint(ctx context.Context) string {
	h, _ := ctx.Value(key{}).(*holder)
	if h == nil || h.r == nil || h.namer == nil || h.r.Pattern == "" {
		return ""
	}
	return h.namer.EndpointName(h.r)
}
