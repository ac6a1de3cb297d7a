package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/redact"
	"github.com/otelkit/otelkit/internal/reqinfo"
	"github.com/otelkit/otelkit/internal/semconv"
)

// NewHandler returns h wrapped in a server span: otelhttp starts the span
// (extracting traceparent and baggage with the propagator) and records the
// standard HTTP metrics; httpx names the span after the route that matched
// and adds the spec's keys (see the package documentation).
//
// The route is Request.Pattern as set by an *http.ServeMux that h is, or
// that h passes the same *http.Request to. When h is an *http.ServeMux (or
// WithServeMux names the mux inside h), the endpoint name is derived from
// the handler registered for the pattern; otherwise from the pattern.
// NewServeMux does all of this for a new mux.
//
// Build the handler once, at start-up, not per request.
func NewHandler(h http.Handler, opts ...Option) http.Handler {
	if serverOff() {
		return h // switched off: h itself
	}
	return newHandler(h, &routes{}, newConfig(opts).forServer())
}

func newHandler(h http.Handler, t *routes, c *config) http.Handler {
	m := &middleware{next: h, routes: t, cfg: c}
	traced := otelhttp.NewHandler(m, "", c.otelhttpOptions(false, otelhttp.WithSpanNameFormatter(m.spanName))...)
	if c.startHook != nil {
		traced = &startHooked{next: traced, hook: c.startHook}
	}
	if c.filter == nil {
		return traced
	}
	return &filtered{traced: traced, m: m}
}

// startHooked runs the start hook before otelhttp starts the span, and
// hands its attributes to httpx's tracer through the request's context.
type startHooked struct {
	next http.Handler
	hook StartHook
}

func (h *startHooked) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.next.ServeHTTP(w, withStartAttrs(r, h.hook))
}

// filtered sends the requests that the filter excludes straight to the
// handler, with the incoming trace context extracted into the request's
// context so that the handler's own calls carry its trace on. The rule: an
// excluded request is handled as an unsampled one without its server
// span, so the incoming span context is marked not sampled: the spans
// started under it (ours and the handler's) record nothing, as under an
// unsampled request, and cost what they cost there.
type filtered struct {
	traced http.Handler
	m      *middleware
}

func (f *filtered) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.m.cfg.filter(r) {
		f.traced.ServeHTTP(w, r)
		return
	}
	prop := f.m.cfg.prop
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc.WithTraceFlags(sc.TraceFlags().WithSampled(false)))
	}
	if f.m.cfg.recover {
		defer f.m.recoverUnsampled(w)
	}
	f.m.next.ServeHTTP(w, r.WithContext(ctx))
}

// middleware runs inside otelhttp's handler, with the server span in the
// request's context.
type middleware struct {
	next   http.Handler
	routes *routes
	cfg    *config
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r0 := r // otelhttp's request, whose Pattern it reads to rename the span
	var span trace.Span
	st := stateFrom[*serverState](r.Context())
	recording := st != nil
	if recording {
		span = st.Span
	} else {
		span = trace.SpanFromContext(r.Context())
		if recording = span.IsRecording(); recording {
			st = stateOf[*serverState](r.Context(), span)
		}
	}
	r = reqinfo.Attach(r, m) // the route and endpoint for sqlx's SQL comments; r unchanged unless asked
	if !recording {
		if m.cfg.recover {
			defer m.recoverUnsampled(w)
		}
		m.next.ServeHTTP(w, r)
		return
	}
	var ww http.ResponseWriter
	var rw *respWriter
	if st != nil {
		// otelhttp started the span with httpx's tracer: the writer lives
		// in its state, and the keys go with otelhttp's last ones.
		ww, rw = st.rw.init(w)
	} else {
		// A tracer provider of the caller's own (WithOtelhttpOptions).
		ww, rw = newRespWriter(w)
	}
	defer m.done(span, st, r, r != r0, rw)
	m.next.ServeHTTP(ww, r)
}

// done is finish, deferred: it recovers the handler's panic, if any, for
// finish to record and go on with.
func (m *middleware) done(span trace.Span, st *serverState, r *http.Request, copied bool, rw *respWriter) {
	m.finish(span, st, r, copied, rw, recover())
}

// EndpointName is the endpoint name (flask.endpoint) of r, whose Pattern
// the router set, for sqlx's SQL comments (reqinfo.Namer).
func (m *middleware) EndpointName(r *http.Request) string {
	return m.routes.lookup(r, m.next, m.cfg).endpoint
}

