package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/errtype"
	"github.com/otelkit/otelkit/internal/exception"
	"github.com/otelkit/otelkit/internal/redact"
	"github.com/otelkit/otelkit/internal/semconv"
)

// Transport is an http.RoundTripper that makes a client span for every
// request: otelhttp starts it, injects the trace context into the request's
// headers and records the standard client metrics; httpx names it ("HTTP
// GET" by default, "GET" with OTEL_SEMCONV_STABILITY_OPT_IN=http or
// http/dup), adds the spec's keys, redacts url.full and records transport
// errors and time-outs as exception events. Status is Error for transport
// errors and for 4xx and 5xx responses.
//
// Build a Transport (or a Client) once and reuse it: a Transport per request
// defeats connection reuse and grows memory.
type Transport struct {
	rt     http.RoundTripper // otelhttp around inner
	base   http.RoundTripper
	filter func(*http.Request) bool // nil: trace every request
	prop   propagation.TextMapPropagator
	hook   StartHook
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport wraps base (http.DefaultTransport when nil).
func NewTransport(base http.RoundTripper, opts ...Option) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if clientOff() {
		return &Transport{rt: base, base: base} // switched off: base's calls
	}
	c := newConfig(opts).forClient()
	mode := c.mode
	in := &clientInner{base: base, mode: mode, captureReq: c.captureReq, captureRes: c.captureRes, endHook: c.clientEnd,
		exc: clientException.WithSignal(c.excSignal)}
	// The names of the standard methods are built once, not per request.
	var names [len(standardMethods)]string
	for i, m := range standardMethods {
		names[i] = semconv.HTTPClientSpanName(mode, m)
	}
	rt := otelhttp.NewTransport(in, c.otelhttpOptions(true,
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if i := standardMethodIndex(r.Method); i >= 0 {
				return names[i]
			}
			return semconv.HTTPClientSpanName(mode, r.Method)
		}))...)
	return &Transport{rt: rt, base: base, filter: c.filter, prop: c.prop, hook: c.startHook}
}

// standardMethods are the methods of RFC 9110 and PATCH.
var standardMethods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace,
}

// standardMethodIndex returns the index of m in standardMethods, -1 when
// m is not one of them (a switch: cheaper than a map look-up).
func standardMethodIndex(m string) int {
	switch m {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	case http.MethodConnect:
		return 6
	case http.MethodOptions:
		return 7
	case http.MethodTrace:
		return 8
	}
	return -1
}

// Client returns an *http.Client whose Transport is NewTransport(nil, opts...).
// Build it once.
func Client(opts ...Option) *http.Client {
	return &http.Client{Transport: NewTransport(nil, opts...)}
}

// RoundTrip sends r in a client span.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.filter != nil && !t.filter(r) {
		return t.roundTripExcluded(r)
	}
	if t.hook != nil {
		r = withStartAttrs(r, t.hook) // a shallow copy: r itself is not changed
	}
	res, err := t.rt.RoundTrip(r)
	return res, errtype.Strip(err) // the caller gets the base's own error
}

// roundTripExcluded sends a request that the filter excludes without a span,
// injecting the caller's trace context into a copy of its headers (a
// RoundTripper must not modify the caller's request).
func (t *Transport) roundTripExcluded(r *http.Request) (*http.Response, error) {
	prop := t.prop
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	if trace.SpanContextFromContext(r.Context()).IsValid() {
		r2 := new(http.Request)
		*r2 = *r
		r2.Header = r.Header.Clone()
		if r2.Header == nil {
			r2.Header = make(http.Header)
		}
		prop.Inject(r.Context(), propagation.HeaderCarrier(r2.Header))
		r = r2
	}
	return t.base.RoundTrip(r)
}

// CloseIdleConnections closes the idle connections of the base transport if
// it can.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// clientInner runs inside otelhttp's transport, with the client span in the
// request's context.
type clientInner struct {
	base http.RoundTripper
	mode semconv.Mode
	// captureReq and captureRes say which headers become attributes.
	captureReq, captureRes *headerCapture
	endHook                ClientEndHook
	// exc records the exceptions of the client's spans (WithExceptionSignal).
	exc exception.Recorder
}

