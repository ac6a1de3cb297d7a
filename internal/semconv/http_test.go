package semconv

import "testing"

func TestHTTPSpanNames(t *testing.T) {
	for _, tc := range []struct {
		method, route, want string
	}{
		{"GET", "/logs/kafka", "GET /logs/kafka"},
		{"post", "/register", "POST /register"},
		{"GET", "", "GET"},
		{"PURGE", "/x", "HTTP /x"},
	} {
		if got := HTTPServerSpanName(tc.method, tc.route); got != tc.want {
			t.Errorf("HTTPServerSpanName(%q, %q) = %q, want %q", tc.method, tc.route, got, tc.want)
		}
	}
	for _, tc := range []struct {
		mode   Mode
		method string
		want   string
	}{
		{Old, "GET", "HTTP GET"},
		{Old, "post", "HTTP POST"},
		{Stable, "GET", "GET"},
		{Dup, "GET", "GET"},
		{Stable, "PURGE", "HTTP"},
	} {
		if got := HTTPClientSpanName(tc.mode, tc.method); got != tc.want {
			t.Errorf("%v.HTTPClientSpanName(%q) = %q, want %q", tc.mode, tc.method, got, tc.want)
		}
	}
}
