// Package redact is the one place where otelkit removes secrets before they
// reach telemetry: URLs, headers and Redis arguments. Data source names
// are redacted by internal/dsn, apart so that httpx and redisx link no SQL
// code.
package redact

import (
	"net/url"
	"strings"
)

// Mask replaces a secret value.
const Mask = "REDACTED"

// maxDepth bounds the nesting of URLs in parameter values that URL reads
// (a URL in a value of a URL in a value ...). A value nested deeper that
// could still hold a URL or parameters is replaced by Mask whole.
const maxDepth = 4

// URL returns u as a string with its secrets replaced by Mask. u is not
// modified. The rule, in every part of the URL:
//
//   - user info: the password is masked; a user name with no password or
//     an empty one is masked too, as that is where a URL carries a token
//     (https://TOKEN@github.com, https://sk_live_...:@api.stripe.com);
//   - query: the value of every parameter whose name IsSensitiveName
//     says is sensitive; parameters are separated by '&' or ';';
//   - fragment: the same for the parameters of a fragment
//     (#access_token=...&token_type=bearer, #/route?token=...: the route
//     is read as part of the first name);
//   - path: the same for ;name=value parameters of a path segment
//     (/app;jsessionid=...);
//   - opaque part (mailto:..., jdbc:mysql://u:p@h/db): redacted as a URL
//     or parameters in turn, and its query as any query;
//   - host: the same for ;name=value parameters written where a host name
//     goes (jdbc:sqlserver://h:1433;password=...);
//   - a parameter value that is itself a URL, a relative reference or
//     parameters (?next=https://u:p@h/?token=x, ?state=token%3Dx), decoded
//     once or more: redacted in turn, to maxDepth levels, and encoded back
//     as it came.
//
// The result parses as a URL whenever u.String() does.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return urlAt(u, 0)
}

// Unchanged reports, without building a string, that URL(u) is
// u.String(): u has no user info, opaque part, query or fragment, and no
// parameters in its path or host.
func Unchanged(u *url.URL) bool {
	return u.User == nil && u.Opaque == "" && u.RawQuery == "" && u.Fragment == "" && u.RawFragment == "" &&
		strings.IndexByte(u.Path, ';') < 0 && !hostParams(u.Host)
}

// UnchangedString is Unchanged for a caller that holds s, u.String()
// (u has no user info, or s is the String of a copy of u without it, as
// otelhttp's url.full is): it reports that URL(u) is s, with one scan of s
// for path and host parameters (';', then '=' in the host alone) instead
// of three of the parts.
func UnchangedString(u *url.URL, s string) bool {
	return u.User == nil && u.Opaque == "" && u.RawQuery == "" && u.Fragment == "" && u.RawFragment == "" &&
		strings.IndexByte(s, ';') < 0 && strings.IndexByte(u.Host, '=') < 0
}

// hostParams reports whether host holds parameters where a host name goes
// (jdbc:sqlserver://h;password=x).
func hostParams(host string) bool {
	return strings.IndexByte(host, ';') >= 0 || strings.IndexByte(host, '=') >= 0
}

// URLString redacts s, a URL or text that may hold one. A string that
// parses as a URL with a scheme, host, user info, query, fragment or path
// parameters is redacted as URL does; one that is a bare name=value list is
// redacted as Query does; other text is kept. A string that does not parse
// is redacted as text: everything between its "://" (or a leading "//")
// and its last '@' is masked, and so are the values of the sensitive
// name=value pairs it holds, separated by '&', ';' or '#' (a name takes in
// what precedes it, "http://h/p?token", which does not hide it).
func URLString(s string) string {
	return textAt(s, 0)
}

// Text redacts every URL inside free text, such as an error message
// (Post "https://collector/v1/traces?api-key=...": dial tcp ...), as
// URLString does. A URL there starts with its scheme and "://" and ends at
// white space, a quote or an angle bracket. Text with no URL is returned as
// it is.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		j += i
		start := j
		for start > last && isSchemeByte(s[start-1]) {
			start--
		}
		end := j + 3
		for end < len(s) && strings.IndexByte(" \t\r\n\"'<>`", s[end]) < 0 {
			end++
		}
		b.WriteString(s[last:start])
		b.WriteString(URLString(s[start:end]))
		last, i = end, end
	}
	b.WriteString(s[last:])
	return b.String()
}

