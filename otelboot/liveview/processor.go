package liveview

import (
	"context"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const (
	// pendingCap is the number of ended spans buffered (as records, in
	// one buffer) before they are
	// aggregated. OnEnd only appends to this buffer; a full buffer is
	// aggregated by a background goroutine (or by the next read of the
	// view, whichever comes first).
	pendingCap = 512
	// maxFullBatches bounds the full buffers waiting for aggregation; past
	// it, the span that fills a buffer aggregates the queue itself.
	maxFullBatches = 32
	// pendingBytes is the initial size of a buffer of pendingCap records
	// (it grows as needed); maxBatchBytes the largest buffer recycled.
	pendingBytes  = pendingCap * 64
	maxBatchBytes = pendingCap * 512
	// maxPendingBytes also fills a buffer, before pendingCap records when
	// they are large (ordinary spans never reach it): the queue holds at
	// most maxFullBatches of about this size (each record is at most
	// maxRecordBytes).
	maxPendingBytes = 1 << 20
	// maxFreeBatches bounds the recycled buffers.
	maxFreeBatches = 4
)

var (
	_ sdktrace.SpanProcessor = (*spanProcessor)(nil)
	_ sdklog.Processor       = (*logProcessor)(nil)
)

type spanProcessor struct{ v *View }

// OnStart does nothing: the view only looks at ended spans.
func (*spanProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd encodes a sampled span into a record (record.go) and queues it for
// aggregation; the view keeps no reference to the SDK's span. The span's
// getters run outside the queue's lock, the encoding under it.
func (p *spanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	if !sc.IsSampled() {
		return // not exported, so not shown either
	}
	v := p.v
	svc, has := v.serviceOf(s.Resource())
	var f spanFields
	f.setSpan(s, sc)
	v.enqueue(&f, svc, has)
}

// enqueue encodes f, of service svc, into the pending buffer.
func (v *View) enqueue(f *spanFields, svc string, hasService bool) {
	v.pmu.Lock()
	v.pending = appendFields(v.pending, f, svc, hasService)
	v.npending++
	if v.npending < pendingCap && len(v.pending) < maxPendingBytes {
		v.pmu.Unlock()
		return
	}
	v.enqueueFull() // unlocks pmu
}

// Shutdown aggregates what is queued. The view keeps serving what it holds.
func (p *spanProcessor) Shutdown(ctx context.Context) error { return p.ForceFlush(ctx) }

// ForceFlush aggregates what is queued.
func (p *spanProcessor) ForceFlush(context.Context) error {
	p.v.lockStore()
	p.v.store.mu.Unlock()
	return nil
}

type logProcessor struct{ v *View }

// Enabled reports true: the view keeps every record it is given.
func (*logProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// OnEmit copies what the page shows of r.
func (p *logProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	if r == nil {
		return nil
	}
	p.v.logs.push(newLogEntry(r))
	return nil
}

// Shutdown does nothing; the view keeps serving what it holds.
func (*logProcessor) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing: records are kept as they are emitted.
func (*logProcessor) ForceFlush(context.Context) error { return nil }
