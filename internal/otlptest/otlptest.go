// Package otlptest is an in-process OTLP receiver for tests: an HTTP server
// (OTLP/HTTP with protobuf bodies, gzip or not) or a gRPC server that
// decodes what exporters send with the protocol's own generated types
// (go.opentelemetry.io/proto/otlp), so tests assert on the wire format, not
// on the exporter's in-memory view.
//
//	r := otlptest.NewHTTPReceiver(t)
//	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.URL)
//	... start, emit, shut down ...
//	spans := r.Spans()
//	reqs := r.Requests() // path, headers, gzip of every request
//
// HTTP requests are routed by path: a path ending in /v1/traces, /v1/metrics
// or /v1/logs carries that signal; WithRoute adds others (for per-signal
// endpoints, which exporters use as-is). Other paths get 404 and are still
// recorded.
package otlptest

import (
	"compress/gzip"
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // lets the server accept gzip-compressed calls
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Signal is the kind of telemetry a request carries.
type Signal string

// The three OTLP signals.
const (
	Traces  Signal = "traces"
	Metrics Signal = "metrics"
	Logs    Signal = "logs"
)

// Request is what the receiver saw of one export request.
type Request struct {
	// Signal is the signal the request was routed to, or "" for an
	// unrouted HTTP path (answered with 404).
	Signal Signal
	// Path is the HTTP path, or the gRPC method.
	Path string
	// Header holds the HTTP headers or the gRPC metadata.
	Header http.Header
	// Gzip reports whether the HTTP body was gzip-compressed.
	Gzip bool
}

// Receiver records and decodes the OTLP requests it receives. Its methods
// are safe for concurrent use.
type Receiver struct {
	// URL is the base URL: http://127.0.0.1:port for OTLP/HTTP (use it as
	// OTEL_EXPORTER_OTLP_ENDPOINT), http://127.0.0.1:port for gRPC too
	// (with OTEL_EXPORTER_OTLP_PROTOCOL=grpc and
	// OTEL_EXPORTER_OTLP_INSECURE=true, or the http scheme, which means
	// insecure).
	URL string

	// CertFile is, for a receiver started WithTLS, a PEM file holding the
	// server's certificate (use it as OTEL_EXPORTER_OTLP_CERTIFICATE).
	CertFile string

	routes map[string]Signal
	status int
	tls    bool

	mu      sync.Mutex
	reqs    []Request
	spans   []*tracepb.ResourceSpans
	metrics []*metricspb.ResourceMetrics
	logs    []*logspb.ResourceLogs
	notify  chan struct{}

	closeFn func()
}

// Option configures a Receiver.
type Option func(*Receiver)

// WithRoute routes HTTP requests for path to signal.
func WithRoute(path string, s Signal) Option {
	return func(r *Receiver) { r.routes[path] = s }
}

// WithStatus makes the HTTP receiver answer every routed request with
// code (after decoding it), for example 503 to exercise retries.
func WithStatus(code int) Option {
	return func(r *Receiver) { r.status = code }
}

// WithTLS serves HTTPS with a self-signed certificate, written to CertFile.
func WithTLS() Option {
	return func(r *Receiver) { r.tls = true }
}

func newReceiver(opts []Option) *Receiver {
	r := &Receiver{routes: map[string]Signal{}, status: http.StatusOK, notify: make(chan struct{})}
	for _, o := range opts {
		o(r)
	}
	return r
}

// NewHTTPReceiver starts an OTLP/HTTP receiver on a loopback port; it is
// closed when the test ends.
func NewHTTPReceiver(t testing.TB, opts ...Option) *Receiver {
	t.Helper()
	r := newReceiver(opts)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(r.serveHTTP))
	if r.tls {
		srv.StartTLS()
		r.CertFile = filepath.Join(t.TempDir(), "otlptest-ca.pem")
		block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		if err := os.WriteFile(r.CertFile, block, 0o600); err != nil {
			t.Fatalf("otlptest: writing the certificate: %v", err)
		}
	} else {
		srv.Start()
	}
	r.URL = srv.URL
	r.closeFn = srv.Close
	t.Cleanup(r.Close)
	return r
}