// recoverUnsampled answers 500 for a panic of an unsampled request, so that
// the behaviour does not depend on sampling.
func (m *middleware) recoverUnsampled(w http.ResponseWriter) {
	v := recover()
	if v == nil {
		return
	}
	if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		panic(v)
	}
	w.WriteHeader(http.StatusInternalServerError)
}

// maxServerKeys is the most keys finish sets, captured headers aside: the
// route, the redacted path, the six old HTTP keys, the three old route keys
// and the view arguments.
const maxServerKeys = 12

// finish sets the span's name and attributes after the handler returned or
// panicked with v. With st (the span started by httpx's tracer) the keys are
// held for otelhttp's last SetAttributes call, unless the span ends here.
// copied says that r is not otelhttp's request but a copy of it (reqinfo),
// whose Pattern otelhttp does not see.
//
// It runs for every recorded request, so its common path is kept small
// (the code of every request shares the instruction cache): the keys are
// written to an array on the stack, without a write barrier or a growth
// check each, and copied into the held buffer at once; the panic, the
// unheld keys and the captured headers are in functions of their own.
func (m *middleware) finish(span trace.Span, st *serverState, r *http.Request, copied bool, rw *respWriter, v any) {
	var info *routeInfo
	if r.Pattern != "" {
		info = m.routes.lookup(r, m.next, m.cfg)
	}
	repanic := v != nil && m.panicked(span, r, rw, v)

	status := 0 // the response's status code; 0: none before the panic goes on
	if rw.wroteHeader {
		status = rw.status
	} else if !repanic {
		status = http.StatusOK
	}
	hold := st != nil && !repanic
	if info != nil {
		if hold && !copied {
			// otelhttp renames the span after this, from the same Pattern,
			// with its span name formatter (m.spanName unless the
			// caller set one): a name set here would be overwritten.
			st.info = info
		} else {
			span.SetName(info.name(r.Method))
		}
	}

	var kv [maxServerKeys]attribute.KeyValue
	n := 0
	if info != nil {
		kv[n] = info.routeKV
		n++
	}
	if r.URL != nil && strings.IndexByte(r.URL.Path, ';') >= 0 {
		// otelhttp's url.path keeps path parameters (/app;jsessionid=...).
		if p := redact.Path(r.URL); p != r.URL.Path {
			kv[n] = otelsemconv.URLPath(p)
			n++
		}
	}
	if semconv.EmitOld(m.cfg.mode) {
		fullURL, viewArgs := serverURLAndViewArgs(r, info)
		kv[n] = semconv.HTTPMethodKey.String(r.Method)
		kv[n+1] = semconv.HTTPURLKey.String(fullURL)
		n += 2
		if status != 0 {
			kv[n] = semconv.HTTPStatusCodeKey.Int(status)
			n++
		}
		// r.UserAgent() without canonicalizing its canonical key.
		if ua := r.Header["User-Agent"]; len(ua) > 0 && ua[0] != "" {
			kv[n] = semconv.HTTPUserAgentKey.String(ua[0])
			n++
		}
		if r.ContentLength >= 0 {
			kv[n] = semconv.HTTPRequestContentLengthKey.Int64(r.ContentLength)
			n++
		}
		kv[n] = semconv.HTTPResponseContentLengthKey.Int64(rw.written)
		n++
		if info != nil {
			n += copy(kv[n:], info.oldKVs)
			kv[n] = semconv.FlaskViewArgsKey.String(viewArgs)
			n++
		}
	}
	if hold {
		attrs := append(st.hold(), kv[:n]...)
		if m.cfg.captureReq != nil || m.cfg.captureRes != nil {
			attrs = m.captured(attrs, r, rw)
		}
		st.setPending(attrs)
	} else {
		m.setKeys(span, kv[:n], r, rw)
	}
	if hook := m.cfg.serverEnd; hook != nil {
		call := func() { hook(span, r, status, rw.Header()) }
		if hold {
			st.after = call // after the held keys, with otelhttp's last ones
		} else {
			call()
		}
	}
	if repanic {
		// End the span here: otelhttp's deferred End is then a no-op, and
		// the SDK does not add a second exception event (without stack)
		// for the same panic.
		span.End()
		panic(v)
	}
}

