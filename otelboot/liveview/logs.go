package liveview

import (
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"
)

// logEntry is a copy of the parts of a log record the page shows.
type logEntry struct {
	time     time.Time
	severity int
	sevText  string
	body     string
	scope    string
	service  string
	traceID  trace.TraceID
	spanID   trace.SpanID
	attrs    []attribute.KeyValue
	bytes    int
}

func newLogEntry(r *sdklog.Record) logEntry {
	e := logEntry{
		time:     r.Timestamp(),
		severity: int(r.Severity()),
		sevText:  r.SeverityText(),
		scope:    r.InstrumentationScope().Name,
		service:  serviceOfResource(r.Resource()),
		traceID:  r.TraceID(),
		spanID:   r.SpanID(),
	}
	if e.time.IsZero() {
		e.time = r.ObservedTimestamp()
	}
	if b := r.Body(); b.Type() == attribute.STRING {
		e.body = b.AsString()
	} else if b.Type() != attribute.EMPTY {
		e.body = b.String()
	}
	if n := r.AttributesLen(); n > 0 {
		e.attrs = make([]attribute.KeyValue, 0, n)
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			e.attrs = append(e.attrs, kv)
			return true
		})
	}
	e.bytes = 200 + len(e.body) + len(e.sevText) + attrsBytes(e.attrs)
	return e
}

// logRing keeps the most recent log records within a count and a byte cap,
// dropping the oldest first.
type logRing struct {
	mu      sync.Mutex
	buf     []logEntry
	head, n int
	bytes   int
	budget  int
	dropped uint64
}

func newLogRing(max, budget int) *logRing {
	return &logRing{buf: make([]logEntry, max), budget: budget}
}

func (r *logRing) push(e logEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.n > 0 && (r.n == len(r.buf) || r.bytes+e.bytes > r.budget) {
		r.popFront()
	}
	if e.bytes > r.budget {
		r.dropped++
		return
	}
	r.buf[(r.head+r.n)%len(r.buf)] = e
	r.n++
	r.bytes += e.bytes
}

func (r *logRing) popFront() {
	r.bytes -= r.buf[r.head].bytes
	r.buf[r.head] = logEntry{}
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	r.dropped++
}

// each calls f for the kept records, oldest first, until f returns false.
func (r *logRing) each(f func(*logEntry) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i < r.n; i++ {
		if !f(&r.buf[(r.head+i)%len(r.buf)]) {
			return
		}
	}
}
