package dsn

import (
	"strings"
	"testing"
)

func TestDSN(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"mysql tcp", "user:s3cret@tcp(db.example:3306)/shop?parseTime=true", "user:REDACTED@tcp(db.example:3306)/shop?parseTime=true"},
		{"mysql no password", "root@tcp(127.0.0.1:3306)/test?parseTime=true", "root@tcp(127.0.0.1:3306)/test?parseTime=true"},
		{"mysql password with @ and /", "u:p@ss/w:rd@tcp(h:3306)/db", "u:REDACTED@tcp(h:3306)/db"},
		{"mysql password with ?", "u:pa?ss@unix(/tmp/mysql.sock)/db", "u:REDACTED@unix(/tmp/mysql.sock)/db"},
		{"mysql empty password", "u:@/db", "u:REDACTED@/db"},
		{"mysql sensitive param", "u@tcp(h)/db?x=1&password=hunter2", "u@tcp(h)/db?x=1&password=REDACTED"},
		{"mysql url", "mysql://user:s3cret@host:3306/testdb", "mysql://user:REDACTED@host:3306/testdb"},
		{"postgres url", "postgres://bob:s3cret@pg:5432/app?sslmode=disable", "postgres://bob:REDACTED@pg:5432/app?sslmode=disable"},
		{"postgres url password param", "postgresql://pg/app?user=bob&password=s3cret", "postgresql://pg/app?user=bob&password=REDACTED"},
		{"postgres url # in password", "postgres://bob:12#s3@pg/app", "postgres://REDACTED@pg/app"},
		{"postgres url no userinfo", "postgres://pg:5432/app", "postgres://pg:5432/app"},
		{"postgres kv", "host=pg port=5432 user=bob password=s3cret dbname=app sslmode=disable", "host=pg port=5432 user=bob password=REDACTED dbname=app sslmode=disable"},
		{"postgres kv quoted", "host=pg password='s3 c\\'ret' dbname=app", "host=pg password=REDACTED dbname=app"},
		{"postgres kv spaces", "user = bob  password = s3cret", "user = bob  password = REDACTED"},
		{"postgres kv sslpassword", "host=pg sslpassword=s3cret", "host=pg sslpassword=REDACTED"},
		{"sqlite file uri auth", "file:test.db?_auth&_auth_user=admin&_auth_pass=s3cret&_auth_crypt=sha1", "file:test.db?_auth&_auth_user=admin&_auth_pass=REDACTED&_auth_crypt=sha1"},
		{"sqlite path auth", "test.db?_auth_user=a&_auth_pass=s3cret", "test.db?_auth_user=a&_auth_pass=REDACTED"},
		{"sqlite memory", ":memory:", ":memory:"},
		{"sqlite pragma", "file:x.db?_pragma=busy_timeout(5000)", "file:x.db?_pragma=busy_timeout(5000)"},
		{"password containing ://", "user:a://b@tcp(h:3306)/db", "user:REDACTED@tcp(h:3306)/db"},
		{"empty", "", ""},
		// Found by FuzzParseDSN once it planted a marker:
		{"sqlite path, @ and / in password", "x.db?_auth_pass=p@ss/w:rd", "x.db?_auth_pass=REDACTED"},
		{"url, @ in a query password", "postgres://pg/db?password=p@ss/w", "postgres://REDACTED"},
		{"mysql password starting with //", "user://p@ss@unix(/s.sock)/db", "user://REDACTED@unix(/s.sock)/db"},
		{"mysql password //, no @ in it", "user://s3cret@unix(/s.sock)/db", "user://REDACTED@unix(/s.sock)/db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.in)
			if got != tt.want {
				t.Errorf("DSN(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, secret := range []string{"s3cret", "hunter2", "p@ss", "pa?ss", "12#s3"} {
				if strings.Contains(tt.in, secret) && strings.Contains(got, secret) {
					t.Errorf("DSN(%q) = %q leaks %q", tt.in, got, secret)
				}
			}
		})
	}
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		system, in string
		want       string
		ok         bool
	}{
		{"mysql", "user:s3cret@tcp(host:3306)/testdb?parseTime=true", "mysql://user@host:3306/testdb", true},
		{"mysql", "root@tcp(127.0.0.1:3306)/test", "mysql://root@127.0.0.1:3306/test", true},
		{"mysql", "u:s3cret@unix(/run/mysqld.sock)/db", "mysql://u@unix(/run/mysqld.sock)/db", true},
		{"mysql", "/db", "mysql://127.0.0.1:3306/db", true},
		{"mysql", "mysql://user:s3cret@host:3306/testdb", "mysql://user@host:3306/testdb", true},
		{"postgresql", "postgres://bob:s3cret@pg:5432/app?sslmode=disable", "postgresql://bob@pg:5432/app", true},
		{"postgresql", "postgres://bob:12#s3cret@pg:5432/app", "postgresql://pg:5432/app", true},
		{"postgresql", "host=pg port=5432 user=bob password='s3cret' dbname=app", "postgresql://bob@pg:5432/app", true},
		{"", "host=pg dbname=app password=s3cret", "postgresql://pg/app", true},
		{"sqlite", "file:/tmp/x.db?_auth_user=a&_auth_pass=s3cret", "sqlite:/tmp/x.db", true},
		{"sqlite", ":memory:", "sqlite::memory:", true},
		{"mysql", "not a dsn(", "", false},
	}
	for _, tt := range tests {
		info, ok := Parse(tt.system, tt.in)
		if got := info.String(); got != tt.want || ok != tt.ok {
			t.Errorf("ParseDSN(%q, %q) = %q, %v; want %q, %v", tt.system, tt.in, got, ok, tt.want, tt.ok)
		}
		if strings.Contains(info.String(), "s3cret") {
			t.Errorf("ParseDSN(%q) leaks the password: %q", tt.in, info.String())
		}
	}
}

