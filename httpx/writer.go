package httpx

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// respWriter records the status code and the number of body bytes written.
// It keeps http.Flusher, io.ReaderFrom and, through Unwrap, everything
// http.ResponseController reaches; hijackWriter adds http.Hijacker when the
// underlying writer has it.
type respWriter struct {
	w           http.ResponseWriter
	status      int
	written     int64
	wroteHeader bool
}

// newRespWriter returns the writer to hand to the handler and its state.
// It makes one allocation.
func newRespWriter(w http.ResponseWriter) (http.ResponseWriter, *respWriter) {
	if _, ok := w.(http.Hijacker); ok {
		hw := &hijackWriter{respWriter{w: w}}
		return hw, &hw.respWriter
	}
	rw := &respWriter{w: w}
	return rw, rw
}

func (rw *respWriter) Header() http.Header { return rw.w.Header() }

func (rw *respWriter) WriteHeader(code int) {
	if !rw.wroteHeader {
		// Informational responses (except 101) precede the real one.
		if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
			rw.w.WriteHeader(code)
			return
		}
		rw.wroteHeader = true
		rw.status = code
	}
	rw.w.WriteHeader(code)
}

func (rw *respWriter) implicitHeader() {
	if !rw.wroteHeader {
		rw.wroteHeader = true
		rw.status = http.StatusOK
	}
}

func (rw *respWriter) Write(b []byte) (int, error) {
	rw.implicitHeader()
	n, err := rw.w.Write(b)
	rw.written += int64(n)
	return n, err
}

// ReadFrom keeps the underlying writer's io.ReaderFrom (sendfile). It
// writes the header first through WriteHeader, because otelhttp's writer
// passes ReadFrom through without noting the implicit 200.
func (rw *respWriter) ReadFrom(src io.Reader) (int64, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	var n int64
	var err error
	if rf, ok := rw.w.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{rw.w}, src)
	}
	rw.written += n
	return n, err
}

// Flush flushes the underlying writer if it can.
func (rw *respWriter) Flush() {
	rw.implicitHeader()
	if f, ok := rw.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rw *respWriter) Unwrap() http.ResponseWriter { return rw.w }

type writerOnly struct{ io.Writer }

type hijackWriter struct{ respWriter }

// Hijack hijacks the underlying connection.
func (hw *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hw.implicitHeader()
	return hw.w.(http.Hijacker).Hijack()
}

var (
	_ http.Flusher  = (*respWriter)(nil)
	_ io.ReaderFrom = (*respWriter)(nil)
	_ http.Hijacker = (*hijackWriter)(nil)
)