// Close stops the receiver. Later requests fail to connect.
func (r *Receiver) Close() {
	if r.closeFn != nil {
		r.closeFn()
	}
}

func (r *Receiver) route(path string) Signal {
	if s, ok := r.routes[path]; ok {
		return s
	}
	switch {
	case strings.HasSuffix(path, "/v1/traces"):
		return Traces
	case strings.HasSuffix(path, "/v1/metrics"):
		return Metrics
	case strings.HasSuffix(path, "/v1/logs"):
		return Logs
	}
	return ""
}

func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	rec := Request{Signal: r.route(req.URL.Path), Path: req.URL.Path, Header: req.Header.Clone()}
	var body io.Reader = req.Body
	if strings.EqualFold(req.Header.Get("Content-Encoding"), "gzip") {
		rec.Gzip = true
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			r.record(rec, nil)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer zr.Close()
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		r.record(rec, nil)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg, resp proto.Message
	switch rec.Signal {
	case Traces:
		msg, resp = &coltrace.ExportTraceServiceRequest{}, &coltrace.ExportTraceServiceResponse{}
	case Metrics:
		msg, resp = &colmetrics.ExportMetricsServiceRequest{}, &colmetrics.ExportMetricsServiceResponse{}
	case Logs:
		msg, resp = &collogs.ExportLogsServiceRequest{}, &collogs.ExportLogsServiceResponse{}
	default:
		r.record(rec, nil)
		http.NotFound(w, req)
		return
	}
	if err := proto.Unmarshal(b, msg); err != nil {
		r.record(rec, nil)
		http.Error(w, "decoding OTLP protobuf: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.record(rec, msg)
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(r.status)
	_, _ = w.Write(out)
}

func (r *Receiver) record(rec Request, msg proto.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, rec)
	switch m := msg.(type) {
	case *coltrace.ExportTraceServiceRequest:
		r.spans = append(r.spans, m.GetResourceSpans()...)
	case *colmetrics.ExportMetricsServiceRequest:
		r.metrics = append(r.metrics, m.GetResourceMetrics()...)
	case *collogs.ExportLogsServiceRequest:
		r.logs = append(r.logs, m.GetResourceLogs()...)
	}
	close(r.notify)
	r.notify = make(chan struct{})
}

// NewGRPCReceiver starts an OTLP/gRPC receiver on a loopback port; it is
// closed when the test ends. Its URL has the http scheme (insecure).
func NewGRPCReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := newReceiver(nil)
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("otlptest: listen: %v", err)
	}
	srv := grpc.NewServer()
	coltrace.RegisterTraceServiceServer(srv, traceServer{r: r})
	colmetrics.RegisterMetricsServiceServer(srv, metricsServer{r: r})
	collogs.RegisterLogsServiceServer(srv, logsServer{r: r})
	go func() { _ = srv.Serve(lis) }()
	r.URL = "http://" + lis.Addr().String()
	r.closeFn = srv.Stop
	t.Cleanup(r.Close)
	return r
}

