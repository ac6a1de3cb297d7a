package logcorr

import "go.opentelemetry.io/otel/trace"

const hexDigits = "0123456789abcdef"

// hexTraceID writes the 32 lowercase hex digits of id to dst. Written for
// fixed sizes, so that the compiler drops every bounds check: about a
// third of the instructions of encoding/hex's loop (callgrind), which
// counts on a record that is otherwise slog's own work.
func hexTraceID(dst *[32]byte, id trace.TraceID) {
	for i := range 16 {
		dst[2*i] = hexDigits[id[i]>>4]
		dst[2*i+1] = hexDigits[id[i]&0x0f]
	}
}

// hexSpanID writes the 16 lowercase hex digits of id to dst.
func hexSpanID(dst *[16]byte, id trace.SpanID) {
	for i := range 8 {
		dst[2*i] = hexDigits[id[i]>>4]
		dst[2*i+1] = hexDigits[id[i]&0x0f]
	}
}
