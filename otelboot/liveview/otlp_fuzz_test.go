package liveview

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// fuzzMarker is the span name planted in the seeds: whenever an input
// decodes to a request holding a span of that name with valid ids, the
// span table must list it, so the fuzzer is seen to reach the store.
const fuzzMarker = "Qz9MARKERqZ9"

// FuzzOTLPDecode sends arbitrary bytes as OTLP/HTTP protobuf trace and log
// requests and as a JSON trace request. The rule: no panic; as protobuf,
// 200 exactly when the bytes decode as a request and 400 otherwise (JSON:
// 200 or 400); a decoded marker span reaches the span table; the API's
// answers stay valid JSON in valid UTF-8.
func FuzzOTLPDecode(f *testing.F) {
	seed := otlpRequest("fuzz", fuzzMarker, "other")
	seed.ResourceSpans[0].ScopeSpans[0].Spans[1].Events = []*tracepb.Span_Event{{Name: "e",
		Attributes: []*commonpb.KeyValue{{Key: "k", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{
			KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{{Key: "n", Value: &commonpb.AnyValue{
				Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte{0xff}}}}}}}}}}}}
	b, _ := proto.Marshal(seed)
	f.Add(b)
	logs, _ := proto.Marshal(&collogs.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{{
			Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{
				Values: []*commonpb.AnyValue{{Value: &commonpb.AnyValue_IntValue{IntValue: 1}}}}}},
			SeverityNumber: 99, TraceId: []byte{1, 2}}}}}}}})
	f.Add(logs)
	f.Add(invalidUTF8Request())
	f.Add([]byte{})
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"j"}]}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		v := New(Config{})
		h := newOTLPHandler(v)
		var treq coltrace.ExportTraceServiceRequest
		decodes := proto.Unmarshal(body, &treq) == nil
		rec := postOTLP(t, h, "/v1/traces", "application/x-protobuf", body)
		if want := map[bool]int{true: 200, false: 400}[decodes]; rec.Code != want {
			t.Fatalf("traces: %d, want %d (%s)", rec.Code, want, rec.Body)
		}
		var lreq collogs.ExportLogsServiceRequest
		ldecodes := proto.Unmarshal(body, &lreq) == nil
		if rec := postOTLP(t, h, "/v1/logs", "application/x-protobuf", body); rec.Code != map[bool]int{true: 200, false: 400}[ldecodes] {
			t.Fatalf("logs: %d, decodes %v", rec.Code, ldecodes)
		}
		if rec := postOTLP(t, h, "/v1/traces", "application/json", body); rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("traces as JSON: %d %s", rec.Code, rec.Body)
		}
		planted := false
		for _, rs := range treq.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					_, ok1 := otlpTraceID(sp.GetTraceId())
					_, ok2 := otlpSpanID(sp.GetSpanId())
					planted = planted || ok1 && ok2 && sp.GetName() == fuzzMarker
				}
			}
		}
		for _, path := range []string{"/api/spans", "/api/traces", "/api/logs", "/api/services", "/api/rates"} {
			out := getBody(t, v.Handler(), path)
			if !utf8.Valid(out) {
				t.Fatalf("%s: invalid UTF-8", path)
			}
			if path == "/api/spans" && planted && !bytes.Contains(out, []byte(`"name":"`+fuzzMarker+`"`)) {
				t.Fatalf("planted span missing from %s: %s", path, out)
			}
		}
	})
}

func getBody(t *testing.T, h http.Handler, path string) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, localRequest(http.MethodGet, path))
	if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}
