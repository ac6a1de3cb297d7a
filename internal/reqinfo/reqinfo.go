// Package reqinfo carries what a database statement's SQL comment needs to
// know about the HTTP request it runs under (the route) from httpx to
// sqlx, without either importing the other.
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

type key struct{}

type holder struct{ r *http.Request }

// Attach returns r with a context from which Route reads the route that
// the router (an http.ServeMux) later sets on the returned request; r
// itself when nothing has called Enable.
func Attach(r *http.Request) *http.Request {
	if !enabled.Load() {
		return r
	}
	h := &holder{}
	r = r.WithContext(context.WithValue(r.Context(), key{}, h))
	h.r = r
	return r
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
