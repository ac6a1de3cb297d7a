package liveview

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/otelkit/otelkit/internal/validutf8"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Bounds applied to what OTLP senders send, the SDK's default span limits
// and a cap on one value: whatever a sender puts in a request, a span costs
// the store a bounded amount before its byte budget applies.
const (
	otlpMaxAttrs     = 128
	otlpMaxEvents    = 128
	otlpMaxLinks     = 128
	otlpMaxValueLen  = 16 << 10 // longer strings are cut (at a rune boundary)
	otlpMaxNameLen   = 1 << 10
	otlpMaxArrayLen  = 128
	otlpMaxValueDeep = 4 // nesting of arrays and maps rendered as text
)

// otlpText returns s as valid UTF-8 of at most n bytes.
func otlpText(s string, n int) string {
	s = validutf8.String(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// otlpTime converts Unix nanoseconds; zero stays the zero time.
func otlpTime(ns uint64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(min(ns, math.MaxInt64)))
}

func otlpTraceID(b []byte) (trace.TraceID, bool) {
	var id trace.TraceID
	if len(b) != len(id) {
		return id, false
	}
	copy(id[:], b)
	return id, id.IsValid()
}

func otlpSpanID(b []byte) (trace.SpanID, bool) {
	var id trace.SpanID
	if len(b) != len(id) {
		return id, false
	}
	copy(id[:], b)
	return id, id.IsValid()
}

// otlpAttrs converts at most otlpMaxAttrs attributes and reports how many
// were left out.
func otlpAttrs(kvs []*commonpb.KeyValue) ([]attribute.KeyValue, int) {
	if len(kvs) == 0 {
		return nil, 0
	}
	out := make([]attribute.KeyValue, 0, min(len(kvs), otlpMaxAttrs))
	dropped := 0
	for _, kv := range kvs {
		if len(out) == otlpMaxAttrs || kv.GetKey() == "" {
			dropped++
			continue
		}
		out = append(out, attribute.KeyValue{
			Key:   attribute.Key(otlpText(kv.GetKey(), otlpMaxNameLen)),
			Value: otlpValue(kv.GetValue()),
		})
	}
	return out, dropped
}

// otlpValue converts an AnyValue: scalars and homogeneous arrays of
// scalars keep their type, anything else (bytes, maps, mixed arrays) is
// shown as text.
func otlpValue(v *commonpb.AnyValue) attribute.Value {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return attribute.StringValue(otlpText(x.StringValue, otlpMaxValueLen))
	case *commonpb.AnyValue_BoolValue:
		return attribute.BoolValue(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return attribute.Int64Value(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		return attribute.Float64Value(x.DoubleValue)
	case *commonpb.AnyValue_ArrayValue:
		if a, ok := otlpArray(x.ArrayValue.GetValues()); ok {
			return a
		}
	case nil:
		return attribute.StringValue("")
	}
	return attribute.StringValue(otlpValueText(v))
}

// otlpArray converts an array whose elements all have one scalar type.
func otlpArray(vs []*commonpb.AnyValue) (attribute.Value, bool) {
	if len(vs) == 0 || len(vs) > otlpMaxArrayLen {
		return attribute.Value{}, false
	}
	switch vs[0].GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		out := make([]string, len(vs))
		for i, e := range vs {
			s, ok := e.GetValue().(*commonpb.AnyValue_StringValue)
			if !ok {
				return attribute.Value{}, false
			}
			out[i] = otlpText(s.StringValue, otlpMaxValueLen/len(vs))
		}
		return attribute.StringSliceValue(out), true
	case *commonpb.AnyValue_BoolValue:
		out := make([]bool, len(vs))
		for i, e := range vs {
			b, ok := e.GetValue().(*commonpb.AnyValue_BoolValue)
			if !ok {
				return attribute.Value{}, false
			}
			out[i] = b.BoolValue
		}
		return attribute.BoolSliceValue(out), true
	case *commonpb.AnyValue_IntValue:
		out := make([]int64, len(vs))
		for i, e := range vs {
			n, ok := e.GetValue().(*commonpb.AnyValue_IntValue)
			if !ok {
				return attribute.Value{}, false
			}
			out[i] = n.IntValue
		}
		return attribute.Int64SliceValue(out), true
	case *commonpb.AnyValue_DoubleValue:
		out := make([]float64, len(vs))
		for i, e := range vs {
			f, ok := e.GetValue().(*commonpb.AnyValue_DoubleValue)
			if !ok {
				return attribute.Value{}, false
			}
			out[i] = f.DoubleValue
		}
		return attribute.Float64SliceValue(out), true
	}
	return attribute.Value{}, false
}

// otlpValueText renders any AnyValue as bounded text.
func otlpValueText(v *commonpb.AnyValue) string {
	var b strings.Builder
	writeAnyValue(&b, v, 0)
	return otlpText(b.String(), otlpMaxValueLen)
}

func writeAnyValue(b *strings.Builder, v *commonpb.AnyValue, depth int) {
	if b.Len() > otlpMaxValueLen {
		return
	}
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		b.WriteString(otlpText(x.StringValue, otlpMaxValueLen))
	case *commonpb.AnyValue_BoolValue:
		b.WriteString(strconv.FormatBool(x.BoolValue))
	case *commonpb.AnyValue_IntValue:
		b.WriteString(strconv.FormatInt(x.IntValue, 10))
	case *commonpb.AnyValue_DoubleValue:
		b.WriteString(strconv.FormatFloat(x.DoubleValue, 'g', -1, 64))
	case *commonpb.AnyValue_BytesValue:
		n := min(len(x.BytesValue), otlpMaxValueLen/2)
		b.WriteString(hex.EncodeToString(x.BytesValue[:n]))
	case *commonpb.AnyValue_ArrayValue:
		if depth >= otlpMaxValueDeep {
			b.WriteString("[…]")
			return
		}
		b.WriteByte('[')
		for i, e := range x.ArrayValue.GetValues() {
			if i > 0 {
				b.WriteByte(',')
			}
			if b.Len() > otlpMaxValueLen {
				break
			}
			writeAnyValue(b, e, depth+1)
		}
		b.WriteByte(']')
	case *commonpb.AnyValue_KvlistValue:
		if depth >= otlpMaxValueDeep {
			b.WriteString("{…}")
			return
		}
		b.WriteByte('{')
		for i, kv := range x.KvlistValue.GetValues() {
			if i > 0 {
				b.WriteByte(',')
			}
			if b.Len() > otlpMaxValueLen {
				break
			}
			b.WriteString(otlpText(kv.GetKey(), otlpMaxNameLen))
			b.WriteByte('=')
			writeAnyValue(b, kv.GetValue(), depth+1)
		}
		b.WriteByte('}')
	}
}

