package liveview

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// DefaultAddr is the address Start binds when given an empty one.
const DefaultAddr = "127.0.0.1:5001"

// ErrTokenRequired is returned by Start for a non-loopback address when
// Config.Token is empty.
var ErrTokenRequired = errors.New("liveview: a token is required to serve on a non-loopback address")

// View is the in-process store and dashboard. Its methods are safe for
// concurrent use.
type View struct {
	cfg Config
	now func() time.Time // injectable clock for tests

	sp *spanProcessor
	lp *logProcessor

	// pmu guards the queue of ended spans: pending fills up to pendingCap,
	// then moves to full, which one short-lived goroutine at a time
	// (aggregating) moves into the store. Reads drain both first.
	pmu         sync.Mutex
	pending     []byte // records (record.go) of npending spans
	npending    int
	full        [][]byte
	freeBatches chan []byte // recycled buffers, at most maxFreeBatches
	batchHint   int         // bytes of the last full buffer: a new one's size
	aggregating bool

	// lastService caches the service of the last resource OnEnd saw:
	// spans of one provider share it.
	lastService atomic.Pointer[resourceService]

	store  *store
	logs   *logRing
	fstate findingsState // findings.go

	handler http.Handler

	// listenIP is the IP address (a net.IP) Start listens on.
	listenIP atomic.Value

	srvMu sync.Mutex
	srv   *http.Server

	otlp otlpState // receivers of StartOTLP (otlp_receiver.go)
}

// New returns a View bounded by cfg.
func New(cfg Config) *View {
	cfg = cfg.withDefaults()
	v := &View{
		cfg:         cfg,
		now:         time.Now,
		pending:     make([]byte, 0, pendingBytes),
		freeBatches: make(chan []byte, maxFreeBatches),
		store:       newStore(cfg.MaxTraces, cfg.MaxBytes-cfg.MaxBytes/4, cfg.SlowThreshold),
		logs:        newLogRing(cfg.MaxLogs, cfg.MaxBytes/4),
	}
	v.sp = &spanProcessor{v: v}
	v.lp = &logProcessor{v: v}
	v.handler = v.newHandler()
	return v
}

// SpanProcessor returns the span processor that feeds the view. Register it
// on the tracer provider beside the exporters; it keeps sampled spans only.
func (v *View) SpanProcessor() sdktrace.SpanProcessor { return v.sp }

// LogProcessor returns the log processor that feeds the view.
func (v *View) LogProcessor() sdklog.Processor { return v.lp }

// Handler returns the dashboard page and its JSON API. It answers GET and
// HEAD only. When Config.Token is set every request needs it. When no token
// is set, it answers only requests whose Host is a loopback name
// (localhost, *.localhost), a loopback address or the address Start listens
// on, and 421 Misdirected Request to any other, so that a web page cannot
// read it through a DNS name it rebinds to 127.0.0.1. To mount the handler
// on a server reached by another name, set a token.
func (v *View) Handler() http.Handler { return v.handler }

// lockStore aggregates the queued spans and returns with v.store.mu held.
func (v *View) lockStore() {
	v.pmu.Lock()
	batches := v.full
	v.full = nil
	if len(v.pending) > 0 {
		batches = append(batches, v.pending)
		v.pending, v.npending = v.newBatch(), 0
	}
	v.ingestAndKeepLock(batches)
}

// ingestAndKeepLock is called with v.pmu held and batches taken off the
// queue. It takes the store lock before releasing v.pmu, so that batches
// are aggregated in the order they ended, aggregates them, recycles their
// buffers and returns with v.store.mu held.
func (v *View) ingestAndKeepLock(batches [][]byte) {
	v.store.mu.Lock()
	v.pmu.Unlock()
	for _, b := range batches {
		v.store.ingestRecs(b)
	}
	// The buffers go back without taking pmu (OnEnd takes pmu, then the
	// store lock), unless enough are spare.
	for _, b := range batches {
		if cap(b) > maxBatchBytes {
			continue
		}
		select {
		case v.freeBatches <- b[:0]:
		default:
		}
	}
}

