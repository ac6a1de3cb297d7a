package redact

import (
	"net/url"
	"strings"
	"testing"

	"github.com/otelkit/otelkit/internal/redact/urltest"
)

func TestIsSensitiveNameSpellings(t *testing.T) {
	for _, ws := range urltest.SensitiveNames {
		for _, n := range urltest.Spellings(ws) {
			if !IsSensitiveName(n) {
				t.Errorf("%v: %q is not sensitive", ws, n)
			}
		}
	}
	for _, ws := range urltest.HarmlessNames {
		for _, n := range urltest.Spellings(ws) {
			if strings.HasPrefix(n, "user") {
				continue // user[...] nests it: still harmless, but skip the noise
			}
			if IsSensitiveName(n) {
				t.Errorf("%v: %q is sensitive", ws, n)
			}
		}
	}
}

// The names the issues list, one by one, as written there.
func TestIsSensitiveNameListed(t *testing.T) {
	for _, n := range []string{
		"accessToken", "authToken", "apiToken", "sessionToken", "privateKey", "jwt", "pw",
		"passphrase", "credentials", "password[]", "password%5B%5D", "access_token",
		"AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature", "X-Amz-Signature",
		"X-Amz-Credential", "X-Amz-Security-Token", "client_secret", "api_key", "x-api-key",
		"APIKey", "JSESSIONID", "PHPSESSID", "ASP.NET_SessionId", "code", "id_token",
		"refresh_token", "passw%6Frd", "pass%2577ord", "oauth2token", "fooaccesstoken",
		"awsaccesskeyid", "xamzsecuritytoken", "pin", "sid", "authCode", "pin_code",
	} {
		if !IsSensitiveName(n) {
			t.Errorf("%q is not sensitive", n)
		}
	}
	for _, n := range []string{"", "=", "%", "%zz", "[]", "0", "a", "ab", "code_page", "pins", "sidebar"} {
		if IsSensitiveName(n) {
			t.Errorf("%q is sensitive", n)
		}
	}
}

func TestIsSensitiveNameAllocs(t *testing.T) {
	for _, n := range []string{"page", "access_token", "password%5B%5D", "awsaccesskeyid", "utm_source", "monkey"} {
		if a := testing.AllocsPerRun(100, func() { IsSensitiveName(n) }); a != 0 {
			t.Errorf("IsSensitiveName(%q): %v allocations", n, a)
		}
	}
}

