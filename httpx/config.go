package httpx

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit"
	"github.com/otelkit/otelkit/internal/semconv"
)

// Option configures NewHandler, NewServeMux, NewTransport and Client.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp        trace.TracerProvider
	mp        metric.MeterProvider
	prop      propagation.TextMapPropagator
	mode      semconv.Mode
	recover   bool
	endpoint  func(pattern string) string
	mux       *http.ServeMux
	otelhttp  []otelhttp.Option
	attrs     []attribute.KeyValue
	optInSeen bool
	excSignal otelkit.ExceptionSignal

	filter     func(*http.Request) bool // nil: trace every request
	filterSet  bool
	reqHeaders []string // WithCapturedRequestHeaders
	reqSet     bool
	resHeaders []string // WithCapturedResponseHeaders
	resSet     bool
	captureReq *headerCapture // resolved by forServer / forClient
	captureRes *headerCapture

	startHook StartHook
	serverEnd ServerEndHook
	clientEnd ClientEndHook
}

// forServer resolves, for a server handler, what the options leave to the
// environment: the excluded URLs and the captured headers.
func (c *config) forServer() *config {
	if !c.filterSet {
		c.filter = excludedFromEnv(envExcludedPythonFlask, serverFullURL)
	}
	c.resolveCapture(envCaptureServerRequest, envJavaServerRequest,
		envCaptureServerResponse, envJavaServerResponse)
	return c
}

// forClient is forServer for a transport.
func (c *config) forClient() *config {
	if !c.filterSet {
		c.filter = excludedFromEnv(envExcludedPythonRequests, clientFullURL)
	}
	c.resolveCapture(envCaptureClientRequest, envJavaClientRequest,
		envCaptureClientResponse, envJavaClientResponse)
	return c
}

func (c *config) resolveCapture(pyReq, javaReq, pyRes, javaRes string) {
	sanitize := sanitizeFromEnv()
	const reqPrefix, resPrefix = "http.request.header.", "http.response.header."
	if c.reqSet {
		c.captureReq = newHeaderCapture("WithCapturedRequestHeaders", strings.Join(c.reqHeaders, ","), reqPrefix, sanitize)
	} else {
		c.captureReq = captureFromEnv(reqPrefix, pyReq, javaReq, sanitize)
	}
	if c.resSet {
		c.captureRes = newHeaderCapture("WithCapturedResponseHeaders", strings.Join(c.resHeaders, ","), resPrefix, sanitize)
	} else {
		c.captureRes = captureFromEnv(resPrefix, pyRes, javaRes, sanitize)
	}
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		o.apply(c)
	}
	if !c.optInSeen {
		c.mode = semconv.FromEnv().HTTP
	}
	return c
}

// otelhttpOptions returns the options passed to otelhttp: ours first, the
// caller's raw otelhttp options last so that they win. otelhttp starts its
// spans with httpx's tracer (see tracerProvider), around the provider set
// with WithTracerProvider or, without one, the one otelhttp would use.
func (c *config) otelhttpOptions(client bool, extra ...otelhttp.Option) []otelhttp.Option {
	o := []otelhttp.Option{otelhttp.WithTracerProvider(&tracerProvider{tp: c.tp, client: client, startHook: c.startHook != nil})}
	if c.mp != nil {
		o = append(o, otelhttp.WithMeterProvider(c.mp))
	}
	if c.prop != nil {
		o = append(o, otelhttp.WithPropagators(c.prop))
	}
	if len(c.attrs) > 0 {
		o = append(o, otelhttp.WithSpanOptions(trace.WithAttributes(c.attrs...)))
	}
	o = append(o, extra...)
	return append(o, c.otelhttp...)
}

// WithTracerProvider sets the tracer provider. Without it otelhttp uses the
// provider of the incoming context's span, or the global one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tp = tp })
}

// WithMeterProvider sets the meter provider of otelhttp's standard HTTP
// metrics (the global one by default).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.mp = mp })
}

// WithPropagators sets the propagator that extracts (server) or injects
// (client) the trace context and baggage (the global one by default).
func WithPropagators(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) { c.prop = p })
}

// WithSemconv overrides, for this wrapper, the HTTP conventions that
// OTEL_SEMCONV_STABILITY_OPT_IN selects: otelkit.SemconvOld (the default:
// the spec's names and keys beside otelhttp's stable keys),
// otelkit.SemconvStable ("http") or otelkit.SemconvDup ("http/dup"). See the
// package documentation for the keys of each mode.
func WithSemconv(m otelkit.SemconvMode) Option {
	return optionFunc(func(c *config) {
		c.mode = m
		c.optInSeen = true
	})
}

// WithExceptionSignal overrides, for this wrapper's exceptions (a handler's
// panic, a client request or response body that failed), the signal that
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN selects: otelkit.ExceptionEvents
// (span events, the variable's default), otelkit.ExceptionLogs ("logs") or
// otelkit.ExceptionLogsDup ("logs/dup"). otelkit.ExceptionSignalFromEnv,
// the default, reads the variable at each exception. See "Exceptions as
// logs" in the package documentation.
func WithExceptionSignal(s otelkit.ExceptionSignal) Option {
	return optionFunc(func(c *config) { c.excSignal = s })
}

// WithAttributes adds attributes to every server and client span, as
// sqlx.WithAttributes and redisx.WithAttributes do. They are set when the
// span starts, so samplers see them.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c *config) { c.attrs = append(c.attrs, attrs...) })
}

