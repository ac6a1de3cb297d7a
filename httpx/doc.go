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
// # Cost
//
// Build handlers, muxes, transports and clients once, at start-up: building
// them per request grows memory (opentelemetry-go-contrib #2413, #6167).
// When the span is not recording (the request is not sampled), httpx adds
// nothing to otelhttp's work: it builds no attribute and does not wrap the
// response writer.
//
// Every span, attribute key and metric the library emits, per
// OTEL_SEMCONV_STABILITY_OPT_IN mode, is listed in one document:
// [docs/telemetry.md].
//
// [docs/telemetry.md]: https://github.com/otelkit/otelkit/blob/main/docs/telemetry.md
package httpx
