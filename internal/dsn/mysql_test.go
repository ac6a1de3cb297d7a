package dsn

import (
	"net/url"
	"strings"
	"testing"

	// Test only: the differential reference. It registers the "mysql"
	// driver in this test binary, never in a program using otelkit.
	"github.com/go-sql-driver/mysql"
)

// mysqlCases are DSNs at and beyond each edge of the form: the last '/',
// the last '@' before it, the first ':' in the user info, net(addr) and its
// closing ')', the first '?' after the slash, '=' and '&' in parameters, the
// defaults for each network, and escapes in the database name.
var mysqlCases = []string{
	"",
	"/",
	"/db",
	"db",
	"user@/db",
	"user:pw@/db",
	"user:@/db",
	":pw@/db",
	"@/db",
	"user:p@ss/w:rd@tcp(h:3306)/db",
	"user:pa?ss@unix(/tmp/mysql.sock)/db",
	"u:p@tcp(h)/db",
	"u:p@tcp(h:1)/db",
	"u:p@tcp([::1]:3306)/db",
	"u:p@tcp(::1)/db",
	"u:p@tcp/db",
	"u:p@unix/db",
	"u:p@unix(/s.sock)/db",
	"u:p@udp/db",
	"u:p@udp(h:1)/db",
	"u:p@tcp(h/db",
	"u:p@tcp(h)x/db",
	"u:p@tcp(h))/db",
	"u:p@tcp(()/db",
	"u:p@(h:1)/db",
	"u:p@tcp()/db",
	"tcp(h:1)/db",
	"u:p@tcp(h:1)/db?parseTime=true&loc=Local",
	"u:p@tcp(h:1)/db?x=1&y&z=a%20b&x=2",
	"u:p@tcp(h:1)/db?",
	"u:p@tcp(h:1)/d%20b",
	"u:p@tcp(h:1)/d%zzb",
	"u:p@tcp(h:1)/a/b",
	"u:p@tcp(h:1)/db?x=a/b",
	"a@b@c:d@tcp(h)/db",
	"a:b:c@tcp(h)/db",
	"user:s3cret@tcp(db.example:3306)/shop?parseTime=true",
	"root@tcp(127.0.0.1:3306)/test?parseTime=true",
}

// TestParseMySQLMatchesDriver checks ParseMySQL against mysql.ParseDSN on
// every case: the same user, password (by position), network, address,
// database and unknown parameters, and an error exactly when the driver
// finds the DSN malformed.
func TestParseMySQLMatchesDriver(t *testing.T) {
	for _, s := range mysqlCases {
		compareMySQL(t, s)
	}
}

// FuzzParseMySQL runs the same comparison on arbitrary DSNs.
func FuzzParseMySQL(f *testing.F) {
	for _, s := range mysqlCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { compareMySQL(t, s) })
}

func compareMySQL(t *testing.T, s string) {
	t.Helper()
	got, err := ParseMySQL(s)
	want, werr := driverParse(s)
	if werr != nil && !structural(werr) {
		// The driver rejected a parameter's value, which ParseMySQL does
		// not validate: compare with the DSN without its parameters.
		if q := strings.IndexByte(s[strings.LastIndexByte(s, '/')+1:], '?'); q >= 0 {
			want, werr = driverParse(s[:strings.LastIndexByte(s, '/')+1+q])
			if werr == nil {
				want.Params = nil
			}
		}
	}
	if werr != nil {
		if err == nil && structural(werr) {
			t.Errorf("ParseMySQL(%q) = %+v, nil; the driver says %v", s, got, werr)
		}
		if err != nil && !structural(werr) {
			t.Errorf("ParseMySQL(%q): %v; the driver says %v", s, err, werr)
		}
		return
	}
	if err != nil {
		t.Errorf("ParseMySQL(%q): %v; the driver parses it", s, err)
		return
	}
	pw := ""
	if got.PasswordStart >= 0 {
		pw = s[got.PasswordStart:got.PasswordEnd]
	}
	if got.User != want.User || pw != want.Passwd || got.Net != want.Net || got.Addr != want.Addr || got.DBName != want.DBName {
		t.Errorf("ParseMySQL(%q) = user %q pw %q net %q addr %q db %q; driver: %q %q %q %q %q",
			s, got.User, pw, got.Net, got.Addr, got.DBName, want.User, want.Passwd, want.Net, want.Addr, want.DBName)
	}
	for k, v := range want.Params {
		var last string
		for _, p := range got.Params {
			if p.Key == k {
				last = p.Value
			}
		}
		if u, _ := url.QueryUnescape(last); u != v {
			t.Errorf("ParseMySQL(%q): param %q = %q, driver %q", s, k, u, v)
		}
	}
}

// driverParse is mysql.ParseDSN, which panics on a "strict" parameter.
func driverParse(s string) (cfg *mysql.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			cfg, err = nil, errPanic
		}
	}()
	return mysql.ParseDSN(s)
}

type panicErr struct{}

func (panicErr) Error() string { return "panic" }

var errPanic error = panicErr{}

// structural reports whether the driver rejected the DSN's form (which
// ParseMySQL must reject too) rather than a parameter's value (which it
// does not validate).
func structural(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "invalid DSN") || strings.HasPrefix(msg, "invalid dbname") ||
		strings.HasPrefix(msg, "default addr for network")
}

func TestParseMySQLNoPanicOnStrict(t *testing.T) {
	if _, err := ParseMySQL("u@tcp(h)/db?strict=true"); err != nil {
		t.Fatal(err)
	}
}
