package httpx

import (
	"bufio"
	"net"
	"net/http"
	"testing"
)

// BenchmarkRespWriter measures the response writer alone: wrapping a writer
// with the optional interfaces of net/http's (Flusher, Hijacker) and
// without any, then one Write and one Flush where there is one.
func BenchmarkRespWriter(b *testing.B) {
	body := benchBody[:512]
	for _, tc := range []struct {
		name string
		w    http.ResponseWriter
	}{
		{"plain", &discardWriter{h: http.Header{}}},
		{"flusher+hijacker", &discardAll{discardWriter{h: http.Header{}}}},
	} {
		b.Run("writer="+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w, st := newRespWriter(tc.w)
				_, _ = w.Write(body)
				if f, ok := w.(http.Flusher); ok {
					f.Flush()
				}
				if st.written != int64(len(body)) {
					b.Fatal(st.written)
				}
			}
		})
	}
}

// discardAll is a discardWriter with net/http's Flusher, FlushError and
// Hijacker.
type discardAll struct{ discardWriter }

func (*discardAll) Flush()            {}
func (*discardAll) FlushError() error { return nil }
func (*discardAll) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, http.ErrNotSupported
}
