package utf8guard

import (
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
)

func TestString(t *testing.T) {
	const r = "\uFFFD"
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"héllo wörld ✓ 𝄞", "héllo wörld ✓ 𝄞"},
		{"\uFFFD kept", "\uFFFD kept"}, // a valid U+FFFD stays
		{"bad\xff\xfeagent", "bad" + r + "agent"},
		{"\xff", r},
		{"\xffa\xfe", r + "a" + r},
		{"\xc0\xaf", r},            // overlong '/'
		{"\xed\xa0\x80x", r + "x"}, // surrogate
		{"\xf4\x90\x80\x80", r},    // above U+10FFFF
		{"\xf5", r},
		// A character cut at the end is dropped (what a byte-count cut leaves).
		{"ab\xc3", "ab"},
		{"ab\xe2", "ab"},
		{"ab\xe2\x82", "ab"},
		{"ab\xf0", "ab"},
		{"ab\xf0\x9d", "ab"},
		{"ab\xf0\x9d\x84", "ab"},
		{"\xf0\x9d\x84", ""},
		// The same bytes not at the end are invalid runs.
		{"ab\xe2\x82c", "ab" + r + "c"},
		{"ab\xf0\x9d\x84c", "ab" + r + "c"},
		// An end that cannot begin a character is replaced, not dropped.
		{"ab\xe0\x80", "ab" + r},     // E0 needs A0..BF next
		{"ab\xed\xa0", "ab" + r},     // would be a surrogate
		{"ab\xf0\x80", "ab" + r},     // F0 needs 90..BF next
		{"ab\xf4\x90", "ab" + r},     // above U+10FFFF
		{"ab\xc1", "ab" + r},         // C0, C1 begin nothing
		{"ab\x80", "ab" + r},         // a lone continuation byte
		{"ab\xff\xe2\x82", "ab" + r}, // invalid, then a cut character
		{"ab\xe0\xa0", "ab"},         // the smallest valid prefixes
		{"ab\xed\x9f", "ab"},
		{"ab\xf0\x90", "ab"},
		{"ab\xf4\x8f\xbf", "ab"},
	} {
		got := String(tc.in)
		if got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("String(%q) = %q is not valid", tc.in, got)
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "ok", "bad\xff\xfeagent", "ab\xe2\x82", "𝄞", "\xf0\x9d\x84"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := String(in)
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q: invalid", in, out)
		}
		if utf8.ValidString(in) && out != in {
			t.Fatalf("String(%q) = %q: a valid string changed", in, out)
		}
		if String(out) != out {
			t.Fatalf("String(%q) = %q: not idempotent", in, out)
		}
		// The valid prefix survives, and a marker after it too.
		const marker = "\x00MARK\x00"
		in2 := in + marker
		out2 := String(in2)
		if !strings.HasSuffix(out2, marker) {
			t.Fatalf("String(%q) = %q: lost the valid tail", in2, out2)
		}
		if n := validPrefixLen(in); !strings.HasPrefix(out, in[:n]) {
			t.Fatalf("String(%q) = %q: lost the valid prefix %q", in, out, in[:n])
		}
		// Every value shape gets the same treatment.
		v, _ := Value(attribute.MapValue(attribute.String(in, in),
			attribute.Slice("s", attribute.StringSliceValue([]string{in, "x"}), attribute.StringValue(in))))
		if !ValidValue(v) {
			t.Fatalf("Value of %q left invalid strings: %v", in, v.String())
		}
	})
}

