package liveview

import (
	"compress/gzip"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // lets the gRPC receiver accept gzip-compressed calls
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// DefaultOTLPAddr is the address StartOTLP binds when given an empty one:
// the port of OTLP/HTTP, where exporters send by default.
const DefaultOTLPAddr = "127.0.0.1:4318"

const (
	// MaxOTLPBody caps one OTLP request: an HTTP body (413 beyond it, after
	// gzip decompression as well) or a gRPC message (ResourceExhausted).
	MaxOTLPBody = 8 << 20
	// otlpConcurrency bounds the requests decoded at once; others wait, so
	// that memory stays within a few times MaxOTLPBody.
	otlpConcurrency = 4
)

// otlpReceiver is one server StartOTLP runs.
type otlpReceiver struct {
	srv  *http.Server
	grpc *grpc.Server
}

// otlpState holds the receivers of a View.
type otlpState struct {
	mu   sync.Mutex
	rcvs []otlpReceiver
	sem  chan struct{}
}

// StartOTLP serves an OTLP receiver on addr in the background, feeding the
// view with what other processes export to it, and returns its URL, such
// as "http://127.0.0.1:4318" (use it as OTEL_EXPORTER_OTLP_ENDPOINT). One
// port takes OTLP/HTTP (POST /v1/traces, /v1/logs and /v1/metrics, with
// protobuf or JSON bodies, gzip or not) and OTLP/gRPC (HTTP/2 without TLS),
// so exporters of either protocol can send to it; metrics are accepted and
// ignored, since the view derives its rates from spans. Each span keeps its
// resource, and the page and the API filter by service.name.
//
// An empty addr means DefaultOTLPAddr and an empty host means 127.0.0.1.
// The token rules are the page's: a non-loopback address requires
// Config.Token; with a token, every request must carry it as
// "Authorization: Bearer <token>" (for example
// OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>); without one,
// only requests for a loopback name or address are served. Whatever the
// senders send, memory stays bounded: a request is at most MaxOTLPBody, a
// few are decoded at once, spans get the SDK's default limits (128
// attributes, events and links; values cut at 16 KiB) and then the store's
// bounds, and invalid UTF-8 is replaced. StartOTLP may be called more than
// once (for example for 4317 and 4318); Shutdown stops every receiver.
func (v *View) StartOTLP(addr string) (string, error) {
	if addr == "" {
		addr = DefaultOTLPAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("liveview: OTLP address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !isLoopback(host) && v.cfg.Token == "" {
		return "", fmt.Errorf("%w (OTLP receiver on %s; set a token, e.g. OTELKIT_VIEW_TOKEN)", ErrTokenRequired, addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return "", fmt.Errorf("liveview: OTLP listen: %w", err)
	}
	var ownIP net.IP
	if ta, ok := ln.Addr().(*net.TCPAddr); ok {
		ownIP = ta.IP
	}

	v.otlp.mu.Lock()
	defer v.otlp.mu.Unlock()
	if v.otlp.sem == nil {
		v.otlp.sem = make(chan struct{}, otlpConcurrency)
	}
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(MaxOTLPBody))
	coltrace.RegisterTraceServiceServer(gs, otlpTraceServer{v: v})
	collogs.RegisterLogsServiceServer(gs, otlpLogsServer{v: v})
	colmetrics.RegisterMetricsServiceServer(gs, otlpMetricsServer{})

	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           v.otlpHandler(gs, ownIP),
		ReadHeaderTimeout: 10 * time.Second,
		Protocols:         &protocols,
		MaxHeaderBytes:    64 << 10,
		// gRPC calls arrive through net/http's HTTP/2 server: its stream
		// and upload-buffer bounds hold what waits for the semaphore.
		HTTP2: &http.HTTP2Config{MaxConcurrentStreams: 64},
	}
	v.otlp.rcvs = append(v.otlp.rcvs, otlpReceiver{srv: srv, grpc: gs})
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// ShutdownOTLP stops the receivers started by StartOTLP, waiting for open
// requests within ctx, and leaves the page served. The view keeps its
// data.
func (v *View) ShutdownOTLP(ctx context.Context) error {
	v.otlp.mu.Lock()
	rcvs := v.otlp.rcvs
	v.otlp.rcvs = nil
	v.otlp.mu.Unlock()
	var errs []error
	for _, r := range rcvs {
		if err := r.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("liveview: OTLP receiver shutdown: %w", err))
			_ = r.srv.Close()
		}
		r.grpc.Stop()
	}
	return errors.Join(errs...)
}

