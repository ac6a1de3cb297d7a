package spanmetrics

import (
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"
)

// ExemplarFilter decides which spans may leave an exemplar (their trace and
// span id) on the duration histogram. The values are those of the
// OTEL_METRICS_EXEMPLAR_FILTER variable that the SDK's meter provider
// reads.
type ExemplarFilter uint8

const (
	// ExemplarsTraceBased lets sampled spans leave exemplars: the SDK's
	// default (trace_based).
	ExemplarsTraceBased ExemplarFilter = iota
	// ExemplarsAlwaysOn lets every span leave exemplars (always_on).
	ExemplarsAlwaysOn
	// ExemplarsAlwaysOff records none (always_off).
	ExemplarsAlwaysOff
)

// exemplarFilterEnv is the variable the SDK's meter provider reads.
const exemplarFilterEnv = "OTEL_METRICS_EXEMPLAR_FILTER"

// ExemplarFilterFromEnv returns the filter OTEL_METRICS_EXEMPLAR_FILTER
// selects, read as the SDK's meter provider reads it (case-insensitive,
// trimmed): always_on, always_off, or trace_based, which is also the
// answer for an unset or unrecognized value, as it is the SDK's default.
func ExemplarFilterFromEnv() ExemplarFilter {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(exemplarFilterEnv))) {
	case "always_on":
		return ExemplarsAlwaysOn
	case "always_off":
		return ExemplarsAlwaysOff
	}
	return ExemplarsTraceBased
}

// allows reports whether a span of context sc may leave an exemplar.
func (f ExemplarFilter) allows(sc trace.SpanContext) bool {
	switch f {
	case ExemplarsAlwaysOn:
		return sc.IsValid()
	case ExemplarsTraceBased:
		return sc.IsSampled() && sc.IsValid()
	}
	return false
}

// exemplarEvery is how long a bucket's exemplar is kept before a later span
// of that bucket replaces it. Replacing it on every span would make every
// span end write the bucket's shared cache line (and read the span
// context, a copy of the SDK's whole span snapshot); with this, a span end
// whose bucket has a recent exemplar pays one atomic load, and each bucket
// still shows a span at most this old relative to its latest one.
const exemplarEvery = time.Second

// exSlot is the exemplar of one bucket of one attribute set, written under
// a sequence lock with atomic operations only: seq is odd while a writer
// fills the fields; a writer that finds it odd, or loses the race to make
// it odd, gives up (an exemplar is a sample; dropping one is harmless).
type exSlot struct {
	end     atomic.Int64 // span end, Unix ns; 0: empty
	seq     atomic.Uint64
	traceHi atomic.Uint64
	traceLo atomic.Uint64
	spanID  atomic.Uint64
	dur     atomic.Int64 // ns
}

// due reports whether a span ended at end (Unix ns) should replace the
// slot's exemplar.
func (s *exSlot) due(end int64) bool {
	return end-s.end.Load() >= int64(exemplarEvery)
}

// store writes the exemplar of a span, unless another writer holds the slot.
func (s *exSlot) store(sc trace.SpanContext, end, dur int64) {
	q := s.seq.Load()
	if q&1 != 0 || !s.seq.CompareAndSwap(q, q+1) {
		return
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	s.traceHi.Store(binary.BigEndian.Uint64(tid[:8]))
	s.traceLo.Store(binary.BigEndian.Uint64(tid[8:]))
	s.spanID.Store(binary.BigEndian.Uint64(sid[:]))
	s.dur.Store(dur)
	s.end.Store(end)
	s.seq.Store(q + 2)
}

// load reads the slot's exemplar; ok is false when it is empty or being
// written.
func (s *exSlot) load() (e metricdata.Exemplar[float64], ok bool) {
	for range 4 {
		q := s.seq.Load()
		if q&1 != 0 {
			continue
		}
		end := s.end.Load()
		hi, lo, sp, dur := s.traceHi.Load(), s.traceLo.Load(), s.spanID.Load(), s.dur.Load()
		if s.seq.Load() != q {
			continue
		}
		if end == 0 {
			return e, false
		}
		b := make([]byte, 24)
		binary.BigEndian.PutUint64(b[0:], hi)
		binary.BigEndian.PutUint64(b[8:], lo)
		binary.BigEndian.PutUint64(b[16:], sp)
		e.TraceID, e.SpanID = b[:16:16], b[16:]
		e.Value = nanosToMillis(dur)
		e.Time = time.Unix(0, end)
		return e, true
	}
	return e, false
}

// String returns the filter's name in OTEL_METRICS_EXEMPLAR_FILTER.
func (f ExemplarFilter) String() string {
	switch f {
	case ExemplarsTraceBased:
		return "trace_based"
	case ExemplarsAlwaysOn:
		return "always_on"
	case ExemplarsAlwaysOff:
		return "always_off"
	}
	return "ExemplarFilter(" + strconv.Itoa(int(f)) + ")"
}