// panicked records the handler's panic v on span and, when the panic is
// not to go on, answers 500 if nothing was written yet. It reports whether
// the panic goes on: always for http.ErrAbortHandler, which is not
// recorded as an exception, otherwise unless WithPanicResponse(true).
func (m *middleware) panicked(span trace.Span, r *http.Request, rw *respWriter, v any) (repanic bool) {
	err, isErr := v.(error)
	abort := isErr && errors.Is(err, http.ErrAbortHandler)
	repanic = abort || !m.cfg.recover
	if !abort {
		serverException.WithSignal(m.cfg.excSignal).Record(r.Context(), span, fmt.Sprintf("%T", v), fmt.Sprint(v), string(debug.Stack()))
	}
	span.SetStatus(codes.Error, fmt.Sprint("panic: ", v))
	if !repanic && !rw.wroteHeader {
		rw.WriteHeader(http.StatusInternalServerError)
	}
	return repanic
}

// captured appends the captured request and response headers to attrs.
func (m *middleware) captured(attrs []attribute.KeyValue, r *http.Request, rw *respWriter) []attribute.KeyValue {
	attrs = m.cfg.captureReq.attrs(attrs, r.Header)
	return m.cfg.captureRes.attrs(attrs, rw.Header())
}

// setKeys sets keys and the captured headers on span now, when they are
// not held (the span ends in finish, or a tracer provider of the caller's
// own started it), through a pooled buffer (unheld).
func (m *middleware) setKeys(span trace.Span, keys []attribute.KeyValue, r *http.Request, rw *respWriter) {
	buf, attrs := unheld(keys)
	if m.cfg.captureReq != nil || m.cfg.captureRes != nil {
		attrs = m.captured(attrs, r, rw)
	}
	span.SetAttributes(attrs...)
	buf.release()
}

// spanName is otelhttp's span name formatter of httpx's handlers. It names
// the span as otelhttp's default formatter does ("METHOD route", the
// method alone before a route matched, "HTTP" for an unknown method), but
// returns the name cached with the route for the request's method instead
// of building it on every request, sampled or not: the route that finish
// left in the span's state, or the route cache's.
func (m *middleware) spanName(_ string, r *http.Request) string {
	if r.Pattern == "" {
		if standardMethodIndex(r.Method) >= 0 {
			return r.Method // semconv.HTTPMethod(r.Method), without its ToUpper
		}
		return semconv.HTTPMethod(r.Method)
	}
	info := (*routeInfo)(nil)
	if st := stateFrom[*serverState](r.Context()); st != nil && st.info != nil && st.info.pattern == r.Pattern {
		info = st.info
	} else {
		info = m.routes.lookup(r, m.next, m.cfg)
	}
	if info.method == r.Method && info.otelName != "" {
		return info.otelName
	}
	return semconv.HTTPServerSpanName(r.Method, otelhttpRoute(r.Pattern))
}

// serverURLAndViewArgs returns the request's full URL, redacted by the rule
// of internal/redact (user info, sensitive query, path and fragment
// parameters, nested URLs; a Host header holding user info has it masked),
// and info.viewArgs(r) ("{}" when info is nil). In the common case (no query, no user info, no path
// parameters) both are built in one string, of which they are the two
// parts: one allocation instead of two on every recorded request. The
// other cases are in serverURLSlow, out of the common path's code.
func serverURLAndViewArgs(r *http.Request, info *routeInfo) (fullURL, viewArgs string) {
	u := r.URL
	if u == nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
		u.Opaque != "" || u.OmitHost || strings.IndexByte(u.Path, ';') >= 0 {
		return serverURLSlow(r), info.viewArgs(r)
	}
	scheme := "http://"
	if u.Scheme == "https" || (u.Scheme == "" && r.TLS != nil) {
		scheme = "https://"
	}
	host := u.Host
	if host == "" {
		host = serverHost(r)
	}
	path := u.EscapedPath()
	if info == nil || len(info.wildcards) == 0 {
		return scheme + host + path, "{}"
	}
	return info.urlAndViewArgs(r, [3]string{scheme, host, path})
}

// serverHost is the request's Host, with the user info it holds masked.
func serverHost(r *http.Request) string {
	host := r.Host
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = redact.Mask + host[i:]
	}
	return host
}

// serverURLSlow is serverURLAndViewArgs' full URL outside the common case,
// through redact.URL.
func serverURLSlow(r *http.Request) string {
	u := url.URL{}
	if r.URL != nil {
		u = *r.URL
	}
	if u.Scheme == "" {
		u.Scheme = "http"
		if r.TLS != nil {
			u.Scheme = "https"
		}
	}
	if u.Host == "" {
		u.Host = serverHost(r)
	}
	return redact.URL(&u)
}
