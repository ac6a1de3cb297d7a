package semconv

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// HTTP keys of the telemetry spec (the pre-stable conventions and the
// framework keys of the Flask original). http.route is also a stable key.
//
// Keys per OTEL_SEMCONV_STABILITY_OPT_IN mode (the stable keys are those
// otelhttp always emits; http.route is added by otelkit in every mode):
//
//	key                              unset (Old)  http (Stable)  http/dup (Dup)
//	http.method                      server,client    -          server,client
//	http.url (redacted)              server,client    -          server,client
//	http.status_code                 server,client    -          server,client
//	http.user_agent                  server           -          server
//	http.request_content_length      server,client    -          server,client
//	http.response_content_length     server,client    -          server,client
//	flask.route, flask.endpoint,
//	flask.view_args, flask.url_rule  server           -          server
//	http.route                       server         server       server
//	stable keys of otelhttp          yes            yes          yes
//	  (http.request.method, url.full (redacted), url.path, url.scheme,
//	   http.response.status_code, user_agent.original, server.address, ...)
//
// Span names per mode:
//
//	              unset (Old)       http / http/dup
//	server        GET /route, GET   GET /route, GET
//	client        HTTP GET          GET
const (
	HTTPMethodKey                = attribute.Key("http.method")
	HTTPURLKey                   = attribute.Key("http.url")
	HTTPStatusCodeKey            = attribute.Key("http.status_code")
	HTTPUserAgentKey             = attribute.Key("http.user_agent")
	HTTPRequestContentLengthKey  = attribute.Key("http.request_content_length")
	HTTPResponseContentLengthKey = attribute.Key("http.response_content_length")
	HTTPRouteKey                 = otelsemconv.HTTPRouteKey
	FlaskRouteKey                = attribute.Key("flask.route")
	FlaskEndpointKey             = attribute.Key("flask.endpoint")
	FlaskViewArgsKey             = attribute.Key("flask.view_args")
	FlaskURLRuleKey              = attribute.Key("flask.url_rule")
)

// HTTPServerOldKeys lists the spec's keys of a server span, in the spec's
// order; HTTPClientOldKeys those of a client span.
var (
	HTTPServerOldKeys = []attribute.Key{
		HTTPMethodKey, HTTPURLKey, HTTPStatusCodeKey, HTTPUserAgentKey,
		HTTPRequestContentLengthKey, HTTPResponseContentLengthKey,
		FlaskRouteKey, FlaskEndpointKey, FlaskViewArgsKey, FlaskURLRuleKey,
	}
	HTTPClientOldKeys = []attribute.Key{
		HTTPMethodKey, HTTPURLKey, HTTPStatusCodeKey,
		HTTPRequestContentLengthKey, HTTPResponseContentLengthKey,
	}
)

// HTTPMethod returns method in upper case if it is one of the methods known
// to net/http, and "HTTP" otherwise, as span names require.
func HTTPMethod(method string) string {
	switch m := strings.ToUpper(method); m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodConnect,
		http.MethodOptions, http.MethodTrace:
		return m
	}
	return "HTTP"
}

// HTTPServerSpanName returns the name of a server span: "METHOD route", or
// the method alone when no route matched. It is the same in every mode.
func HTTPServerSpanName(method, route string) string {
	m := HTTPMethod(method)
	if route == "" {
		return m
	}
	return m + " " + route
}

// HTTPClientSpanName returns the name of a client span: "HTTP GET" in the
// Old mode (the spec), "GET" otherwise (the stable conventions).
func HTTPClientSpanName(m Mode, method string) string {
	if StableNames(m) {
		return HTTPMethod(method)
	}
	return "HTTP " + strings.ToUpper(method)
}
