// Package utf8guard makes every string the SDK hands an exporter valid
// UTF-8, whoever wrote it (the library's wrappers, otelhttp, otelsql, the
// user's own spans and logs).
//
// OTLP carries strings as protobuf string fields, which must be valid UTF-8:
// one invalid byte in one attribute makes the exporter's marshalling fail
// and the whole batch (up to 512 spans of other requests) is lost;
// opentelemetry-go leaves this to the exporter's users (issues #2314, #3021).
// [Spans], [Metrics] and [Logs] wrap an exporter of each signal and check
// every string that reaches the wire: span names, attribute keys and values
// (strings, string slices, and the strings inside slice and map values) of
// spans, events, links, metric data points, exemplars and log records, log
// bodies (nested values included), event names, severity texts, metric
// names, descriptions and units, status descriptions, instrumentation scopes
// (name, version, schema URL, attributes) and resources (attributes, schema
// URL). Byte-slice values are bytes on the wire and left alone.
//
// # The rule
//
// [String] decides what a string becomes:
//
//   - valid UTF-8 is returned as is (the same string, no copy);
//   - a string that ends in the first bytes of a multi-byte character
//     (what a cut by a byte count leaves, for instance a length limit)
//     loses them, so that a cut value ends on a character boundary;
//   - every other run of invalid bytes becomes one U+FFFD, as
//     strings.ToValidUTF8 does ("bad\xff\xfeagent" reads "bad\uFFFDagent").
//
// The SDK's own attribute-length limits count characters (v1.47 does), so
// they no longer cut inside a character; the second rule covers any code
// that cuts by bytes.
//
// # Cost
//
// When every string is valid the wrappers pass the batch through untouched
// and allocate nothing: a span is checked in place (its attributes, events
// and links are read without copying) and a resource once per resource
// value. The one exception is a string-slice, slice or map attribute value,
// which the attribute API only hands out as a copy (the exporter copies it
// again to marshal it). Only a span, record or metric that needs fixing is
// copied; the caller's data is never modified.
package utf8guard

import (
	"github.com/otelkit/otelkit/internal/validutf8"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
)

// String returns s as valid UTF-8 by the package's rule: unchanged when
// valid, a trailing incomplete character dropped, every other run of invalid
// bytes replaced by one U+FFFD. It is validutf8.String, which code that must
// not link the SDK (the wrappers) calls directly.
func String(s string) string { return validutf8.String(s) }

func validString(s string) bool { return validutf8.Valid(s) }

// ValidValue reports whether every string in v (including, recursively,
// the elements of slice and map values and the keys of map values) is valid
// UTF-8.
func ValidValue(v attribute.Value) bool {
	switch v.Type() {
	case attribute.STRING:
		return validString(v.AsString())
	case attribute.STRINGSLICE:
		for _, s := range v.AsStringSlice() {
			if !validString(s) {
				return false
			}
		}
	case attribute.SLICE:
		for _, e := range v.AsSlice() {
			if !ValidValue(e) {
				return false
			}
		}
	case attribute.MAP:
		return ValidKeyValues(v.AsMap())
	}
	return true
}

// Value returns v with every string made valid by [String], and whether it
// changed. A valid v is returned as is.
func Value(v attribute.Value) (attribute.Value, bool) {
	if ValidValue(v) {
		return v, false
	}
	switch v.Type() {
	case attribute.STRING:
		return attribute.StringValue(validutf8.String(v.AsString())), true
	case attribute.STRINGSLICE:
		ss := v.AsStringSlice() // a copy
		for i, s := range ss {
			ss[i] = String(s)
		}
		return attribute.StringSliceValue(ss), true
	case attribute.SLICE:
		vs := v.AsSlice() // a copy
		for i, e := range vs {
			vs[i], _ = Value(e)
		}
		return attribute.SliceValue(vs...), true
	case attribute.MAP:
		kvs, _ := KeyValues(v.AsMap())
		return attribute.MapValue(kvs...), true
	}
	return v, false
}

// ValidKeyValue reports whether kv's key and every string of its value are
// valid UTF-8.
func ValidKeyValue(kv attribute.KeyValue) bool {
	return validString(string(kv.Key)) && ValidValue(kv.Value)
}