// newBatch returns an empty record buffer; the caller holds v.pmu.
func (v *View) newBatch() []byte {
	select {
	case b := <-v.freeBatches:
		return b
	default:
		return make([]byte, 0, max(pendingBytes, min(v.batchHint+v.batchHint/8, maxBatchBytes)))
	}
}

// resourceService is a resource and its service (serviceOfResourceOK).
type resourceService struct {
	res  *resource.Resource
	name string
	has  bool
}

// serviceOf returns the service of r and whether r names one, from the
// cache when r is the last resource seen.
func (v *View) serviceOf(r *resource.Resource) (string, bool) {
	if c := v.lastService.Load(); c != nil && c.res == r {
		return c.name, c.has
	}
	name, has := serviceOfResourceOK(r)
	v.lastService.Store(&resourceService{res: r, name: name, has: has})
	return name, has
}

// enqueueFull is called with v.pmu held when pending is full; it releases
// v.pmu. It queues the buffer for the aggregating goroutine, starting one
// when none runs. When that goroutine is far behind, the caller aggregates
// the queue itself, so memory stays bounded and no span is dropped.
func (v *View) enqueueFull() {
	v.full = append(v.full, v.pending)
	v.batchHint = len(v.pending)
	v.pending, v.npending = v.newBatch(), 0
	switch {
	case len(v.full) > maxFullBatches:
		batches := v.full
		v.full = nil
		v.ingestAndKeepLock(batches)
		v.store.mu.Unlock()
	case !v.aggregating:
		v.aggregating = true
		v.pmu.Unlock()
		go v.aggregate()
	default:
		v.pmu.Unlock()
	}
}

// aggregate moves queued buffers into the store until the queue is empty,
// then returns.
func (v *View) aggregate() {
	for {
		v.pmu.Lock()
		if len(v.full) == 0 {
			v.aggregating = false
			v.pmu.Unlock()
			return
		}
		batches := v.full
		v.full = nil
		v.ingestAndKeepLock(batches)
		v.store.mu.Unlock()
	}
}

// Start serves the handler on addr in the background and returns the URL it
// listens on, such as "http://127.0.0.1:5001/". An empty addr means
// DefaultAddr and an empty host means 127.0.0.1. A non-loopback address
// requires Config.Token.
func (v *View) Start(addr string) (string, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("liveview: address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !isLoopback(host) && v.cfg.Token == "" {
		return "", fmt.Errorf("%w (%s; set a token, e.g. OTELKIT_VIEW_TOKEN)", ErrTokenRequired, addr)
	}

	v.srvMu.Lock()
	defer v.srvMu.Unlock()
	if v.srv != nil {
		return "", errors.New("liveview: already started")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return "", fmt.Errorf("liveview: listen: %w", err)
	}
	v.startFindingsLog()
	if ta, ok := ln.Addr().(*net.TCPAddr); ok {
		v.listenIP.Store(ta.IP)
	}
	srv := &http.Server{Handler: v.handler, ReadHeaderTimeout: 10 * time.Second}
	v.srv = srv
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/", nil
}

// Shutdown stops the server started by Start and the receivers started by
// StartOTLP, waiting for open requests within ctx. It returns nil when
// nothing was started. The view keeps its data and its processors keep
// working.
func (v *View) Shutdown(ctx context.Context) error {
	oerr := v.ShutdownOTLP(ctx)
	v.srvMu.Lock()
	srv := v.srv
	v.srv = nil
	v.srvMu.Unlock()
	v.stopFindingsLog()
	if srv == nil {
		return oerr
	}
	if err := srv.Shutdown(ctx); err != nil {
		return errors.Join(fmt.Errorf("liveview: shutdown: %w", err), oerr)
	}
	return oerr
}

// isLoopback reports whether host names this machine only. Other names
// count as reachable from elsewhere.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