// otlpHandler routes gRPC calls to gs and OTLP/HTTP requests to their
// signal, after the token or Host check and within the concurrency bound.
func (v *View) otlpHandler(gs *grpc.Server, ownIP net.IP) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/traces", v.otlpHTTPTraces)
	mux.HandleFunc("/v1/logs", v.otlpHTTPLogs)
	mux.HandleFunc("/v1/metrics", otlpHTTPMetrics)
	want := []byte(v.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		isGRPC := r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc")
		switch {
		case len(want) > 0 && !bearerMatches(r, want):
			otlpRefuse(w, isGRPC, http.StatusUnauthorized, codes.Unauthenticated,
				"token required: send Authorization: Bearer <token> (OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>)")
			return
		case len(want) == 0 && !v.otlpHostAllowed(r.Host, ownIP):
			otlpRefuse(w, isGRPC, http.StatusMisdirectedRequest, codes.PermissionDenied,
				"misdirected request: without a token the receiver answers only requests for a loopback name or its own address")
			return
		}
		select {
		case v.otlp.sem <- struct{}{}:
			defer func() { <-v.otlp.sem }()
		case <-r.Context().Done():
			return
		}
		if isGRPC {
			gs.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (v *View) otlpHostAllowed(hostport string, own net.IP) bool {
	if v.hostAllowed(hostport) {
		return true
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.Trim(hostport, "[]")
	}
	ip := net.ParseIP(host)
	return ip != nil && own != nil && ip.Equal(own)
}

// bearerMatches reports whether r carries the token in its Authorization
// header (OTLP exporters send headers, not query parameters).
func bearerMatches(r *http.Request, want []byte) bool {
	h := r.Header.Get("Authorization")
	return len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[7:])), want) == 1
}

// otlpRefuse answers a refused request: an HTTP status, or a gRPC status in
// a trailers-only response.
func otlpRefuse(w http.ResponseWriter, isGRPC bool, httpCode int, grpcCode codes.Code, msg string) {
	if isGRPC {
		h := w.Header()
		h.Set("Content-Type", "application/grpc")
		h.Set("Grpc-Status", fmt.Sprint(int(grpcCode)))
		h.Set("Grpc-Message", msg)
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(httpCode)
	_, _ = io.WriteString(w, msg+"\n")
}

// otlpEncoding is the body encoding of an OTLP/HTTP request.
type otlpEncoding int

const (
	otlpProtobuf otlpEncoding = iota
	otlpJSON
)

// readOTLP reads and decodes an OTLP/HTTP request into msg. It answers the
// request itself and returns false when it cannot: 405 for a method other
// than POST, 415 for a content type other than protobuf or JSON, 413 for a
// body (decompressed) beyond MaxOTLPBody, 400 for a body that does not
// decode.
func readOTLP(w http.ResponseWriter, r *http.Request, msg proto.Message) (otlpEncoding, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		otlpError(w, otlpProtobuf, http.StatusMethodNotAllowed, "OTLP/HTTP takes POST")
		return 0, false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var enc otlpEncoding
	switch mt {
	case "application/x-protobuf", "application/protobuf":
		enc = otlpProtobuf
	case "application/json":
		enc = otlpJSON
	default:
		otlpError(w, otlpProtobuf, http.StatusUnsupportedMediaType, "content type must be application/x-protobuf or application/json")
		return 0, false
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, MaxOTLPBody)
	switch ce := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); ce {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			otlpError(w, enc, otlpReadStatus(err), "bad gzip body: "+err.Error())
			return 0, false
		}
		defer zr.Close()
		body = zr
	default:
		otlpError(w, enc, http.StatusUnsupportedMediaType, "content encoding must be gzip or none")
		return 0, false
	}
	b, err := io.ReadAll(io.LimitReader(body, MaxOTLPBody+1))
	if err == nil && len(b) > MaxOTLPBody {
		err = &http.MaxBytesError{Limit: MaxOTLPBody}
	}
	if err != nil {
		otlpError(w, enc, otlpReadStatus(err), "reading the body: "+err.Error())
		return 0, false
	}
	if enc == otlpJSON {
		err = unmarshalOTLPJSON(b, msg)
	} else {
		err = proto.Unmarshal(b, msg)
	}
	if err != nil {
		otlpError(w, enc, http.StatusBadRequest, "decoding the OTLP body: "+err.Error())
		return 0, false
	}
	return enc, true
}