func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// Query masks the values of sensitive parameters in a raw query string
// ('&' or ';' separated), keeping the order and the encoding of every other
// parameter; values that hold URLs or parameters are redacted in turn.
func Query(raw string) string {
	return pairs(raw, "&;", 0, url.QueryEscape)
}

func urlAt(u *url.URL, depth int) string {
	c := *u
	if c.User != nil {
		name := c.User.Username()
		if pw, has := c.User.Password(); has && pw != "" {
			c.User = url.UserPassword(name, Mask)
		} else if name != "" || has {
			if has {
				c.User = url.UserPassword(Mask, "")
			} else {
				c.User = url.User(Mask)
			}
		}
	}
	if c.Opaque != "" {
		c.Opaque = textAt(c.Opaque, depth+1)
	}
	if hostParams(c.Host) {
		// Parameters where a host name goes (jdbc:sqlserver://h;password=x).
		c.Host = pairs(c.Host, ";&", depth, url.QueryEscape)
	}
	if hasPathParams(&c) {
		raw := c.EscapedPath()
		if r := pathParams(raw, depth); r != raw {
			if p, err := url.PathUnescape(r); err == nil {
				c.Path, c.RawPath = p, r
			} else {
				c.Path, c.RawPath = Mask, ""
			}
		}
	}
	if c.RawQuery != "" {
		c.RawQuery = queryAt(c.RawQuery, depth)
	}
	if c.Fragment != "" || c.RawFragment != "" {
		raw := c.EscapedFragment()
		if r := fragment(raw, depth); r != raw {
			if f, err := url.PathUnescape(r); err == nil {
				c.Fragment, c.RawFragment = f, r
			} else {
				c.Fragment, c.RawFragment = Mask, ""
			}
		}
	}
	return c.String()
}

// Path returns the path of u, decoded as url.URL.Path is, with the values
// of its sensitive ;name=value parameters masked (the url.path of a
// request for /app;jsessionid=...). It allocates only when it masks.
func Path(u *url.URL) string {
	if u == nil || strings.IndexByte(u.Path, ';') < 0 {
		if u == nil {
			return ""
		}
		return u.Path
	}
	return pathParams(u.Path, 0)
}

// hasPathParams reports whether u's path has a literal ';' (not %3B).
func hasPathParams(u *url.URL) bool {
	return strings.IndexByte(u.Path, ';') >= 0 && strings.IndexByte(u.EscapedPath(), ';') >= 0
}

// queryAt is Query at a nesting depth.
func queryAt(raw string, depth int) string {
	return pairs(raw, "&;", depth, url.QueryEscape)
}

// fragment redacts a raw fragment as '&' or ';' separated parameters. A
// route before the parameters (#/route?token=x) stays part of the first
// name, where it does no harm; splitting at '?' would cut a value that
// holds one.
func fragment(raw string, depth int) string {
	if strings.IndexByte(raw, '=') < 0 {
		return raw
	}
	return pairs(raw, "&;", depth, url.QueryEscape)
}

// pathParams redacts the ;name=value parameters of the segments of a raw
// path.
func pathParams(raw string, depth int) string {
	if strings.IndexByte(raw, ';') < 0 {
		return raw
	}
	var b strings.Builder
	rest := raw
	for {
		seg, after, more := strings.Cut(rest, "/")
		if i := strings.IndexByte(seg, ';'); i >= 0 {
			b.WriteString(seg[:i+1])
			b.WriteString(pairs(seg[i+1:], ";", depth, url.PathEscape))
		} else {
			b.WriteString(seg)
		}
		if !more {
			break
		}
		b.WriteByte('/')
		rest = after
	}
	return b.String()
}