// otlpService returns the service a resource names, as serviceOfResourceOK
// would of the resource built from attrs: the last service.name wins.
func otlpService(attrs []attribute.KeyValue) (string, bool) {
	var v attribute.Value
	for _, kv := range attrs {
		if kv.Key == serviceNameKey {
			v = kv.Value
		}
	}
	if s := v.AsString(); s != "" {
		return s, true
	}
	return noService, false
}

// Span flags of OTLP (trace.proto): whether the parent is known to be
// remote, and whether it is.
const (
	otlpFlagHasIsRemote = 0x100
	otlpFlagIsRemote    = 0x200
)

// otlpSpans converts the spans of a request straight into the fields of
// records (record.go), queues each on v, and returns how many were
// rejected (no valid trace or span id).
func otlpSpans(rss []*tracepb.ResourceSpans, v *View) (rejected int64) {
	for _, rs := range rss {
		attrs, _ := otlpAttrs(rs.GetResource().GetAttributes())
		svc, has := otlpService(attrs)
		for _, ss := range rs.GetScopeSpans() {
			scope := otlpText(ss.GetScope().GetName(), otlpMaxNameLen)
			for _, sp := range ss.GetSpans() {
				f, ok := otlpSpan(sp)
				if !ok {
					rejected++
					continue
				}
				f.scope = scope
				v.enqueue(&f, svc, has)
			}
		}
	}
	return rejected
}