// FuzzParseDSN plants a password in every DSN form and checks that
// neither Redact nor Parse panics or shows it. The password carries a
// marker that cannot occur anywhere else in the DSN (pw and host may not
// hold its delimiters, the templates do not), at its start, middle or end,
// so that any output holding the marker holds a piece of the password: a
// host or a user name equal to the password is no longer taken for a leak.
func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"s3cret", "p@ss/w:rd", "a#b?c", "x'y\\z", "://", "pa ss", "%41%42", "00000/"} {
		f.Add(s, "db.example")
	}
	f.Add("00000/", "00000")
	queryEscape := strings.NewReplacer("&", "%26", "#", "%23").Replace
	templates := []func(pw, host string) (string, string){
		func(pw, h string) (string, string) {
			return "mysql", "user:" + pw + "@tcp(" + h + ":3306)/db?parseTime=true"
		},
		func(pw, h string) (string, string) { return "mysql", "user:" + pw + "@unix(/run/" + h + ".sock)/db" },
		func(pw, h string) (string, string) { return "mysql", "user:" + pw + "@/" + h },
		func(pw, h string) (string, string) { return "mysql", "mysql://user:" + pw + "@" + h + ":3306/db" },
		func(pw, h string) (string, string) { return "postgresql", "postgres://user:" + pw + "@" + h + "/db" },
		func(pw, h string) (string, string) {
			return "postgresql", "postgres://" + h + "/db?sslmode=disable&password=" + queryEscape(pw)
		},
		func(pw, h string) (string, string) {
			return "postgresql", "host=" + h + " password='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw) + "' dbname=db"
		},
		func(pw, h string) (string, string) {
			return "sqlite", "file:" + h + ".db?_auth_user=u&_auth_pass=" + queryEscape(pw)
		},
		func(pw, h string) (string, string) { return "sqlite", h + ".db?_auth_pass=" + queryEscape(pw) },
	}
	f.Fuzz(func(t *testing.T, pw, host string) {
		// Arbitrary strings must not panic.
		_ = Redact(pw + host)
		_, _ = Parse("mysql", pw+host)
		_, _ = Parse("", host+pw)
		_, _ = ParseMySQL(host + pw)
		if strings.ContainsAny(pw+host, "~\x01") || strings.ContainsAny(host, "@:/?#&'\\ =%()") {
			return
		}
		for _, marker := range []string{"~mk~", "\x01mk\x01"} {
			half := len(pw) / 2
			for _, secret := range []string{marker + pw, pw + marker, pw[:half] + marker + pw[half:]} {
				for _, tmpl := range templates {
					system, dsn := tmpl(secret, host)
					if got := Redact(dsn); strings.Contains(got, marker) {
						t.Fatalf("Redact(%q) = %q leaks the password", dsn, got)
					}
					for _, sys := range []string{system, "", "mysql"} {
						info, _ := Parse(sys, dsn)
						if got := info.String(); strings.Contains(got, marker) {
							t.Fatalf("Parse(%q, %q) = %q leaks the password", sys, dsn, got)
						}
					}
				}
			}
		}
	})
}
