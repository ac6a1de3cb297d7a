package kafkax

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/errtype"
	"github.com/otelkit/otelkit/internal/instrumentation"
	"github.com/otelkit/otelkit/internal/semconv"
)

// ScopeName is the instrumentation scope of kafkax's tracer and meter.
const ScopeName = "github.com/otelkit/otelkit/kafkax"

// Span names of the telemetry spec, used unless OTEL_SEMCONV_STABILITY_OPT_IN
// selects the stable messaging conventions ("send <topic>", "receive
// <topic>").
const (
	ProduceSpanName = "kafka.produce"
	ConsumeSpanName = "kafka.consume"
)

const system = "kafka"

// durationBuckets are the explicit bucket boundaries (seconds) that the
// stable conventions advise for messaging.client.operation.duration.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

var (
	_ kgo.HookNewClient               = (*hooks)(nil)
	_ kgo.HookClientClosed            = (*hooks)(nil)
	_ kgo.HookProduceRecordBuffered   = (*hooks)(nil)
	_ kgo.HookProduceRecordUnbuffered = (*hooks)(nil)
)

// Opts returns the franz-go options that instrument one client: append them
// to the client's own options. Produced records get a PRODUCER span and carry
// its context in their headers. Records polled with the client's own
// PollFetches or PollRecords get a CONSUMER span each (or one per topic and
// poll with WithBatchSpans(true)), a child of the producer's span; polled
// with kafkax's PollFetches or PollRecords, which know the caller's context,
// they get theirs from those instead, never both (see the package
// documentation).
//
// The returned options hold per-client state (client id, consumer group):
// call Opts once for each client.
func Opts(opts ...Option) []kgo.Opt {
	if !instrumentation.Enabled(instrumentation.Kafka) {
		return nil // switched off: no hooks
	}
	return []kgo.Opt{kgo.WithHooks(newHooks(newConfig(opts)))}
}

// NewClient is kgo.NewClient with Opts appended to opts, configured from the
// OpenTelemetry globals.
func NewClient(opts ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append(slices.Clip(opts), Opts()...)...)
}

// hooks is the instrumentation of one client. It implements the kgo hooks
// and holds everything that can be built once.
type hooks struct {
	cfg      config
	tracer   trace.Tracer
	sent     metric.Int64ObservableCounter
	consumed metric.Int64Counter
	duration metric.Float64Histogram
	reg      metric.Registration

	// Sent records are counted with atomics (topicInfo.sentOK) and the
	// failures in sentErr, and observed at collection: a synchronous
	// counter would cost as much per record as the tracer's sampling.
	errMu   sync.Mutex
	sentErr map[attribute.Set]int64

	client atomic.Pointer[clientInfo] // set by OnNewClient
	topics sync.Map                   // topic -> *topicInfo
	last   atomic.Pointer[topicInfo]  // the topic last looked up

	produceStart []trace.SpanStartOption
	// epoch is the origin of produceState.start: time.Since reads only
	// the monotonic clock, cheaper than time.Now, and the state keeps a
	// number instead of a time.Time and its location pointer.
	epoch time.Time
	// noopSpan is the API's no-op span, behind remoteSpan's methods.
	noopSpan trace.Span

	// The consume spans of the client's own polls (see pollhook.go).
	kafkaxPolls  atomic.Bool // kafkax's PollFetches or PollRecords polled the client
	lastPoll     atomic.Pointer[plainPoll]
	sharedPolled *polledRecord // the context of unsampled records without one
	batchMu      sync.Mutex
	batches      map[string]*openBatch // topic -> open batch span (WithBatchSpans)

	// std is set when the propagator is made of stdProps only (see
	// stdPropagators).
	std      bool
	stdTC    bool // TraceContext is one of stdProps
	stdProps []propagation.TextMapPropagator
}

// clientInfo holds what is read from the client once it exists.
type clientInfo struct {
	id    string
	group string
}

// topicInfo holds everything per topic that would otherwise be built per
// record: span names and metric attribute sets.
type topicInfo struct {
	name                     string
	produceName, consumeName string
	sentOK                   atomic.Int64
	sent                     []metric.ObserveOption
	consumed                 []metric.AddOption
	sendDur, receiveDur      []metric.RecordOption
}

func newHooks(cfg config) *hooks {
	h := &hooks{
		cfg:          cfg,
		sentErr:      map[attribute.Set]int64{},
		tracer:       cfg.tracerProvider.Tracer(ScopeName),
		produceStart: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer)},
		epoch:        time.Now(),
		noopSpan:     trace.SpanFromContext(context.Background()),
	}
	h.sharedPolled = &polledRecord{Context: context.Background(), h: h}
	h.stdProps, h.std = stdPropagators(cfg.propagator)
	for _, p := range h.stdProps {
		if _, ok := p.(propagation.TraceContext); ok {
			h.stdTC = true
		}
	}
	meter := cfg.meterProvider.Meter(ScopeName)
	var err error
	if h.sent, err = meter.Int64ObservableCounter(semconv.MetricMessagingSentMessages,
		metric.WithUnit("{message}"),
		metric.WithDescription("Number of messages the producer attempted to send to the broker.")); err != nil {
		otel.Handle(err)
	} else if h.reg, err = meter.RegisterCallback(h.observeSent, h.sent); err != nil {
		otel.Handle(err)
	}
	if h.consumed, err = meter.Int64Counter(semconv.MetricMessagingConsumedMessages,
		metric.WithUnit("{message}"),
		metric.WithDescription("Number of messages delivered to the application.")); err != nil {
		otel.Handle(err)
	}
	if h.duration, err = meter.Float64Histogram(semconv.MetricMessagingOperationDuration,
		metric.WithUnit("s"),
		metric.WithDescription("Duration of a send (until acknowledged) or of a poll."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		otel.Handle(err)
	}
	h.client.Store(&clientInfo{id: cfg.clientID, group: cfg.consumerGroup})
	return h
}