func (t *clientInner) RoundTrip(r *http.Request) (*http.Response, error) {
	var span trace.Span
	st := stateFrom[*clientState](r.Context())
	if st != nil {
		span = st.Span
	} else {
		span = trace.SpanFromContext(r.Context())
		if !span.IsRecording() {
			return t.base.RoundTrip(r)
		}
		st = stateOf[*clientState](r.Context(), span)
	}
	// The keys are written to an array on the stack and copied at once to
	// where they go (see middleware.finish): the request path's code stays
	// small.
	var kv [maxClientKeys]attribute.KeyValue
	n := 0
	// otelhttp's url.full drops the user info but keeps the query as is:
	// replace it with a redacted one. When redacting changes nothing,
	// otelhttp's url.full (r.URL.String()) is already the redacted URL:
	// it is taken as it is, and not set a second time.
	var u string
	if st != nil && st.urlFull != "" && redact.UnchangedString(r.URL, st.urlFull) {
		u = st.urlFull
	} else {
		var full string
		u, full = clientURLs(r.URL)
		kv[n] = otelsemconv.URLFull(full)
		n++
	}
	old := semconv.EmitOld(t.mode)
	if old {
		kv[n] = semconv.HTTPMethodKey.String(r.Method)
		kv[n+1] = semconv.HTTPURLKey.String(u)
		n += 2
		if r.ContentLength >= 0 {
			kv[n] = semconv.HTTPRequestContentLengthKey.Int64(r.ContentLength)
			n++
		}
	}

	// The request's keys are set with the response's, in one call: nothing
	// of httpx sets attributes on the span in between, and one call saves
	// the SDK a lock, a copy and a growth of its attribute slice.
	var hdrs []attribute.KeyValue
	if t.captureReq != nil {
		hdrs = t.captureReq.attrs(nil, r.Header)
	}
	res, err := t.base.RoundTrip(r)
	if err == nil && res != nil && old {
		kv[n] = semconv.HTTPStatusCodeKey.Int(res.StatusCode)
		n++
		if res.ContentLength >= 0 {
			kv[n] = semconv.HTTPResponseContentLengthKey.Int64(res.ContentLength)
			n++
		}
	}
	if st != nil {
		// otelhttp started the span with httpx's tracer: the keys go with
		// otelhttp's last ones (the response's or error.type), in one call.
		attrs := append(st.hold(), kv[:n]...)
		if len(hdrs) > 0 || t.captureRes != nil {
			attrs = t.captured(attrs, hdrs, res)
		}
		st.setPending(attrs)
		st.small = t.captureReq == nil && t.captureRes == nil
	} else {
		// A tracer provider of the caller's own (WithOtelhttpOptions).
		t.setKeys(span, kv[:n], hdrs, res)
	}
	if err != nil {
		recordError(&t.exc, span, err)
	}
	if hook := t.endHook; hook != nil {
		baseErr := err
		call := func() { hook(span, r, res, baseErr) }
		if st != nil {
			st.after = call // after the held keys, with otelhttp's last ones
		} else {
			call()
		}
	}
	if err != nil || res == nil {
		if err != nil {
			// otelhttp records the span's error.type by semconv.ErrorType,
			// which reads ErrorType: give it the one rule of the wrappers.
			// Its client metric names the Go type instead, which Carry
			// picks per class (and leaves alone for an unclassified error).
			err = errtype.Carry(err, errtype.OfContext(r.Context(), err))
		}
		return res, err
	}
	if res.Body != nil && res.Body != http.NoBody {
		if _, rw := res.Body.(io.Writer); !rw { // keep 101 bodies writable
			var b *clientBody
			if st != nil {
				b = &st.body // allocated with the span's state
			} else {
				b = new(clientBody)
			}
			b.ReadCloser = res.Body
			b.span = span
			b.exc = &t.exc
			b.countLen = semconv.EmitOld(t.mode) && res.ContentLength < 0
			res.Body = b
		}
	}
	return res, nil
}

// maxClientKeys is the most keys clientInner.RoundTrip sets, captured
// headers aside: url.full and the five old HTTP keys.
const maxClientKeys = 6

// clientURLs returns the redacted URL of u for http.url, and for url.full
// the same without user info.
func clientURLs(u *url.URL) (redacted, full string) {
	redacted = redact.URL(u)
	full = redacted
	if u.User != nil {
		noUser := *u
		noUser.User = nil
		full = redact.URL(&noUser)
	}
	return redacted, full
}

// captured appends the captured request headers hdrs and those of the
// response res (nil after a transport error) to attrs.
func (t *clientInner) captured(attrs, hdrs []attribute.KeyValue, res *http.Response) []attribute.KeyValue {
	attrs = append(attrs, hdrs...)
	if res != nil && t.captureRes != nil {
		attrs = t.captureRes.attrs(attrs, res.Header)
	}
	return attrs
}

// setKeys sets keys and the captured headers on span now, when they are
// not held (a tracer provider of the caller's own started it), through a
// pooled buffer (unheld).
func (t *clientInner) setKeys(span trace.Span, keys, hdrs []attribute.KeyValue, res *http.Response) {
	buf, attrs := unheld(keys)
	span.SetAttributes(t.captured(attrs, hdrs, res)...)
	buf.release()
}

// recordError records the exception of err with rec (see clientException).
func recordError(rec *exception.Recorder, span trace.Span, err error) {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	rec.Error(context.Background(), span, err, "")
}

// clientBody records an exception event when reading the response body
// fails (for example on a time-out), and http.response_content_length at the
// end of a body of unknown length.
type clientBody struct {
	io.ReadCloser
	span     trace.Span
	exc      *exception.Recorder
	n        atomic.Int64
	failed   atomic.Bool
	countLen bool
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	total := b.n.Add(int64(n))
	switch {
	case err == nil:
	case err == io.EOF || errors.Is(err, io.EOF): // the common io.EOF without errors.Is
		if b.countLen {
			b.span.SetAttributes(semconv.HTTPResponseContentLengthKey.Int64(total))
		}
	default:
		if b.failed.CompareAndSwap(false, true) {
			recordError(b.exc, b.span, err)
		}
	}
	return n, err
}
