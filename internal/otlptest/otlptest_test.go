package otlptest

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

func post(t *testing.T, url string, body []byte, gz bool) int {
	t.Helper()
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write(body)
		_ = w.Close()
		body = b.Bytes()
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Test", "yes")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHTTPReceiverDecodes(t *testing.T) {
	r := NewHTTPReceiver(t, WithRoute("/custom", Traces))
	msg, _ := proto.Marshal(&coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name",
			Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "svc"}}}}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{Name: "op"}}}},
	}}})
	if code := post(t, r.URL+"/v1/traces", msg, true); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if code := post(t, r.URL+"/custom", msg, false); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if code := post(t, r.URL+"/elsewhere", msg, false); code != http.StatusNotFound {
		t.Fatalf("unrouted path: status %d", code)
	}
	if code := post(t, r.URL+"/v1/traces", []byte("not protobuf\xff"), false); code != http.StatusBadRequest {
		t.Fatalf("garbage: status %d", code)
	}
	r.WaitFor(t, time.Second, func() bool { return len(r.Requests()) == 4 })
	if n := len(r.Spans()); n != 2 || r.Spans()[0].GetName() != "op" {
		t.Errorf("spans = %v", r.Spans())
	}
	reqs := r.Requests()
	if !reqs[0].Gzip || reqs[1].Gzip || reqs[0].Header.Get("X-Test") != "yes" {
		t.Errorf("requests = %+v", reqs)
	}
	if reqs[1].Path != "/custom" || reqs[1].Signal != Traces || reqs[2].Signal != "" {
		t.Errorf("routing: %+v", reqs)
	}
	if v, _ := r.ResourceAttr("service.name"); v != "svc" {
		t.Errorf("service.name = %q", v)
	}
}