// ValidKeyValues reports whether [ValidKeyValue] holds for each of kvs.
// It is the guard's hot loop: it reads the attributes in place, ORs the
// bytes of every key and string value into one word (validutf8.Bits) and
// tests it once; only when some byte is not ASCII does it check each
// string as UTF-8.
func ValidKeyValues(kvs []attribute.KeyValue) bool {
	var bits uint64
	for i := range kvs {
		kv := &kvs[i]
		bits |= validutf8.Bits(string(kv.Key))
		switch kv.Value.Type() {
		case attribute.STRING:
			bits |= validutf8.Bits(kv.Value.AsString())
		case attribute.BOOL, attribute.INT64, attribute.FLOAT64:
		default:
			if !ValidValue(kv.Value) {
				return false
			}
		}
	}
	return validutf8.ASCII(bits) || validKeyValuesUTF8(kvs)
}

// validKeyValuesUTF8 is ValidKeyValues for attributes that are not all
// ASCII: each string checked as UTF-8.
func validKeyValuesUTF8(kvs []attribute.KeyValue) bool {
	for i := range kvs {
		kv := &kvs[i]
		if !validString(string(kv.Key)) {
			return false
		}
		switch kv.Value.Type() {
		case attribute.STRING:
			if !validString(kv.Value.AsString()) {
				return false
			}
		case attribute.BOOL, attribute.INT64, attribute.FLOAT64:
		default:
			if !ValidValue(kv.Value) {
				return false
			}
		}
	}
	return true
}

// KeyValue returns kv with its key and value made valid, and whether it
// changed.
func KeyValue(kv attribute.KeyValue) (attribute.KeyValue, bool) {
	if ValidKeyValue(kv) {
		return kv, false
	}
	kv.Key = attribute.Key(String(string(kv.Key)))
	kv.Value, _ = Value(kv.Value)
	return kv, true
}

// KeyValues returns kvs with every key and value made valid, and whether
// any changed. When none did, kvs itself is returned; otherwise a new slice
// (kvs is never modified).
func KeyValues(kvs []attribute.KeyValue) ([]attribute.KeyValue, bool) {
	if ValidKeyValues(kvs) {
		return kvs, false
	}
	out := make([]attribute.KeyValue, len(kvs))
	for i, kv := range kvs {
		out[i], _ = KeyValue(kv)
	}
	return out, true
}

// ValidSet reports whether every attribute of s is valid.
func ValidSet(s *attribute.Set) bool {
	for it := s.Iter(); it.Next(); {
		if !ValidKeyValue(it.Attribute()) {
			return false
		}
	}
	return true
}

// Set returns s with every attribute made valid, and whether it changed.
// Two keys that differ only in invalid bytes can become one (the last
// wins, as attribute.NewSet decides).
func Set(s attribute.Set) (attribute.Set, bool) {
	if ValidSet(&s) {
		return s, false
	}
	kvs, _ := KeyValues(s.ToSlice())
	return attribute.NewSet(kvs...), true
}

// ValidScope reports whether every string of sc is valid.
func ValidScope(sc *instrumentation.Scope) bool {
	return validString(sc.Name) && validString(sc.Version) &&
		validString(sc.SchemaURL) && ValidSet(&sc.Attributes)
}

// Scope returns sc with every string made valid, and whether it changed.
func Scope(sc instrumentation.Scope) (instrumentation.Scope, bool) {
	if ValidScope(&sc) {
		return sc, false
	}
	sc.Name, sc.Version, sc.SchemaURL = String(sc.Name), String(sc.Version), String(sc.SchemaURL)
	sc.Attributes, _ = Set(sc.Attributes)
	return sc, true
}

// ValidResource reports whether every string of r is valid; a nil r is.
func ValidResource(r *resource.Resource) bool {
	if r == nil {
		return true
	}
	if !validString(r.SchemaURL()) {
		return false
	}
	for it := r.Iter(); it.Next(); {
		if !ValidKeyValue(it.Attribute()) {
			return false
		}
	}
	return true
}

// Resource returns r with every string made valid, and whether it changed.
// r itself is never modified.
func Resource(r *resource.Resource) (*resource.Resource, bool) {
	if ValidResource(r) {
		return r, false
	}
	kvs, _ := KeyValues(r.Attributes())
	return resource.NewWithAttributes(String(r.SchemaURL()), kvs...), true
}