// urlCases are exact expectations, beyond and at each edge of the rule.
var urlCases = []struct{ in, want string }{
	// User info.
	{"http://user:secret@host/p?token=abc&password=x", "http://user:REDACTED@host/p?token=REDACTED&password=REDACTED"},
	{"http://user@host/p", "http://REDACTED@host/p"},
	{"https://ghp_TOKEN@github.com/o/r.git", "https://REDACTED@github.com/o/r.git"},
	{"https://sk_live_x:@api.stripe.com/v1", "https://REDACTED:@api.stripe.com/v1"},
	{"redis://:pw@h:6379/0", "redis://:REDACTED@h:6379/0"},
	{"http://@host/", "http://@host/"},
	// Query: names, separators, order and encoding kept.
	{"http://host/p?q=1&access_token=zzz", "http://host/p?q=1&access_token=REDACTED"},
	{"http://host/p?page=2&sort=asc&keyword=k&monkey=m", "http://host/p?page=2&sort=asc&keyword=k&monkey=m"},
	{"http://h/?accessToken=a&authToken=b&apiToken=c&sessionToken=d", "http://h/?accessToken=REDACTED&authToken=REDACTED&apiToken=REDACTED&sessionToken=REDACTED"},
	{"http://h/?privateKey=a&jwt=b&pw=c&passphrase=d&credentials=e", "http://h/?privateKey=REDACTED&jwt=REDACTED&pw=REDACTED&passphrase=REDACTED&credentials=REDACTED"},
	{"http://h/?password[]=a&password%5B%5D=b&password[0]=c", "http://h/?password[]=REDACTED&password%5B%5D=REDACTED&password[0]=REDACTED"},
	{"http://h/?a=1;password=x;b=2", "http://h/?a=1;password=REDACTED;b=2"},
	{"http://h/?AWSAccessKeyId=A&Signature=S&Expires=1", "http://h/?AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1"},
	{"http://h/?sv=1&sig=S&se=2", "http://h/?sv=1&sig=REDACTED&se=2"},
	{"http://h/o?X-Goog-Algorithm=A&X-Goog-Credential=C&X-Goog-Date=D&X-Goog-Signature=S", "http://h/o?X-Goog-Algorithm=A&X-Goog-Credential=REDACTED&X-Goog-Date=D&X-Goog-Signature=REDACTED"},
	{"http://h/?token", "http://h/?token"},
	{"http://h/?token=", "http://h/?token=REDACTED"},
	{"http://h/?=x&&token=y&", "http://h/?=x&&token=REDACTED&"},
	{"http://h/?q=hello%20world+x&page=2", "http://h/?q=hello%20world+x&page=2"},
	{"http://h/?pageToken=p&token_type=bearer&code=c&country_code=fr", "http://h/?pageToken=p&token_type=bearer&code=REDACTED&country_code=fr"},
	// Fragment.
	{"http://h/cb#access_token=x&token_type=bearer&expires_in=3600", "http://h/cb#access_token=REDACTED&token_type=bearer&expires_in=3600"},
	{"http://h/#/route?token=x&a=b", "http://h/#/route?token=REDACTED&a=b"},
	{"http://h/#section-2", "http://h/#section-2"},
	{"http://h/#id_token=x;state=s", "http://h/#id_token=REDACTED;state=s"},
	// Path parameters.
	{"http://h/app;jsessionid=ABC/x?y=1", "http://h/app;jsessionid=REDACTED/x?y=1"},
	{"http://h/a;v=1/b", "http://h/a;v=1/b"},
	// Opaque forms.
	{"mailto:joe@example.com?subject=hi&token=y", "mailto:joe@example.com?subject=hi&token=REDACTED"},
	{"scheme:opaque?x", "scheme:opaque?x"},
	{"scheme:opaque;password=p?x=1", "scheme:opaque;password=REDACTED?x=1"},
	{"jdbc:mysql://u:p@h/db?password=x", "jdbc:mysql://u:REDACTED@h/db?password=REDACTED"},
	{"jdbc:sqlserver://host:1433;user=sa;password=secret", "jdbc:sqlserver://host:1433;user=sa;password=REDACTED"},
	// Nested URLs and parameters.
	{"http://h/?next=https://u:p@h2/?token=x", "http://h/?next=https://u:REDACTED@h2/?token=REDACTED"},
	{"http://h/?next=https%3A%2F%2Fu%3Ap%40h2%2F%3Ftoken%3Dx", "http://h/?next=https%3A%2F%2Fu%3AREDACTED%40h2%2F%3Ftoken%3DREDACTED"},
	{"http://h/?next=https%253A%252F%252Fh2%252F%253Ftoken%253Dx", "http://h/?next=https%253A%252F%252Fh2%252F%253Ftoken%253DREDACTED"},
	{"http://h/?state=token%3Dabc", "http://h/?state=token%3DREDACTED"},
	{"http://h/?redirect=/login%3Fpassword%3Dx", "http://h/?redirect=%2Flogin%3Fpassword%3DREDACTED"},
	{"http://h/?next=https%3A%2F%2Fh2%2Fpage", "http://h/?next=https%3A%2F%2Fh2%2Fpage"},
	{"http://h/?a=" + strings.Repeat("x%3D", 3) + "y", "http://h/?a=" + strings.Repeat("x%3D", 3) + "y"},
	// Not a URL.
	{"http://user:sec%zzret@host/", "http://REDACTED@host/"},
	{"http://u:p/ss@h/", "http://REDACTED@h/"},
	{"//u:p@h/x", "//u:REDACTED@h/x"},
	{"http://h/%zz?password=x&a=b", "http://h/%zz?password=REDACTED&a=b"},
	{"", ""},
	{"plain text", "plain text"},
}

func TestURLString(t *testing.T) {
	for _, tc := range urlCases {
		got := URLString(tc.in)
		if got != tc.want {
			t.Errorf("URLString(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if u, err := url.Parse(tc.in); err == nil {
			if _, err := url.Parse(u.String()); err == nil {
				if _, err := url.Parse(got); err != nil {
					t.Errorf("URLString(%q) = %q does not parse: %v", tc.in, got, err)
				}
				if g := URL(u); g != got && (u.Scheme != "" || u.Host != "") {
					t.Errorf("URL(%q) = %q, URLString %q", tc.in, g, got)
				}
			}
		}
		if again := URLString(got); again != got {
			t.Errorf("URLString(%q) = %q, again %q: not stable", tc.in, got, again)
		}
	}
	if URL(nil) != "" {
		t.Error("URL(nil) is not empty")
	}
}

func TestURLDoesNotModify(t *testing.T) {
	u, _ := url.Parse("http://u:p@h/a;s=1?token=x#sig=y")
	before := *u
	_ = URL(u)
	if u.String() != before.String() || u.User.String() != "u:p" {
		t.Errorf("URL modified its argument: %s", u)
	}
}

func TestQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"a=1":                       "a=1",
		"token=x":                   "token=REDACTED",
		"a=1;b=2;secret=3":          "a=1;b=2;secret=REDACTED",
		"user%5Bpassword%5D=x&ok=1": "user%5Bpassword%5D=REDACTED&ok=1",
	} {
		if got := Query(in); got != want {
			t.Errorf("Query(%q) = %q, want %q", in, got, want)
		}
	}
	if a := testing.AllocsPerRun(100, func() { Query("q=hello%20world&page=2&sort=asc") }); a != 0 {
		t.Errorf("Query with nothing to mask: %v allocations", a)
	}
}

