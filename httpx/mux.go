package httpx

import "net/http"

// ServeMux is an *http.ServeMux whose requests are traced: each request gets
// a server span named after the pattern that matched, with the spec's keys,
// and no code per route. It has the methods of http.ServeMux that register
// and find handlers, with the same meaning.
//
//	mux := httpx.NewServeMux()
//	mux.HandleFunc("GET /admin/users/{username}/messages", getUserMessages)
//	http.ListenAndServe(":5000", mux)
//
// gives spans named "GET /admin/users/{username}/messages" with
// flask.endpoint "get_user_messages" and flask.view_args
// {"username":"alice"}. Build it once.
type ServeMux struct {
	mux     *http.ServeMux
	handler http.Handler
	routes  *routes
}

var _ http.Handler = (*ServeMux)(nil)

// NewServeMux returns a new traced ServeMux.
func NewServeMux(opts ...Option) *ServeMux {
	m := &ServeMux{mux: http.NewServeMux(), routes: &routes{}}
	if serverOff() {
		m.handler = m.mux // switched off: the bare mux
		return m
	}
	m.handler = newHandler(m.mux, m.routes, newConfig(opts).forServer())
	return m
}

// Handle registers h for pattern, as http.ServeMux.Handle does, and derives
// the endpoint name of the route from h (see Endpoint).
func (m *ServeMux) Handle(pattern string, h http.Handler) {
	m.mux.Handle(pattern, h) // panics on a bad or conflicting pattern first
	m.routes.register(pattern, handlerName(h))
}

// HandleFunc registers f for pattern, as http.ServeMux.HandleFunc does.
func (m *ServeMux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(f))
}

// Handler returns the handler and pattern that r would be routed to, as
// http.ServeMux.Handler does.
func (m *ServeMux) Handler(r *http.Request) (h http.Handler, pattern string) {
	return m.mux.Handler(r)
}

// ServeHTTP serves r in a server span.
func (m *ServeMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.handler.ServeHTTP(w, r)
}