func grpcRequest(ctx context.Context, s Signal, method string) Request {
	md, _ := metadata.FromIncomingContext(ctx)
	h := http.Header{}
	for k, vs := range md {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return Request{Signal: s, Path: method, Header: h}
}

type traceServer struct {
	coltrace.UnimplementedTraceServiceServer
	r *Receiver
}

func (s traceServer) Export(ctx context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	s.r.record(grpcRequest(ctx, Traces, "/opentelemetry.proto.collector.trace.v1.TraceService/Export"), req)
	return &coltrace.ExportTraceServiceResponse{}, nil
}

type metricsServer struct {
	colmetrics.UnimplementedMetricsServiceServer
	r *Receiver
}

func (s metricsServer) Export(ctx context.Context, req *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	s.r.record(grpcRequest(ctx, Metrics, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"), req)
	return &colmetrics.ExportMetricsServiceResponse{}, nil
}

type logsServer struct {
	collogs.UnimplementedLogsServiceServer
	r *Receiver
}

func (s logsServer) Export(ctx context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	s.r.record(grpcRequest(ctx, Logs, "/opentelemetry.proto.collector.logs.v1.LogsService/Export"), req)
	return &collogs.ExportLogsServiceResponse{}, nil
}

// Requests returns every request received so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// ResourceSpans returns the decoded resource spans received so far.
func (r *Receiver) ResourceSpans() []*tracepb.ResourceSpans {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.ResourceSpans(nil), r.spans...)
}

// ResourceMetrics returns the decoded resource metrics received so far.
func (r *Receiver) ResourceMetrics() []*metricspb.ResourceMetrics {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*metricspb.ResourceMetrics(nil), r.metrics...)
}

// ResourceLogs returns the decoded resource logs received so far.
func (r *Receiver) ResourceLogs() []*logspb.ResourceLogs {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*logspb.ResourceLogs(nil), r.logs...)
}

// Spans returns every span received so far, flattened.
func (r *Receiver) Spans() []*tracepb.Span {
	return flatten(r.ResourceSpans(), (*tracepb.ResourceSpans).GetScopeSpans, (*tracepb.ScopeSpans).GetSpans)
}

// Metrics returns every metric received so far, flattened.
func (r *Receiver) Metrics() []*metricspb.Metric {
	return flatten(r.ResourceMetrics(), (*metricspb.ResourceMetrics).GetScopeMetrics, (*metricspb.ScopeMetrics).GetMetrics)
}

// LogRecords returns every log record received so far, flattened.
func (r *Receiver) LogRecords() []*logspb.LogRecord {
	return flatten(r.ResourceLogs(), (*logspb.ResourceLogs).GetScopeLogs, (*logspb.ScopeLogs).GetLogRecords)
}

// flatten collects the items of every scope of every resource.
func flatten[R, S, I any](resources []R, scopes func(R) []S, items func(S) []I) []I {
	var out []I
	for _, r := range resources {
		for _, s := range scopes(r) {
			out = append(out, items(s)...)
		}
	}
	return out
}

// WaitFor waits until cond returns true, re-checking after every request,
// and fails the test after timeout.
func (r *Receiver) WaitFor(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		ch := r.notify
		r.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("otlptest: condition not met within %s (%d requests received)", timeout, len(r.Requests()))
		}
	}
}

// ResourceAttr returns the string form of a resource attribute of the first
// resource that has it, across the three signals.
func (r *Receiver) ResourceAttr(key string) (string, bool) {
	for _, rs := range r.ResourceSpans() {
		if v, ok := attr(rs.GetResource().GetAttributes(), key); ok {
			return v, true
		}
	}
	for _, rm := range r.ResourceMetrics() {
		if v, ok := attr(rm.GetResource().GetAttributes(), key); ok {
			return v, true
		}
	}
	for _, rl := range r.ResourceLogs() {
		if v, ok := attr(rl.GetResource().GetAttributes(), key); ok {
			return v, true
		}
	}
	return "", false
}

// Attr returns the value of key in attrs as a string (strings as they are,
// other types formatted), and whether it is there.
func Attr(attrs []*commonpb.KeyValue, key string) (string, bool) {
	return attr(attrs, key)
}

func attr(attrs []*commonpb.KeyValue, key string) (string, bool) {
	for _, kv := range attrs {
		if kv.GetKey() != key {
			continue
		}
		v := kv.GetValue()
		switch x := v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			return x.StringValue, true
		case *commonpb.AnyValue_IntValue:
			return strconv.FormatInt(x.IntValue, 10), true
		case *commonpb.AnyValue_BoolValue:
			return strconv.FormatBool(x.BoolValue), true
		case *commonpb.AnyValue_DoubleValue:
			return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64), true
		default:
			return v.String(), true
		}
	}
	return "", false
}
