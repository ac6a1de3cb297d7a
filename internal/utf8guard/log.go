package utf8guard

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// Logs returns exp behind the guard: every record it exports has valid
// UTF-8 strings (body, nested values included, attributes, event name,
// severity text, scope, resource). The records passed are never modified:
// a record that needs fixing is cloned and fixed through its setters. The
// SDK's Record has no setter for its resource and scope; when one of them
// needs fixing the guard takes a record carrying the fixed pair from a
// private LoggerProvider (once per pair) and copies every field into it;
// the count of attributes dropped by limits is then lost. A nil exp gives
// nil.
func Logs(exp sdklog.Exporter) sdklog.Exporter {
	if exp == nil {
		return nil
	}
	return &logExporter{Exporter: exp}
}

type logExporter struct {
	sdklog.Exporter
	res resourceCache

	mu        sync.Mutex
	templates map[templateKey]sdklog.Record
}

type templateKey struct {
	res                      *resource.Resource
	name, version, schemaURL string
	attrs                    attribute.Distinct
}

// Export hands records on as they are when every string is valid, or else
// a copy of the slice with the records that need it fixed.
func (e *logExporter) Export(ctx context.Context, records []sdklog.Record) error {
	for i := range records {
		if e.validRecord(&records[i]) {
			continue
		}
		out := make([]sdklog.Record, len(records))
		copy(out, records[:i])
		for j := i; j < len(records); j++ {
			out[j] = e.record(&records[j])
		}
		return e.Exporter.Export(ctx, out)
	}
	return e.Exporter.Export(ctx, records)
}

func (e *logExporter) validRecord(r *sdklog.Record) bool {
	if !validString(r.EventName()) || !validString(r.SeverityText()) || !ValidValue(r.Body()) {
		return false
	}
	valid := true
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		valid = ValidKeyValue(kv)
		return valid
	})
	if !valid {
		return false
	}
	sc := r.InstrumentationScope()
	if !ValidScope(&sc) {
		return false
	}
	_, changed := e.res.get(r.Resource())
	return !changed
}

// record returns r, or a fixed copy of it.
func (e *logExporter) record(r *sdklog.Record) sdklog.Record {
	if e.validRecord(r) {
		return *r
	}
	var attrs []attribute.KeyValue
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		attrs = append(attrs, kv)
		return true
	})
	fixedAttrs, attrsChanged := KeyValues(attrs)
	res, resChanged := e.res.get(r.Resource())
	scope, scopeChanged := Scope(r.InstrumentationScope())

	var out sdklog.Record
	if resChanged || scopeChanged {
		out = e.template(res, scope)
		out.SetTimestamp(r.Timestamp())
		out.SetObservedTimestamp(r.ObservedTimestamp())
		out.SetSeverity(r.Severity())
		out.SetTraceID(r.TraceID())
		out.SetSpanID(r.SpanID())
		out.SetTraceFlags(r.TraceFlags())
		attrsChanged = true // the template has none
	} else {
		out = r.Clone()
	}
	out.SetEventName(String(r.EventName()))
	out.SetSeverityText(String(r.SeverityText()))
	if body, changed := Value(r.Body()); changed || resChanged || scopeChanged {
		out.SetBody(body)
	}
	if attrsChanged {
		out.SetAttributes(fixedAttrs...)
	}
	return out
}

// maxTemplates bounds the template cache; a program has a handful of
// resource and scope pairs, and a runaway one only costs a rebuild.
const maxTemplates = 64

// template returns an empty record whose resource is res and scope sc,
// made by a private LoggerProvider without limits.
func (e *logExporter) template(res *resource.Resource, sc instrumentation.Scope) sdklog.Record {
	key := templateKey{res, sc.Name, sc.Version, sc.SchemaURL, sc.Attributes.Equivalent()}
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.templates[key]; ok {
		return r.Clone()
	}
	c := &captureProcessor{}
	opts := []sdklog.LoggerProviderOption{
		sdklog.WithProcessor(c),
		sdklog.WithAttributeCountLimit(-1),
		sdklog.WithAttributeValueLengthLimit(-1),
	}
	if res != nil {
		opts = append(opts, sdklog.WithResource(res))
	}
	lp := sdklog.NewLoggerProvider(opts...)
	lp.Logger(sc.Name,
		log.WithInstrumentationVersion(sc.Version),
		log.WithSchemaURL(sc.SchemaURL),
		log.WithInstrumentationAttributeSet(sc.Attributes),
	).Emit(context.Background(), log.Record{})
	_ = lp.Shutdown(context.Background())
	if e.templates == nil || len(e.templates) >= maxTemplates {
		e.templates = make(map[templateKey]sdklog.Record)
	}
	e.templates[key] = c.rec
	return c.rec.Clone()
}

// captureProcessor keeps the one record emitted to it.
type captureProcessor struct{ rec sdklog.Record }

func (c *captureProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	c.rec = r.Clone()
	return nil
}

func (c *captureProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (c *captureProcessor) Shutdown(context.Context) error                         { return nil }
func (c *captureProcessor) ForceFlush(context.Context) error                       { return nil }
