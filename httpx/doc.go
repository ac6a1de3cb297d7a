// Package httpx traces HTTP servers and clients the way the telemetry spec
// describes them, as a thin layer over otelhttp.
//
// # Server
//
// NewServeMux is a drop-in *http.ServeMux whose requests get a server span
// with no code per route:
//
//	mux := httpx.NewServeMux()
//	mux.HandleFunc("GET /logs/kafka", getKafkaLogs)
//	mux.HandleFunc("GET /admin/users/{username}/messages", getUserMessages)
//	log.Fatal(http.ListenAndServe(":5000", mux))
//
// NewHandler wraps any handler (an existing *http.ServeMux included) the
// same way. otelhttp starts the span, extracts traceparent and baggage with
// the propagator and records the standard http.server.* metrics; once the mux
// has matched, httpx names the span "METHOD route" ("GET
// /admin/users/{username}/messages", never the raw path; the method alone
// when nothing matched, so that the number of names stays bounded) and adds
// the keys below. A response with status 5xx sets the span status to Error;
// a panic of the handler adds an exception event (type, message and stack),
// sets Error, and is then re-panicked or answered with 500, as
// WithPanicResponse says.
//
// The handler of a recorded request writes through a writer that counts
// the status and body bytes. It has exactly the optional interfaces of the
// writer it wraps among http.Flusher, http.Hijacker, io.ReaderFrom,
// http.Pusher and http.CloseNotifier, and Unwrap, so that
// http.ResponseController (Flush, Hijack, SetReadDeadline,
// SetWriteDeadline, EnableFullDuplex) answers as it would without httpx,
// http.ErrNotSupported included; its Flush also reports the error of the
// connection's FlushError, which otelhttp's own writer drops.
//
// The endpoint name (flask.endpoint) is derived from the handler registered
// for the route: getKafkaLogs becomes get_kafka_logs. Endpoint, EndpointFunc
// and WithEndpointName override it.
//
// # Client
//
// NewTransport and Client make a client span per request, named "HTTP GET"
// as in the spec, inject the trace context into the request's headers, set
// Error for transport errors and 4xx/5xx responses and record transport
// errors and time-outs (also while reading the body) as exception events.
// The span ends when the response body is read to the end or closed.
//
// # Keys and OTEL_SEMCONV_STABILITY_OPT_IN
//
// otelhttp always emits the stable keys; httpx adds the spec's keys beside
// them unless the variable (or WithSemconv) says "http":
//
//	key                            unset    http     http/dup
//	http.method                    S C      -        S C
//	http.url (redacted)            S C      -        S C
//	http.status_code               S C      -        S C
//	http.user_agent                S        -        S
//	http.request_content_length    S C      -        S C
//	http.response_content_length   S C      -        S C
//	flask.route, flask.url_rule    S        -        S
//	flask.endpoint                 S        -        S
//	flask.view_args                S        -        S
//	http.route                     S        S        S
//	stable keys (otelhttp)         S C      S C      S C
//	server span name               GET /r   GET /r   GET /r
//	client span name               HTTP GET GET      GET
//
// (S: server span, C: client span.) flask.route and flask.url_rule hold the
// route pattern's path; flask.view_args is a JSON object of the path values
// ({"username":"alice"}, "{}" when the route has none).
// http.request_content_length is the request's Content-Length (absent when
// unknown); http.response_content_length is the number of body bytes the
// handler wrote (server) or the response's Content-Length, or the bytes read
// when it is unknown (client).
//
// # Redaction
//
// http.url is the full URL with its secrets replaced by REDACTED, by one
// rule shared with every place otelkit prints a URL: the password of the
// user info (and a user name without password, where tokens go); the
// values of parameters whose name says they hold a secret, in the query
// ('&' or ';' separated), the fragment and path parameters
// (;jsessionid=...); parameters of opaque URLs (mailto:, jdbc:); and URLs
// or parameters nested in a parameter value, decoded (?next=https://u:p@h/?token=x).
// A name is judged after decoding, splitting at separators, case changes
// and array suffixes: access_token, accessToken, ACCESS-TOKEN, apiKey,
// password[], password%5B%5D, X-Goog-Signature, AWSAccessKeyId, sig, jwt,
// pw, credentials ... are secrets; page, sort, keyword, pageToken, sortKey,
// token_type ... are not. The client's url.full is redacted the same way
// (without the user info, as otelhttp leaves it), and so is the server's
// url.path when it has path parameters.
//
// # Excluded URLs
//
// OTEL_GO_EXCLUDED_URLS and, for teams coming from Python,
// OTEL_PYTHON_FLASK_EXCLUDED_URLS (server) or
// OTEL_PYTHON_REQUESTS_EXCLUDED_URLS (client), or when that one is unset or empty
// OTEL_PYTHON_EXCLUDED_URLS (Python's fallback), are comma lists of regular
// expressions. A request is excluded when an expression of either list
// matches somewhere in its full URL, scheme://host/path?query (Python's
// re.search): "/healthz" excludes https://h/healthz and https://h/x/healthz?a=1,
// "^https?://[^/]+/healthz$" only the first. The variables are read when the
// handler, mux or transport is built, so one built before otelboot.Start
// obeys them. WithFilter replaces them with a function (true = trace).
//
// An excluded request makes no span and no metric point of httpx's or
// otelhttp's, and costs less than an unsampled one (BenchmarkExcluded: a
// fifth of its time on the server, a third on the client): the server still extracts the incoming trace
// context into the request's context, so that the handler's own calls
// (an httpx client call, a query) carry the caller's trace on, marked not
// sampled: an excluded request is handled as an unsampled one without its
// server span, so the spans started under it record nothing; the client
// still injects the caller's trace context (when it has one) into a copy
// of the request.
// An entry that is not a valid regular expression is reported once through
// otel.Handle, naming the variable and the entry; the rest of the list
// is kept.
//
// # Captured headers
//
// OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST, _SERVER_RESPONSE,
// _CLIENT_REQUEST and _CLIENT_RESPONSE (Python's names; the Java agent's
// OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS and its three
// siblings are read when the Python one is unset) are comma lists of header
// names or regular expressions, matched in full and case-insensitively
// (".*" captures every header). A recording span gets one string-slice
// attribute per captured header, http.request.header.<lower-case name> or
// http.response.header.<lower-case name>, with every value of the header
// made valid UTF-8. WithCapturedRequestHeaders and
// WithCapturedResponseHeaders replace the variables of the wrapper's side.
// An unsampled request costs nothing more.
//
// Values are redacted: [REDACTED] for Authorization, Proxy-Authorization,
// Cookie, Set-Cookie, any header whose name says it holds a secret (key,
// token, secret, password ..., by the rule of the Redaction section), and
// any header whose name OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS
// (regular expressions, full, case-insensitive match) matches, even when
// ".*" captures them; in other values (Referer, Location ...) URLs and
// name=value lists have their secrets masked as http.url's are.
//
// # Hooks
//
// WithStartHook runs before a server or client span starts and returns
// attributes that the sampler sees (otelhttp has no such hook);
// WithServerEndHook and WithClientEndHook run with the recorded span, after
// httpx's keys, with the status and response header, or the response or
// the transport error (Python's request_hook and response_hook). No hook
// runs for an excluded request; the end hooks do not run for an unsampled
// one. Hooks must not panic: httpx does not recover them.
//
// # Cost
//
// Build handlers, muxes, transports and clients once, at start-up: building
// them per request grows memory (opentelemetry-go-contrib #2413, #6167).
// When the span is not recording (the request is not sampled), httpx adds
// nothing to otelhttp's work: it builds no attribute and does not wrap the
// response writer. When it is, otelhttp starts the span with httpx's tracer,
// and httpx's keys go with otelhttp's own last attributes, in one call, so
// the SDK grows the span's attribute slice as often as under bare otelhttp;
// a sampled request costs two allocations more than under otelhttp (server
// and client, see TestAllocsOverOtelhttp).
//
// # Exceptions as logs
//
// OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, as the semantic conventions define
// it, chooses the signal of the exceptions above: unset, the span events;
// logs, a log record instead (http.server.request.exception at severity
// ERROR for a handler's panic, http.client.request.exception at WARN for a
// failed request, under otelhttp's instrumentation scope) with
// exception.type, exception.message, exception.stacktrace (a panic) and the
// span's trace and span ids, through the global LoggerProvider (the API
// only; otelboot sets it); logs/dup, both. The variable is read at each
// exception, so a handler or transport built before otelboot.Start obeys it.
// WithExceptionSignal overrides the variable for one handler or transport.
//
// Every span, attribute key and metric the library emits, per
// OTEL_SEMCONV_STABILITY_OPT_IN mode, is listed in one document:
// [docs/telemetry.md].
//
// [docs/telemetry.md]: https://github.com/otelkit/otelkit/blob/main/docs/telemetry.md
package httpx
