package httpx

//go:generate go run gen_writer.go

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// respWriter records the status code and the number of body bytes written
// by the handler of a recorded request.
//
// The writer handed to the handler has exactly the optional interfaces of
// the writer it wraps among http.Flusher, http.Hijacker, io.ReaderFrom,
// http.Pusher and http.CloseNotifier (one generated type per combination,
// writer_combos.go), and Unwrap, so that http.ResponseController reaches
// everything else (SetReadDeadline, SetWriteDeadline, EnableFullDuplex) on
// the wrapped writer and returns what it would return without httpx: an
// error wrapping http.ErrNotSupported when the wrapped writer lacks the
// feature. A handler that checks for an interface sees the same answer
// whether the request is sampled (wrapped) or not (not wrapped).
type respWriter struct {
	w           http.ResponseWriter
	status      int
	written     int64
	wroteHeader bool
}

// rwBase is the allocated writer. Every combination type is defined as
// rwBase, so that a *rwBase converts to any of them for free and all of them
// have respWriter's methods through the embedded field.
type rwBase struct{ respWriter }

// newRespWriter returns the writer to hand to the handler and its state.
// It makes one allocation, whatever w implements.
func newRespWriter(w http.ResponseWriter) (http.ResponseWriter, *respWriter) {
	b := &rwBase{}
	return b.init(w)
}

// init is newRespWriter for a writer allocated with other state.
func (b *rwBase) init(w http.ResponseWriter) (http.ResponseWriter, *respWriter) {
	b.respWriter = respWriter{w: w}
	return b.combo(), &b.respWriter
}

// closeNotifier is http.CloseNotifier, mirrored for the handlers that still
// use it.
//
//lint:ignore SA1019 mirrored, not used: a handler asserting it must see what the wrapped writer has.
type closeNotifier = http.CloseNotifier

// Header returns the wrapped writer's header map.
func (rw *respWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader notes the first final status code and passes code on.
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

// Write counts the bytes written.
func (rw *respWriter) Write(b []byte) (int, error) {
	rw.implicitHeader()
	n, err := rw.w.Write(b)
	rw.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (rw *respWriter) Unwrap() http.ResponseWriter { return rw.w }

// flush is Flush of a wrapped http.Flusher.
func (rw *respWriter) flush() {
	rw.implicitHeader()
	rw.w.(http.Flusher).Flush()
}

// flushError is what http.ResponseController.Flush returns for the wrapped
// writer: its FlushError's error if it has one (net/http's does), nil after
// a plain Flush. It is there because ResponseController prefers FlushError
// to Flush, and a wrapper with Flush alone would lose that error.
//
// The wrapped writer is otelhttp's, whose FlushError flushes through its
// Flush hook and drops the error of the writer beneath it. So after
// flushing through it (otelhttp then notes the implicit 200), flushError
// asks the writer beneath it too: its buffers are empty by then, so that
// call writes nothing and returns the error of the flush just done (net/http
// and bufio keep a write error).
func (rw *respWriter) flushError() error {
	rw.implicitHeader()
	err := http.NewResponseController(rw.w).Flush()
	if u, ok := rw.w.(interface{ Unwrap() http.ResponseWriter }); ok && err == nil {
		err = http.NewResponseController(u.Unwrap()).Flush()
	}
	return err
}

// hijack is Hijack of a wrapped http.Hijacker.
func (rw *respWriter) hijack() (net.Conn, *bufio.ReadWriter, error) {
	rw.implicitHeader()
	return rw.w.(http.Hijacker).Hijack()
}

// readFrom keeps the wrapped writer's io.ReaderFrom (sendfile). It writes
// the header first through WriteHeader, because otelhttp's writer passes
// ReadFrom through without noting the implicit 200.
func (rw *respWriter) readFrom(src io.Reader) (int64, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	n, err := rw.w.(io.ReaderFrom).ReadFrom(src)
	rw.written += n
	return n, err
}

// push is Push of a wrapped http.Pusher.
func (rw *respWriter) push(target string, opts *http.PushOptions) error {
	return rw.w.(http.Pusher).Push(target, opts)
}

// closeNotify is CloseNotify of a wrapped http.CloseNotifier.
func (rw *respWriter) closeNotify() <-chan bool {
	return rw.w.(closeNotifier).CloseNotify()
}
