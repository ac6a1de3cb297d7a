package logcorr

import (
	"encoding/hex"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// FuzzHexIDs: hexTraceID and hexSpanID write what encoding/hex writes, for
// any id (the seeds cover every nibble value at both ends and all-zero and
// all-ones ids).
func FuzzHexIDs(f *testing.F) {
	f.Add(make([]byte, 24))
	ff := make([]byte, 24)
	for i := range ff {
		ff[i] = 0xff
	}
	f.Add(ff)
	seq := make([]byte, 24)
	for i := range seq {
		seq[i] = byte(i*0x11 + i/16)
	}
	f.Add(seq)
	f.Fuzz(func(t *testing.T, b []byte) {
		var tid trace.TraceID
		var sid trace.SpanID
		n := copy(tid[:], b)
		copy(sid[:], b[n:])
		var tb [32]byte
		var sb [16]byte
		hexTraceID(&tb, tid)
		hexSpanID(&sb, sid)
		if got, want := string(tb[:]), hex.EncodeToString(tid[:]); got != want {
			t.Errorf("trace id %x: %s, want %s", tid[:], got, want)
		}
		if got, want := string(sb[:]), hex.EncodeToString(sid[:]); got != want {
			t.Errorf("span id %x: %s, want %s", sid[:], got, want)
		}
	})
}
