package redact

import (
	"net/url"
	"testing"
)

// BenchmarkURL measures redaction of the URLs a service sees most (no
// query, an ordinary query) and of the ones it masks.
func BenchmarkURL(b *testing.B) {
	for _, tc := range []struct{ name, url string }{
		{"path", "http://localhost:5000/admin/users/alice/messages"},
		{"query", "http://localhost:5000/db/messages/search?q=hello%20world&page=2&sort=asc&limit=20"},
		{"token", "http://localhost:5000/p?page=2&access_token=abc&sort=asc"},
		{"userinfo", "http://user:secret@external-api:443/api/data?api_key=k"},
		{"nested", "http://h/login?next=https%3A%2F%2Fu%3Ap%40h2%2F%3Ftoken%3Dx&page=2"},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = URL(u)
			}
		})
	}
}

// BenchmarkIsSensitiveName measures the rule on common names.
func BenchmarkIsSensitiveName(b *testing.B) {
	for _, n := range []string{"q", "page", "utm_source", "access_token", "X-Amz-Signature", "password%5B%5D"} {
		b.Run(n, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = IsSensitiveName(n)
			}
		})
	}
}