// WithPanicResponse says what the server middleware does after recording a
// panic of the handler on the span: re-panic (false, the default, so that
// net/http or an outer middleware sees it) or answer 500 Internal Server
// Error when nothing was written yet and return normally (true).
// http.ErrAbortHandler is always re-panicked.
func WithPanicResponse(respond500 bool) Option {
	return optionFunc(func(c *config) { c.recover = respond500 })
}

// WithEndpointName sets a function that names the endpoint (flask.endpoint)
// of a route pattern such as "GET /logs/kafka". It is called once per
// pattern; when it returns "" the name is derived as usual (see Endpoint).
func WithEndpointName(f func(pattern string) string) Option {
	return optionFunc(func(c *config) { c.endpoint = f })
}

// WithServeMux names the mux whose registered handlers give the endpoint
// names (flask.endpoint) when the handler passed to NewHandler is not the
// mux itself but a middleware around it:
//
//	mux := http.NewServeMux()
//	h := httpx.NewHandler(logRequests(mux), httpx.WithServeMux(mux))
//
// The middleware must pass the *http.Request it receives to the mux (not a
// copy made with WithContext), or the route is not seen at all.
func WithServeMux(mux *http.ServeMux) Option {
	return optionFunc(func(c *config) { c.mux = mux })
}

// WithOtelhttpOptions passes options to the otelhttp handler or transport
// underneath (for example otelhttp.WithFilter or
// otelhttp.WithPublicEndpointFn). They are applied after httpx's own.
func WithOtelhttpOptions(opts ...otelhttp.Option) Option {
	return optionFunc(func(c *config) { c.otelhttp = append(c.otelhttp, opts...) })
}

// WithFilter sets the function that decides which requests are traced
// (true) and which are excluded (false): an excluded request gets no span
// and no metric point from httpx, and its trace context still reaches what
// it calls (the server extracts the incoming traceparent into the request's
// context, marked not sampled so that the spans under an excluded request
// record nothing; the client injects the caller's). It replaces the excluded URL
// variables (OTEL_GO_EXCLUDED_URLS and Python's, see the package
// documentation); nil traces every request.
func WithFilter(f func(*http.Request) bool) Option {
	return optionFunc(func(c *config) {
		c.filter = f
		c.filterSet = true
	})
}

// WithCapturedRequestHeaders names the request headers (names or regular
// expressions, matched in full and case-insensitively; ".*" for all) that a
// recording server or client span records as http.request.header.<name>
// attributes. It replaces the capture variables of the side (see the
// package documentation); with no names, no header is captured. Sensitive
// headers are recorded as [REDACTED].
func WithCapturedRequestHeaders(names ...string) Option {
	return optionFunc(func(c *config) {
		c.reqHeaders = names
		c.reqSet = true
	})
}

// WithCapturedResponseHeaders is WithCapturedRequestHeaders for the
// response headers (http.response.header.<name>).
func WithCapturedResponseHeaders(names ...string) Option {
	return optionFunc(func(c *config) {
		c.resHeaders = names
		c.resSet = true
	})
}

// StartHook is called with a request just before the start of its server
// or client span (Python's request_hook, but run before the start). The
// attributes it returns are given to the tracer at the start
// (trace.WithAttributes), so the sampler sees them in its parameters, and
// they are on the span. It runs for every request that is not excluded
// (WithFilter, the excluded URL variables), sampled or not, since the
// sampler decides after it; never for an excluded request nor when the
// side is switched off. It runs on the request's goroutine; it must not
// keep r, nor change it. A hook must not panic: httpx does not recover its
// panic, which reaches the caller as a panic of the handler or of the
// round trip would.
type StartHook func(r *http.Request) []attribute.KeyValue

// ServerEndHook is called with a recorded server span just before it ends
// (Python's Flask response_hook), after httpx has set its attributes, so
// span can take more attributes or events and replace httpx's. status is
// the response's status code (200 when the handler wrote nothing), or 0
// when the handler panicked before writing and the panic goes on; header
// is the response's header map. It is not called for an unsampled or
// excluded request. It must not end the span, keep r or header, nor
// change r; it must not panic (see StartHook).
type ServerEndHook func(span trace.Span, r *http.Request, status int, header http.Header)

// ClientEndHook is called with a recorded client span when the base
// transport's round trip returns (Python's requests response_hook), after
// httpx has set its attributes and recorded err as an exception event, so
// span can take more attributes or events and replace httpx's. res is the
// response, whose body is not read yet (nil on error); err is the base
// transport's error, nil on success. otelhttp sets the span's status after
// the hook and ends the span when the body is read or closed. It is not
// called for an unsampled or excluded request. It must not end the span,
// read res.Body, keep r or res, nor change them; it must not panic (see
// StartHook).
type ClientEndHook func(span trace.Span, r *http.Request, res *http.Response, err error)

// WithStartHook sets the hook called before the start of each server span
// (NewHandler, NewServeMux) or client span (NewTransport, Client); see
// StartHook. The last of several of these options wins; nil removes it.
// Without it, a request costs what it costs without hooks.
func WithStartHook(hook StartHook) Option {
	return optionFunc(func(c *config) { c.startHook = hook })
}

// WithServerEndHook sets the hook called with every recorded server span
// just before it ends (see ServerEndHook); NewTransport and Client ignore
// it. The last of several of these options wins; nil removes it.
func WithServerEndHook(hook ServerEndHook) Option {
	return optionFunc(func(c *config) { c.serverEnd = hook })
}

// WithClientEndHook sets the hook called with every recorded client span
// when the base round trip returns (see ClientEndHook); NewHandler and
// NewServeMux ignore it. The last of several of these options wins; nil
// removes it.
func WithClientEndHook(hook ClientEndHook) Option {
	return optionFunc(func(c *config) { c.clientEnd = hook })
}
