package redact

import (
	"net/url"
	"strings"
	"testing"

	"github.com/otelkit/otelkit/internal/redact/urltest"
)

// FuzzURLMarker plants urltest.Marker as the value of a sensitive parameter
// (every spelling of every sensitive name) or as a credential, anywhere in a
// URL around noise: the marker never appears in the output, and the output
// parses when the input did.
func FuzzURLMarker(f *testing.F) {
	f.Add(uint16(0), uint16(0), uint8(0), "a=1", "b=2")
	f.Add(uint16(9), uint16(40), uint8(5), "x%zz", "p@q")
	f.Add(uint16(33), uint16(7), uint8(12), "", "")
	f.Add(uint16(2), uint16(100), uint8(13), "host:1433", "user=sa")
	var all []string
	for _, ws := range urltest.SensitiveNames {
		all = append(all, urltest.Spellings(ws)...)
	}
	f.Fuzz(func(t *testing.T, ni, _ uint16, place uint8, n1, n2 string) {
		if strings.Contains(strings.ToLower(n1+n2), strings.ToLower(urltest.Marker[:6])) {
			return
		}
		name := all[int(ni)%len(all)]
		in := urltest.Plantings[int(place)%len(urltest.Plantings)](name, urltest.Marker, n1, n2)
		checkRedacted(t, in)
	})
}

func checkRedacted(t *testing.T, in string) {
	t.Helper()
	out := URLString(in)
	if strings.Contains(out, urltest.Marker) || strings.Contains(strings.ToLower(lenientUnescape(lenientUnescape(out))), strings.ToLower(urltest.Marker)) {
		t.Fatalf("urltest.Marker leaked:\n in %q\nout %q", in, out)
	}
	if u, err := url.Parse(in); err == nil {
		if _, err := url.Parse(u.String()); err == nil {
			if _, err := url.Parse(out); err != nil {
				t.Fatalf("output does not parse: %v\n in %q\nout %q", err, in, out)
			}
		}
	}
}

// FuzzURLString feeds any text: no panic, the output parses when the input
// did, and redacting again changes nothing.
func FuzzURLString(f *testing.F) {
	for _, tc := range urlCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := URLString(in)
		if u, err := url.Parse(in); err == nil {
			if _, err := url.Parse(u.String()); err == nil {
				if _, err := url.Parse(out); err != nil {
					t.Fatalf("output does not parse: %v\n in %q\nout %q", err, in, out)
				}
			}
		}
		_ = IsSensitiveName(in)
	})
}

// TestPlantingsEveryName plants every spelling of every sensitive name, each
// spelling in one place in turn and the plain spelling in every place.
func TestPlantingsEveryName(t *testing.T) {
	for _, ws := range urltest.SensitiveNames {
		for i, name := range urltest.Spellings(ws) {
			if i == 0 {
				for _, p := range urltest.Plantings {
					checkRedacted(t, p(name, urltest.Marker, "x=1", "y=2"))
				}
			}
			checkRedacted(t, urltest.Plantings[i%len(urltest.Plantings)](name, urltest.Marker, "x=1", "y=2"))
		}
	}
}