// TestURLNesting nests token=MARK in a parameter value k times, encoded once
// more at each level: the marker never shows, the levels up to maxDepth
// keep their structure, deeper ones are masked whole.
func TestURLNesting(t *testing.T) {
	build := func(k int, v string) string {
		s := "token=" + v
		for range k {
			s = "a=" + url.QueryEscape(s)
		}
		return "http://h/?" + s
	}
	for k := 0; k <= 10; k++ {
		got := URLString(build(k, "MARK"))
		if strings.Contains(got, "MARK") {
			t.Errorf("depth %d: %s", k, got)
		}
		if _, err := url.Parse(got); err != nil {
			t.Errorf("depth %d: %s does not parse: %v", k, got, err)
		}
		if k < maxDepth && got != build(k, "REDACTED") {
			t.Errorf("depth %d: %s, want %s", k, got, build(k, "REDACTED"))
		}
	}
	// The same, not encoded: the value runs to the end of the query.
	s := "token=MARK"
	for range 10 {
		s = "next=http://h/?" + s
	}
	if got := URLString("http://h/?" + s); strings.Contains(got, "MARK") {
		t.Errorf("nested unencoded: %s", got)
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"no url here": "no url here",
		`Post "https://u:p@collector:4318/v1/traces?api-key=k&x=1": dial tcp 10.0.0.1:4318: connect: refused`: `Post "https://u:REDACTED@collector:4318/v1/traces?api-key=REDACTED&x=1": dial tcp 10.0.0.1:4318: connect: refused`,
		"two: http://h/?token=a and <https://h2/#sig=b>":                                                      "two: http://h/?token=REDACTED and <https://h2/#sig=REDACTED>",
		"bare ://x?token=a":    "bare ://x?token=REDACTED",
		"http://h/?token=a\tb": "http://h/?token=REDACTED\tb",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q)\n got %q\nwant %q", in, got, want)
		}
	}
	for _, p := range urltest.Plantings {
		u := p("access_token", urltest.Marker, "x=1", "y=2")
		if !strings.Contains(u, "://") {
			continue // Text finds URLs by their "://"
		}
		if got := Text(`Get "` + u + `": EOF`); strings.Contains(got, urltest.Marker) {
			t.Errorf("Text leaks the marker of %q: %s", u, got)
		}
	}
}

func TestUnchanged(t *testing.T) {
	for _, in := range []string{
		"http://external-api:443/api/data", "https://h/a/b%20c", "http://h/", "http://h",
		"http://u:p@h/x", "http://u@h/x", "http://h/x?a=1", "http://h/x?token=1", "http://h/x?",
		"http://h/x#f", "http://h/x#access_token=1", "http://h/app;jsessionid=1", "http://h/a%3Bb",
		"jdbc:sqlserver://h:1433;password=x", "http://h;a=b/x", "mailto:a@b", "/rel/path", "//h/p",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if Unchanged(u) && URL(u) != u.String() {
			t.Errorf("%q: Unchanged, but URL gives %q, String %q", in, URL(u), u.String())
		}
		if UnchangedString(u, u.String()) && URL(u) != u.String() {
			t.Errorf("%q: UnchangedString, but URL gives %q, String %q", in, URL(u), u.String())
		}
		if u.User != nil {
			noUser := *u
			noUser.User = nil
			if UnchangedString(u, noUser.String()) {
				t.Errorf("%q: UnchangedString with user info", in)
			}
		}
	}
	for in, want := range map[string]bool{
		"http://external-api:443/api/data": true, "http://u:p@h/x": false, "http://h/x?a=1": false,
		"http://h/x#f": false, "http://h/app;x=1": false, "http://h;a=b/x": false,
	} {
		u, _ := url.Parse(in)
		if got := Unchanged(u); got != want {
			t.Errorf("Unchanged(%q) = %v, want %v", in, got, want)
		}
		if got := UnchangedString(u, u.String()); got != want {
			t.Errorf("UnchangedString(%q) = %v, want %v", in, got, want)
		}
	}
}
