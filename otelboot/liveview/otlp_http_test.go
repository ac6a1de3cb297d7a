package liveview

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// otlpRequest builds a trace export request of one service with the named
// spans, each its own trace.
func otlpRequest(service string, names ...string) *coltrace.ExportTraceServiceRequest {
	now := uint64(time.Now().UnixNano())
	var spans []*tracepb.Span
	for i, n := range names {
		tid := bytes.Repeat([]byte{byte(i + 1)}, 16)
		copy(tid, service) // traces of different services differ
		spans = append(spans, &tracepb.Span{
			TraceId: tid, SpanId: bytes.Repeat([]byte{byte(i + 1)}, 8), Name: n,
			Kind:              tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: now - 2e6, EndTimeUnixNano: now,
			Attributes: []*commonpb.KeyValue{{Key: "http.route", Value: &commonpb.AnyValue{
				Value: &commonpb.AnyValue_StringValue{StringValue: "/x"}}}},
		})
	}
	return &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name",
			Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: service}}}}},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "t"}, Spans: spans}},
	}}}
}

func postOTLP(t *testing.T, h http.Handler, path, ctype string, body []byte, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Host = "127.0.0.1"
	req.Header.Set("Content-Type", ctype)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func newOTLPHandler(v *View) http.Handler {
	v.otlp.sem = make(chan struct{}, otlpConcurrency)
	return v.otlpHandler(grpc.NewServer(), nil)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// TestOTLPHTTPAnswers: the answers of the OTLP/HTTP specification, for
// each kind of request at and beyond its edge.
func TestOTLPHTTPAnswers(t *testing.T) {
	good, _ := proto.Marshal(otlpRequest("svc", "a"))
	jsonBody := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"js"}}]},` +
		`"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",` +
		`"parentSpanId":"eee19b7ec3c1b173","name":"from json","kind":2,` +
		`"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","status":{"code":2}}]}]}]}`
	noIDs, _ := proto.Marshal(&coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{Name: "no ids"}, {Name: "short", TraceId: []byte{1}, SpanId: []byte{1}}}}},
	}}})
	atCap := make([]byte, MaxOTLPBody) // read whole (then refused: field number 0 is invalid)
	for _, c := range []struct {
		name, method, path, ctype, enc string
		body                           []byte
		code                           int
		rejected                       int64
	}{
		{"protobuf", "POST", "/v1/traces", "application/x-protobuf", "", good, 200, 0},
		{"protobuf with parameters", "POST", "/v1/traces", "application/x-protobuf; charset=binary", "", good, 200, 0},
		{"gzip", "POST", "/v1/traces", "application/x-protobuf", "gzip", gz(good), 200, 0},
		{"json", "POST", "/v1/traces", "application/json", "", []byte(jsonBody), 200, 0},
		{"empty body", "POST", "/v1/traces", "application/x-protobuf", "", nil, 200, 0},
		{"spans without ids", "POST", "/v1/traces", "application/x-protobuf", "", noIDs, 200, 2},
		{"logs empty", "POST", "/v1/logs", "application/x-protobuf", "", nil, 200, 0},
		{"metrics ignored", "POST", "/v1/metrics", "application/x-protobuf", "", nil, 200, 0},
		{"GET", "GET", "/v1/traces", "application/x-protobuf", "", nil, 405, 0},
		{"text/plain", "POST", "/v1/traces", "text/plain", "", good, 415, 0},
		{"no content type", "POST", "/v1/traces", "", "", good, 415, 0},
		{"brotli", "POST", "/v1/traces", "application/x-protobuf", "br", good, 415, 0},
		{"bad gzip", "POST", "/v1/traces", "application/x-protobuf", "gzip", good, 400, 0},
		{"bad protobuf", "POST", "/v1/traces", "application/x-protobuf", "", []byte{0xff, 0xff, 0xff}, 400, 0},
		{"bad json", "POST", "/v1/traces", "application/json", "", []byte("{"), 400, 0},
		{"json id not hex", "POST", "/v1/traces", "application/json", "",
			[]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz","spanId":"eee19b7ec3c1b174"}]}]}]}`), 400, 0},
		{"invalid UTF-8", "POST", "/v1/traces", "application/x-protobuf", "", invalidUTF8Request(), 400, 0},
		{"body at cap", "POST", "/v1/traces", "application/x-protobuf", "", atCap, 400, 0},
		{"body beyond cap", "POST", "/v1/traces", "application/x-protobuf", "", make([]byte, MaxOTLPBody+1), 413, 0},
		{"gzip beyond cap", "POST", "/v1/traces", "application/x-protobuf", "gzip", gz(make([]byte, MaxOTLPBody+1)), 413, 0},
		{"unknown path", "POST", "/v1/profiles", "application/x-protobuf", "", nil, 404, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newOTLPHandler(New(Config{}))
			req := httptest.NewRequest(c.method, c.path, bytes.NewReader(c.body))
			req.Host = "127.0.0.1"
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			if c.enc != "" {
				req.Header.Set("Content-Encoding", c.enc)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, c.code)
			}
			if c.code != 200 || c.path != "/v1/traces" {
				return
			}
			var resp coltrace.ExportTraceServiceResponse
			var err error
			if c.ctype == "application/json" {
				if got := rec.Header().Get("Content-Type"); got != "application/json" {
					t.Errorf("content type %q", got)
				}
				err = protojson.Unmarshal(rec.Body.Bytes(), &resp)
			} else {
				err = proto.Unmarshal(rec.Body.Bytes(), &resp)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.GetPartialSuccess().GetRejectedSpans(); got != c.rejected {
				t.Errorf("rejected %d, want %d", got, c.rejected)
			}
		})
	}
}

