package logcorr

import (
	"encoding"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file renders attributes the way slog.TextHandler does (key=value,
// strings quoted when they hold spaces, '=', '"' or unprintable runes, groups
// flattened with dots), so that the tail of a logcorr line reads like the
// standard library's.

// appendAttr appends " key=value" for a (prefix is the dotted group prefix,
// e.g. "req."). Empty attributes and empty groups are skipped.
func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Key == "" && a.Value.Kind() == slog.KindAny && a.Value.Any() == nil {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		attrs := a.Value.Group()
		if len(attrs) == 0 {
			return b
		}
		p := prefix
		if a.Key != "" {
			p = prefix + a.Key + "."
		}
		for _, ga := range attrs {
			b = appendAttr(b, p, ga)
		}
		return b
	}
	b = append(b, ' ')
	b = appendKey(b, prefix, a.Key)
	b = append(b, '=')
	return appendValue(b, a.Value)
}

func appendKey(b []byte, prefix, key string) []byte {
	if prefix == "" {
		return appendString(b, key)
	}
	if needsQuoting(prefix) || needsQuoting(key) {
		return strconv.AppendQuote(b, prefix+key)
	}
	b = append(b, prefix...)
	return append(b, key...)
}

func appendString(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return append(b, v.Duration().String()...)
	case slog.KindTime:
		return appendRFC3339Millis(b, v.Time())
	default:
		x := v.Any()
		if tm, ok := x.(encoding.TextMarshaler); ok {
			data, err := tm.MarshalText()
			if err != nil {
				return appendString(b, "!ERROR:"+err.Error())
			}
			return appendString(b, string(data))
		}
		if bs, ok := byteSlice(x); ok {
			return strconv.AppendQuote(b, string(bs))
		}
		return appendString(b, fmt.Sprintf("%+v", x))
	}
}

// appendRFC3339Millis is slog's time layout for attribute values.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}

func byteSlice(a any) ([]byte, bool) {
	if bs, ok := a.([]byte); ok {
		return bs, true
	}
	t := reflect.TypeOf(a)
	if t != nil && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return reflect.ValueOf(a).Bytes(), true
	}
	return nil, false
}

// needsQuoting is slog.TextHandler's rule.
func needsQuoting(s string) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b == ' ' || b == '=' || b == '"' || b < 0x20 || b == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