// OnNewClient reads the client id and consumer group from the client, unless
// options set them.
func (h *hooks) OnNewClient(cl *kgo.Client) {
	ci := &clientInfo{id: h.cfg.clientID, group: h.cfg.consumerGroup}
	if ci.id == "" {
		if v, ok := cl.OptValue(kgo.ClientID).(string); ok {
			ci.id = v
		}
	}
	if ci.group == "" {
		if v, ok := cl.OptValue(kgo.ConsumerGroup).(string); ok {
			ci.group = v
		}
	}
	h.client.Store(ci)
}

// OnClientClosed ends the open batch spans of the client's own polls and
// stops observing the client's sent-messages counter.
func (h *hooks) OnClientClosed(*kgo.Client) {
	h.endBatches()
	h.close()
}

func (h *hooks) close() {
	if h.reg != nil {
		if err := h.reg.Unregister(); err != nil {
			otel.Handle(err)
		}
	}
}

// observeSent reports messaging.client.sent.messages.
func (h *hooks) observeSent(_ context.Context, o metric.Observer) error {
	h.topics.Range(func(_, v any) bool {
		ti := v.(*topicInfo)
		if n := ti.sentOK.Load(); n > 0 {
			o.ObserveInt64(h.sent, n, ti.sent...)
		}
		return true
	})
	h.errMu.Lock()
	defer h.errMu.Unlock()
	for set, n := range h.sentErr {
		o.ObserveInt64(h.sent, n, metric.WithAttributeSet(set))
	}
	return nil
}

// topic returns the cached per-topic data, building it on first use.
func (h *hooks) topic(name string) *topicInfo {
	// Most clients use one topic: comparing its name is cheaper than the
	// map's hashing.
	if ti := h.last.Load(); ti != nil && ti.name == name {
		return ti
	}
	if v, ok := h.topics.Load(name); ok {
		ti := v.(*topicInfo)
		h.last.Store(ti)
		return ti
	}
	m := h.cfg.mode
	group := h.client.Load().group
	base := []attribute.KeyValue{
		semconv.MessagingSystemKey.String(system),
		semconv.MessagingDestinationNameKey.String(name),
	}
	send := attribute.NewSet(append(slices.Clip(base), semconv.MessagingOperationNameKey.String(semconv.MessagingSend.StableName()))...)
	recv := append(slices.Clip(base), semconv.MessagingOperationNameKey.String(semconv.MessagingReceive.StableName()))
	if group != "" {
		recv = append(recv, semconv.MessagingConsumerGroupNameKey.String(group))
	}
	recvSet := attribute.NewSet(recv...)
	ti := &topicInfo{
		name:        name,
		produceName: semconv.MessagingSpanName(m, ProduceSpanName, semconv.MessagingSend, name),
		consumeName: semconv.MessagingSpanName(m, ConsumeSpanName, semconv.MessagingReceive, name),
		sent:        []metric.ObserveOption{metric.WithAttributeSet(send)},
		consumed:    []metric.AddOption{metric.WithAttributeSet(recvSet)},
		sendDur:     []metric.RecordOption{metric.WithAttributeSet(send)},
		receiveDur:  []metric.RecordOption{metric.WithAttributeSet(recvSet)},
	}
	v, _ := h.topics.LoadOrStore(name, ti)
	ti = v.(*topicInfo)
	h.last.Store(ti)
	return ti
}

// attrPool holds the attribute slices of recorded spans: the span copies
// what SetAttributes is given, so the slice can serve the next one.
var attrPool = sync.Pool{New: func() any {
	s := make([]attribute.KeyValue, 0, 24)
	return &s
}}

// getAttrs returns an empty slice from attrPool, to give back with putAttrs.
func getAttrs() *[]attribute.KeyValue { return attrPool.Get().(*[]attribute.KeyValue) }

// putAttrs gives attrs (grown from *p) back to attrPool, without keeping
// its values alive.
func putAttrs(p *[]attribute.KeyValue, attrs []attribute.KeyValue) {
	clear(attrs)
	*p = attrs[:0]
	attrPool.Put(p)
}

// errorOpts returns the metric attributes of a failed operation: those of
// set plus error.type.
func errorOpts(set attribute.Set, err error) attribute.Set {
	kvs := append(set.ToSlice(), semconv.ErrorTypeKey.String(errorType(err)))
	return attribute.NewSet(kvs...)
}

// hooksOf returns the kafkax instrumentation installed on cl by Opts, or nil.
func hooksOf(cl *kgo.Client) *hooks {
	hs, _ := cl.OptValue(kgo.WithHooks).([]kgo.Hook)
	for _, hk := range hs {
		if h, ok := hk.(*hooks); ok {
			return h
		}
	}
	return nil
}

// messageKey returns the record key as text, or false when the key is absent
// or binary (not valid UTF-8, or holding control characters).
func messageKey(k []byte) (string, bool) {
	if len(k) == 0 {
		return "", false
	}
	ascii := true
	for _, b := range k {
		if b < 0x20 && b != '\t' || b == 0x7f {
			return "", false
		}
		if b >= utf8.RuneSelf {
			ascii = false
		}
	}
	// Most keys are ASCII, valid UTF-8 without utf8.Valid's second pass.
	if !ascii && !utf8.Valid(k) {
		return "", false
	}
	return string(k), true
}

// errorType is the low-cardinality error.type of err, by the one rule of
// internal/errtype: the Kafka error code name when the broker sent one,
// "timeout" for a deadline, "canceled", else the Go type.
func errorType(err error) string { return errtype.Of(err) }