func invalidUTF8Request() []byte {
	// proto.Marshal refuses invalid UTF-8 in a string field: write the
	// wire bytes by hand (ResourceSpans{ScopeSpans{Spans{name: "\xff"}}}).
	span := []byte{0x2a, 0x01, 0xff}                     // Span.name (5)
	ss := append([]byte{0x12, byte(len(span))}, span...) // ScopeSpans.spans (2)
	rs := append([]byte{0x12, byte(len(ss))}, ss...)     // ResourceSpans.scope_spans (2)
	return append([]byte{0x0a, byte(len(rs))}, rs...)    // request.resource_spans (1)
}

// TestOTLPJSONIDs: OTLP/JSON's hex ids arrive as the same ids.
func TestOTLPJSONIDs(t *testing.T) {
	v := New(Config{})
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"js"}}]},` +
		`"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",` +
		`"name":"from json","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000"}]}]}]}`
	if rec := postOTLP(t, newOTLPHandler(v), "/v1/traces", "application/json", []byte(body)); rec.Code != 200 {
		t.Fatal(rec.Code, rec.Body)
	}
	var d traceDetail
	getJSON(t, v.Handler(), "/api/traces/5b8efff798038103d269b633813fc60c", &d)
	if len(d.Spans) != 1 || d.Spans[0].SpanID != "eee19b7ec3c1b174" || d.Spans[0].Name != "from json" ||
		d.Spans[0].Kind != "server" || d.Spans[0].Service != "js" || d.DurationMS != 1000 {
		t.Fatalf("%+v", d)
	}
}

// TestOTLPTokenAndHost: with a token every request needs it (HTTP 401,
// gRPC Unauthenticated); without one, a request for another Host gets 421,
// as the page.
func TestOTLPTokenAndHost(t *testing.T) {
	body, _ := proto.Marshal(otlpRequest("svc", "a"))
	v := New(Config{Token: "s3cret"})
	h := newOTLPHandler(v)
	if rec := postOTLP(t, h, "/v1/traces", "application/x-protobuf", body); rec.Code != 401 {
		t.Errorf("no token: %d", rec.Code)
	}
	if rec := postOTLP(t, h, "/v1/traces", "application/x-protobuf", body, "Authorization", "Bearer wrong"); rec.Code != 401 {
		t.Errorf("wrong token: %d", rec.Code)
	}
	if rec := postOTLP(t, h, "/v1/traces", "application/x-protobuf", body, "Authorization", "Bearer s3cret"); rec.Code != 200 {
		t.Errorf("token: %d", rec.Code)
	}

	open := newOTLPHandler(New(Config{}))
	req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(body))
	req.Host = "rebound.example:4318"
	req.Header.Set("Content-Type", "application/x-protobuf")
	rec := httptest.NewRecorder()
	open.ServeHTTP(rec, req)
	if rec.Code != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %d", rec.Code)
	}

	if _, err := New(Config{}).StartOTLP("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("non-loopback without token: %v", err)
	}

	// gRPC, through a real server.
	url, err := v.StartOTLP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Shutdown(context.Background()) }()
	conn, err := grpc.NewClient(strings.TrimPrefix(url, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := coltrace.NewTraceServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Export(ctx, otlpRequest("svc", "a")); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC without token: %v", err)
	}
	actx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer s3cret")
	if _, err := c.Export(actx, otlpRequest("svc", "grpc-ok")); err != nil {
		t.Errorf("gRPC with token: %v", err)
	}
	big := otlpRequest("svc", strings.Repeat("x", MaxOTLPBody))
	if _, err := c.Export(actx, big); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("gRPC beyond the cap: %v", err)
	}
}

// TestOTLPServicesCap: past maxServices, further services are counted
// together under otherService, and each filter still matches.
func TestOTLPServicesCap(t *testing.T) {
	v := New(Config{})
	h := newOTLPHandler(v)
	for i := range maxServices + 3 {
		body, _ := proto.Marshal(otlpRequest("svc"+string(rune('a'+i)), "op"))
		if rec := postOTLP(t, h, "/v1/traces", "application/x-protobuf", body); rec.Code != 200 {
			t.Fatal(rec.Code)
		}
	}
	var sr servicesResponse
	getJSON(t, v.Handler(), "/api/services", &sr)
	if len(sr.Services) != maxServices+1 || sr.Services[len(sr.Services)-1].Name != otherService ||
		sr.Services[len(sr.Services)-1].Spans != 3 {
		t.Fatalf("%+v", sr.Services)
	}
	var sp spansResponse
	getJSON(t, v.Handler(), "/api/spans?service="+otherService, &sp)
	if sp.TotalSpans != 3 {
		t.Errorf("(other): %+v", sp)
	}
	var tr tracesResponse
	getJSON(t, v.Handler(), "/api/traces?service=svca", &tr)
	if tr.Matched != 1 {
		t.Errorf("svca: %d traces", tr.Matched)
	}
}