func otlpSpan(sp *tracepb.Span) (spanFields, bool) {
	tid, ok1 := otlpTraceID(sp.GetTraceId())
	sid, ok2 := otlpSpanID(sp.GetSpanId())
	if !ok1 || !ok2 {
		return spanFields{}, false
	}
	f := spanFields{
		name: otlpText(sp.GetName(), otlpMaxNameLen),
		tid:  tid, sid: sid,
		kind:  trace.SpanKind(min(max(sp.GetKind(), 0), tracepb.Span_SPAN_KIND_CONSUMER)),
		start: otlpTime(sp.GetStartTimeUnixNano()),
		end:   otlpTime(sp.GetEndTimeUnixNano()),
	}
	if f.end.Before(f.start) {
		f.end = f.start
	}
	if pid, ok := otlpSpanID(sp.GetParentSpanId()); ok {
		f.setParent(trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: tid, SpanID: pid, TraceFlags: trace.FlagsSampled,
			Remote: sp.GetFlags()&(otlpFlagHasIsRemote|otlpFlagIsRemote) == otlpFlagHasIsRemote|otlpFlagIsRemote,
		}))
	}
	f.attrs, _ = otlpAttrs(sp.GetAttributes())
	for i, e := range sp.GetEvents() {
		if i == otlpMaxEvents {
			break
		}
		attrs, _ := otlpAttrs(e.GetAttributes())
		f.events = append(f.events, sdktrace.Event{
			Name: otlpText(e.GetName(), otlpMaxNameLen), Time: otlpTime(e.GetTimeUnixNano()),
			Attributes: attrs,
		})
	}
	for i, l := range sp.GetLinks() {
		if i == otlpMaxLinks {
			break
		}
		attrs, _ := otlpAttrs(l.GetAttributes())
		f.links = append(f.links, sdktrace.Link{Attributes: attrs})
	}
	switch sp.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_ERROR:
		f.code, f.desc = codes.Error, otlpText(sp.GetStatus().GetMessage(), otlpMaxValueLen)
	case tracepb.Status_STATUS_CODE_OK:
		f.code = codes.Ok
	}
	return f, true
}

// otlpLogs converts the log records of a request, calling emit for each.
func otlpLogs(rls []*logspb.ResourceLogs, emit func(logEntry)) {
	for _, rl := range rls {
		attrs, _ := otlpAttrs(rl.GetResource().GetAttributes())
		service := noService
		for _, kv := range attrs {
			if kv.Key == serviceNameKey && kv.Value.Type() == attribute.STRING && kv.Value.AsString() != "" {
				service = kv.Value.AsString()
			}
		}
		for _, sl := range rl.GetScopeLogs() {
			scope := otlpText(sl.GetScope().GetName(), otlpMaxNameLen)
			for _, lr := range sl.GetLogRecords() {
				e := logEntry{
					time:     otlpTime(lr.GetTimeUnixNano()),
					severity: int(min(max(lr.GetSeverityNumber(), 0), logspb.SeverityNumber_SEVERITY_NUMBER_FATAL4)),
					sevText:  otlpText(lr.GetSeverityText(), otlpMaxNameLen),
					scope:    scope,
					service:  service,
				}
				if e.time.IsZero() {
					e.time = otlpTime(lr.GetObservedTimeUnixNano())
				}
				e.traceID, _ = otlpTraceID(lr.GetTraceId())
				e.spanID, _ = otlpSpanID(lr.GetSpanId())
				if b := lr.GetBody(); b.GetValue() != nil {
					if s, ok := b.GetValue().(*commonpb.AnyValue_StringValue); ok {
						e.body = otlpText(s.StringValue, otlpMaxValueLen)
					} else {
						e.body = otlpValueText(b)
					}
				}
				e.attrs, _ = otlpAttrs(lr.GetAttributes())
				e.bytes = 200 + len(e.body) + len(e.sevText) + attrsBytes(e.attrs)
				emit(e)
			}
		}
	}
}