func validPrefixLen(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

func TestValueShapes(t *testing.T) {
	bad := "x\xffy"
	good := "x\uFFFDy"
	for _, tc := range []struct {
		name string
		in   attribute.Value
		want attribute.Value
	}{
		{"string", attribute.StringValue(bad), attribute.StringValue(good)},
		{"string slice", attribute.StringSliceValue([]string{"ok", bad}), attribute.StringSliceValue([]string{"ok", good})},
		{"slice", attribute.SliceValue(attribute.IntValue(1), attribute.StringValue(bad)), attribute.SliceValue(attribute.IntValue(1), attribute.StringValue(good))},
		{"map key", attribute.MapValue(attribute.Int(bad, 1)), attribute.MapValue(attribute.Int(good, 1))},
		{"map value", attribute.MapValue(attribute.String("k", bad)), attribute.MapValue(attribute.String("k", good))},
		{"nested", attribute.MapValue(attribute.Map("m", attribute.Slice("s", attribute.StringValue(bad)))),
			attribute.MapValue(attribute.Map("m", attribute.Slice("s", attribute.StringValue(good))))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := Value(tc.in)
			if !changed || got.String() != tc.want.String() || got.Type() != tc.want.Type() {
				t.Errorf("Value = %v (%v), %v; want %v", got.String(), got.Type(), changed, tc.want.String())
			}
			if same, changed := Value(tc.want); changed || same.String() != tc.want.String() {
				t.Errorf("a valid value changed")
			}
		})
	}
	// Byte slices are bytes on the wire: left alone.
	bs := attribute.ByteSliceValue([]byte{0xff})
	if got, changed := Value(bs); changed || string(got.AsByteSlice()) != "\xff" {
		t.Errorf("byte slice changed: %v", got.AsByteSlice())
	}
}

func TestKeyValuesCopyOnWrite(t *testing.T) {
	in := []attribute.KeyValue{attribute.String("a", "ok"), attribute.String("b\xff", "v\xfe")}
	out, changed := KeyValues(in)
	if !changed || string(out[1].Key) != "b\uFFFD" || out[1].Value.AsString() != "v\uFFFD" {
		t.Fatalf("KeyValues = %v, %v", out, changed)
	}
	if string(in[1].Key) != "b\xff" {
		t.Fatal("the input was modified")
	}
	valid := in[:1]
	if out, changed := KeyValues(valid); changed || &out[0] != &valid[0] {
		t.Fatal("a valid slice was copied")
	}
}

func TestScopeAndResource(t *testing.T) {
	sc := instrumentation.Scope{Name: "n\xff", Version: "v\xff", SchemaURL: "s\xff", Attributes: attribute.NewSet(attribute.String("k", "\xff"))}
	got, changed := Scope(sc)
	if !changed || !ValidScope(&got) || got.Name != "n\uFFFD" {
		t.Fatalf("Scope = %+v, %v", got, changed)
	}
	r := resource.NewWithAttributes("https://x\xff", attribute.String("service.name", "svc\xff"))
	fixed, changed := Resource(r)
	if !changed || !ValidResource(fixed) {
		t.Fatalf("Resource = %v, %v", fixed, changed)
	}
	if v, _ := fixed.Set().Value("service.name"); v.AsString() != "svc\uFFFD" {
		t.Fatalf("service.name = %q", v.AsString())
	}
	if ValidResource(r) {
		t.Fatal("the input resource was modified")
	}
	if same, changed := Resource(fixed); changed || same != fixed {
		t.Fatal("a valid resource was rebuilt")
	}
	if same, changed := Resource(nil); changed || same != nil {
		t.Fatal("nil resource")
	}
}

func TestValidStringMatchesStd(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefg", "abcdefgh", "abcdefghi", "abcdefgh\xff", "abcdefg\xff", "\xffabcdefgh",
		"ab\xc3\xa9cdefghijkl", "abcdefghijklmnop\xe2\x82", "ünïcödé ✓ 𝄞 and more ascii text"} {
		if validString(s) != utf8.ValidString(s) {
			t.Errorf("validString(%q) = %v", s, validString(s))
		}
	}
}

func FuzzValidString(f *testing.F) {
	f.Add("abcdefgh\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if validString(s) != utf8.ValidString(s) {
			t.Fatalf("validString(%q) = %v", s, validString(s))
		}
	})
}