func otlpReadStatus(err error) int {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// otlpError answers an OTLP/HTTP error with a google.rpc.Status body, as
// the specification asks, in the request's encoding.
func otlpError(w http.ResponseWriter, enc otlpEncoding, code int, msg string) {
	grpcCode := codes.InvalidArgument
	switch code {
	case http.StatusRequestEntityTooLarge:
		grpcCode = codes.ResourceExhausted
	case http.StatusUnsupportedMediaType, http.StatusMethodNotAllowed:
		grpcCode = codes.Unimplemented
	}
	writeOTLP(w, enc, code, status.New(grpcCode, msg).Proto())
}

func writeOTLP(w http.ResponseWriter, enc otlpEncoding, code int, m proto.Message) {
	var (
		b  []byte
		ct = "application/x-protobuf"
	)
	if enc == otlpJSON {
		b, _ = protojson.Marshal(m)
		ct = "application/json"
	} else {
		b, _ = proto.Marshal(m)
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// unmarshalOTLPJSON decodes OTLP/JSON, whose trace and span ids are hex
// strings where protojson expects base64: ids are read as base64 first
// (hex digits are base64 digits, so any hex id decodes), then turned back
// into their text and decoded as hex.
func unmarshalOTLPJSON(b []byte, msg proto.Message) error {
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, msg); err != nil {
		return err
	}
	fix := func(id []byte) ([]byte, error) {
		if len(id) == 0 {
			return id, nil
		}
		text := base64.StdEncoding.EncodeToString(id)
		out, err := hex.DecodeString(strings.TrimRight(text, "="))
		if err != nil {
			return nil, fmt.Errorf("OTLP/JSON id %q is not hex: %w", text, err)
		}
		return out, nil
	}
	var err error
	switch m := msg.(type) {
	case *coltrace.ExportTraceServiceRequest:
		for _, rs := range m.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					err = errors.Join(err, fixIDs(fix, &sp.TraceId, &sp.SpanId, &sp.ParentSpanId))
					for _, l := range sp.GetLinks() {
						err = errors.Join(err, fixIDs(fix, &l.TraceId, &l.SpanId))
					}
				}
			}
		}
	case *collogs.ExportLogsServiceRequest:
		for _, rl := range m.GetResourceLogs() {
			for _, sl := range rl.GetScopeLogs() {
				for _, lr := range sl.GetLogRecords() {
					err = errors.Join(err, fixIDs(fix, &lr.TraceId, &lr.SpanId))
				}
			}
		}
	}
	return err
}

func fixIDs(fix func([]byte) ([]byte, error), ids ...*[]byte) error {
	for _, id := range ids {
		out, err := fix(*id)
		if err != nil {
			return err
		}
		*id = out
	}
	return nil
}

func (v *View) otlpHTTPTraces(w http.ResponseWriter, r *http.Request) {
	var req coltrace.ExportTraceServiceRequest
	enc, ok := readOTLP(w, r, &req)
	if !ok {
		return
	}
	writeOTLP(w, enc, http.StatusOK, v.ingestOTLPTraces(req.GetResourceSpans()))
}

func (v *View) otlpHTTPLogs(w http.ResponseWriter, r *http.Request) {
	var req collogs.ExportLogsServiceRequest
	enc, ok := readOTLP(w, r, &req)
	if !ok {
		return
	}
	writeOTLP(w, enc, http.StatusOK, v.ingestOTLPLogs(req.GetResourceLogs()))
}

// otlpHTTPMetrics accepts metrics and ignores them.
func otlpHTTPMetrics(w http.ResponseWriter, r *http.Request) {
	var req colmetrics.ExportMetricsServiceRequest
	enc, ok := readOTLP(w, r, &req)
	if !ok {
		return
	}
	writeOTLP(w, enc, http.StatusOK, &colmetrics.ExportMetricsServiceResponse{})
}

// ingestOTLPTraces feeds the view with the spans of a request, as if they
// had ended in this process.
func (v *View) ingestOTLPTraces(rss []*tracepb.ResourceSpans) *coltrace.ExportTraceServiceResponse {
	rejected := otlpSpans(rss, v)
	resp := &coltrace.ExportTraceServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &coltrace.ExportTracePartialSuccess{
			RejectedSpans: rejected,
			ErrorMessage:  "spans without a valid trace id or span id were rejected",
		}
	}
	return resp
}

func (v *View) ingestOTLPLogs(rls []*logspb.ResourceLogs) *collogs.ExportLogsServiceResponse {
	otlpLogs(rls, v.logs.push)
	return &collogs.ExportLogsServiceResponse{}
}

type otlpTraceServer struct {
	coltrace.UnimplementedTraceServiceServer
	v *View
}

func (s otlpTraceServer) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	return s.v.ingestOTLPTraces(req.GetResourceSpans()), nil
}

type otlpLogsServer struct {
	collogs.UnimplementedLogsServiceServer
	v *View
}

func (s otlpLogsServer) Export(_ context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	return s.v.ingestOTLPLogs(req.GetResourceLogs()), nil
}

type otlpMetricsServer struct {
	colmetrics.UnimplementedMetricsServiceServer
}

// Export accepts metrics and ignores them: the view derives its rates from
// spans.
func (otlpMetricsServer) Export(context.Context, *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	return &colmetrics.ExportMetricsServiceResponse{}, nil
}
