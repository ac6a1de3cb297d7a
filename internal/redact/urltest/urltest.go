// Package urltest holds the test data of the URL redaction rule, shared by
// the tests of internal/redact and of every package that redacts a URL: the
// sensitive and harmless names, their spellings, and the places of a URL
// where a secret can be planted.
package urltest

import (
	"net/url"
	"strings"
	"unicode"
)

// SensitiveNames are names that carry secrets, as word lists: every
// spelling of each (Spellings) must be sensitive.
var SensitiveNames = [][]string{
	{"password"}, {"passwd"}, {"pwd"}, {"pw"}, {"pass"}, {"passphrase"}, {"passcode"},
	{"secret"}, {"token"}, {"access", "token"}, {"auth", "token"}, {"api", "token"},
	{"session", "token"}, {"refresh", "token"}, {"id", "token"}, {"private", "key"},
	{"api", "key"}, {"apikey"}, {"access", "key"}, {"secret", "key"}, {"client", "secret"},
	{"jwt"}, {"credentials"}, {"credential"}, {"auth"}, {"authorization"}, {"session"},
	{"session", "id"}, {"sig"}, {"signature"}, {"x", "goog", "signature"},
	{"x", "amz", "signature"}, {"x", "amz", "credential"}, {"x", "amz", "security", "token"},
	{"aws", "access", "key", "id"}, {"cookie"}, {"csrf", "token"}, {"hmac"}, {"otp"},
	{"code", "verifier"}, {"key"}, {"x", "api", "key"}, {"db", "password"},
	{"new", "password"}, {"password", "confirm"}, {"auth", "code"}, {"oauth", "token"},
	{"jsessionid"}, {"my", "secret"}, {"bearer"}, {"reset", "code"},
}

// HarmlessNames must stay visible, in every spelling.
var HarmlessNames = [][]string{
	{"page"}, {"sort"}, {"q"}, {"query"}, {"search"}, {"limit"}, {"offset"}, {"id"},
	{"user"}, {"username"}, {"name"}, {"email"}, {"author"}, {"passenger"}, {"compass"},
	{"bypass"}, {"tokenizer"}, {"secretary"}, {"sort", "key"}, {"primary", "key"},
	{"partition", "key"}, {"public", "key"}, {"page", "token"}, {"next", "page", "token"},
	{"continuation", "token"}, {"next", "token"}, {"keyboard"}, {"hotkey"},
	{"country", "code"}, {"error", "code"}, {"zip"}, {"lang"}, {"redirect"}, {"next"},
	{"url"}, {"format"}, {"monkey"}, {"turkey"}, {"hockey"}, {"keyword"}, {"token", "type"},
	{"state"}, {"scope"}, {"client", "id"}, {"response", "type"}, {"grant", "type"},
	{"redirect", "uri"}, {"x", "amz", "date"}, {"x", "amz", "expires"},
	{"x", "amz", "algorithm"}, {"x", "amz", "signed", "headers"}, {"utm", "source"},
	{"fbclid"}, {"sessions"}, {"oauth"}, {"expires"}, {"key", "name"}, {"status"},
}

// Spellings returns the ways a name made of the words ws is written:
// joined by _ - . + or nothing, camelCase, PascalCase, upper case; with an
// array suffix, percent-encoded or not, encoded twice, and nested in
// user[...].
func Spellings(ws []string) []string {
	title := func(s string) string { return string(unicode.ToUpper(rune(s[0]))) + s[1:] }
	var joined []string
	for _, sep := range []string{"_", "-", ".", "", "+", "%20"} {
		joined = append(joined, strings.Join(ws, sep), strings.ToUpper(strings.Join(ws, sep)))
	}
	camel, pascal := ws[0], ""
	for i, w := range ws {
		if i > 0 {
			camel += title(w)
		}
		pascal += title(w)
	}
	joined = append(joined, camel, pascal)
	var out []string
	for _, j := range joined {
		for _, suffix := range []string{"", "[]", "[0]", "%5B%5D", "%5b0%5d", "%255B%255D"} {
			n := j + suffix
			out = append(out, n, "user["+n+"]", "user%5B"+n+"%5D")
			// The first letter percent-encoded, once and twice.
			enc := "%" + strings.ToUpper(hex(n[0])) + n[1:]
			out = append(out, enc, "%25"+enc[1:])
		}
	}
	return out
}

func hex(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// Marker is planted as a secret; nothing else in a fuzz input may hold it.
const Marker = "QZXsecretMARKERXZQ"

// Plantings are the places of a URL where a secret goes: each takes the
// sensitive name, the marker and two noise strings, and returns the URL.
var Plantings = []func(name, m, n1, n2 string) string{
	func(name, m, n1, n2 string) string {
		return "http://h/" + n1 + "?" + n2 + "&" + name + "=" + m + "&" + n2
	},
	func(name, m, n1, n2 string) string { return "http://h/?" + n1 + ";" + name + "=" + m + ";" + n2 },
	func(name, m, n1, n2 string) string { return "http://h/p?" + n1 + "#" + name + "=" + m + "&" + n2 },
	func(name, m, n1, n2 string) string { return "http://h/#/" + n1 + "?" + name + "=" + m + "&" + n2 },
	func(name, m, n1, n2 string) string { return "http://h/?next=https://h2/" + n1 + "?" + name + "=" + m },
	func(name, m, n1, n2 string) string {
		return "http://h/?" + n2 + "&next=" + url.QueryEscape("https://h2/"+n1+"?"+name+"="+m+"&"+n2)
	},
	func(name, m, n1, n2 string) string {
		return "http://h/?next=" + url.QueryEscape(url.QueryEscape("https://h2/?"+n1+"&"+name+"="+m))
	},
	func(name, m, n1, n2 string) string { return "mailto:" + n1 + "?" + name + "=" + m + "&" + n2 },
	func(name, m, n1, n2 string) string { return "jdbc:mysql://" + n1 + "@h/db?" + name + "=" + m },
	func(name, m, n1, n2 string) string { return "http://u:" + m + "@h/" + n1 + "?" + n2 },
	func(name, m, n1, n2 string) string { return "https://" + m + "@h/" + n1 },
	func(name, m, n1, n2 string) string { return "http://h/" + n1 + ";" + name + "=" + m + "/" + n2 },
	func(name, m, n1, n2 string) string {
		return "http://h/?next=" + url.QueryEscape("https://u:"+m+"@h2/"+n1)
	},
	func(name, m, n1, n2 string) string { return "jdbc:sqlserver://" + n1 + ";" + name + "=" + m + ";" + n2 },
	func(name, m, n1, n2 string) string { return n1 + "?" + name + "=" + m },
	func(name, m, n1, n2 string) string {
		return "http://h/?" + name + "=" + url.QueryEscape(m+n1) + "&" + n2
	},
}