// pairs redacts the name=value pairs of s, separated by any byte of seps.
// esc encodes a nested value that was decoded before it was redacted.
func pairs(s, seps string, depth int, esc func(string) string) string {
	var b []byte // nil until something changes
	start := 0
	for {
		end := len(s)
		if i := strings.IndexAny(s[start:], seps); i >= 0 {
			end = start + i
		}
		seg := s[start:end]
		if out, changed := pair(seg, depth, esc); changed {
			if b == nil {
				b = make([]byte, 0, len(s)+len(Mask))
				b = append(b, s[:start]...)
			}
			b = append(b, out...)
		} else if b != nil {
			b = append(b, seg...)
		}
		if end == len(s) {
			break
		}
		if b != nil {
			b = append(b, s[end])
		}
		start = end + 1
	}
	if b == nil {
		return s
	}
	return string(b)
}

// pair redacts one name=value pair.
func pair(seg string, depth int, esc func(string) string) (string, bool) {
	k, v, ok := strings.Cut(seg, "=")
	if !ok {
		return seg, false
	}
	if IsSensitiveName(k) {
		if v == Mask {
			return seg, false
		}
		return k + "=" + Mask, true
	}
	if nv, changed := nested(v, depth, esc); changed {
		return k + "=" + nv, true
	}
	return seg, false
}

// nested redacts a raw parameter value that holds a URL or parameters.
func nested(v string, depth int, esc func(string) string) (string, bool) {
	if !mayHoldSecret(v) {
		return v, false
	}
	if depth+1 > maxDepth {
		return Mask, true
	}
	dv := lenientUnescape(v)
	decoded := dv != v
	r := textAt(dv, depth+1)
	if r == dv {
		return v, false
	}
	if decoded {
		return esc(r), true
	}
	return r, true
}

// mayHoldSecret reports whether s could hold a URL with user info or
// parameters, possibly percent-encoded: it has '=', '@' or "://", or an
// escape of '=', '@', ':' or '%'.
func mayHoldSecret(s string) bool {
	if strings.ContainsAny(s, "=@") || strings.Contains(s, "://") {
		return true
	}
	for i := strings.IndexByte(s, '%'); i >= 0 && i+2 < len(s); {
		switch s[i+1] {
		case '3':
			if c := s[i+2] | 0x20; c == 'd' || c == 'a' {
				return true
			}
		case '4':
			if s[i+2] == '0' {
				return true
			}
		case '2':
			if s[i+2] == '5' {
				return true
			}
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// textAt redacts s, which may be a URL, a relative reference, parameters
// or text, at a nesting depth.
func textAt(s string, depth int) string {
	if depth > maxDepth {
		if mayHoldSecret(s) {
			return Mask
		}
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return textFallback(s, depth)
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.RawQuery != "" ||
		u.Fragment != "" || hasPathParams(u) {
		return urlAt(u, depth)
	}
	// A path or plain text: parameters, or parameters encoded once more.
	if strings.IndexByte(s, '=') >= 0 {
		return pairs(s, "&;", depth, url.QueryEscape)
	}
	if mayHoldSecret(s) && strings.IndexByte(s, '%') >= 0 {
		if d := lenientUnescape(s); d != s {
			if r := textAt(d, depth+1); r != d {
				return url.QueryEscape(r)
			}
		}
	}
	return s
}

// lenientUnescape decodes the valid %XX escapes of s and '+' as a space,
// keeping an invalid escape as it is, so that one bad escape does not hide
// the rest of a value from redaction.
func lenientUnescape(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// textFallback redacts a string that does not parse as a URL.
func textFallback(s string, depth int) string {
	i := strings.Index(s, "://")
	switch {
	case i >= 0:
		i += 3
	case strings.HasPrefix(s, "//"):
		i = 2
	}
	if i >= 0 {
		if j := strings.LastIndexByte(s[i:], '@'); j >= 0 {
			s = s[:i] + Mask + s[i+j:]
		}
	}
	return pairs(s, "&;#", depth, url.QueryEscape)
}
