package liveview

import (
	"crypto/subtle"
	"embed"
	"io/fs"
	"net"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

func (v *View) newHandler() http.Handler {
	static, _ := fs.Sub(assets, "assets") // cannot fail: the folder is embedded
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", v.auth(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "index.html")
	}))
	// The page's code carries no data, so it is served without the token:
	// the 401 page uses the same stylesheet.
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /api/info", v.auth(v.apiInfo))
	mux.HandleFunc("GET /api/rates", v.auth(v.apiRates))
	mux.HandleFunc("GET /api/heatmap", v.auth(v.apiHeatmap))
	mux.HandleFunc("GET /api/spans", v.auth(v.apiSpans))
	mux.HandleFunc("GET /api/traces", v.auth(v.apiTraces))
	mux.HandleFunc("GET /api/traces/{id}", v.auth(v.apiTrace))
	mux.HandleFunc("GET /api/logs", v.auth(v.apiLogs))
	mux.HandleFunc("GET /api/findings", v.auth(v.apiFindings))
	return securityHeaders(v.hostGuard(mux))
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// hostGuard refuses, when no token is configured, every request whose Host
// is not a loopback name (localhost or a name under .localhost), a loopback
// address, or the address the view listens on: without a token the page is
// protected only by being reachable from this machine alone, and a web page
// that rebinds its own DNS name to 127.0.0.1 would otherwise read it. Such a
// request gets 421 Misdirected Request. With a token every Host is served,
// since the token protects the data.
func (v *View) hostGuard(h http.Handler) http.Handler {
	if v.cfg.Token != "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !v.hostAllowed(r.Host) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusMisdirectedRequest)
			_, _ = w.Write([]byte("misdirected request: the live view answers only requests for a loopback name or its own address; set a token (OTELKIT_VIEW_TOKEN) to serve other names\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a request's Host header names this view
// without a token: a loopback name or address, or the address it listens on.
func (v *View) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return false
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsLoopback() {
			return true
		}
		if l, ok := v.listenIP.Load().(net.IP); ok && l.Equal(ip) {
			return true
		}
	}
	return false
}

// auth wraps h so that, when a token is configured, requests without it
// get 401: a JSON error for the API and a page saying so for the page.
func (v *View) auth(h http.HandlerFunc) http.HandlerFunc {
	if v.cfg.Token == "" {
		return h
	}
	want := []byte(v.cfg.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		if tokenMatches(r, want) {
			h(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="otelkit live view"`)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeJSONStatus(w, http.StatusUnauthorized, map[string]any{
				"error":          "token required: send Authorization: Bearer <token> or ?token=<token>",
				"token_required": true,
			})
			return
		}
		b, _ := assets.ReadFile("assets/token.html")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(b)
	}
}

func tokenMatches(r *http.Request, want []byte) bool {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[7:])), want) == 1 {
			return true
		}
	}
	if q := r.URL.Query().Get("token"); q != "" {
		return subtle.ConstantTimeCompare([]byte(q), want) == 1
	}
	return false
}
