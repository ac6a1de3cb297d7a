// Package dsn reads and redacts the data source names of SQL databases. It
// is apart from internal/redact so that the packages that have nothing to
// do with SQL (httpx, redisx) link no SQL code, and it parses MySQL DSNs
// itself (ParseMySQL) so that no package of otelkit links a database driver.
package dsn

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/otelkit/otelkit/internal/redact"
)

// Mask replaces a secret value.
const Mask = redact.Mask

// Info is what a data source name says about where a client connects,
// without any secret: never a password.
type Info struct {
	// Scheme is the database system ("mysql", "postgresql", "sqlite") or the
	// scheme of a URL DSN.
	Scheme string
	// User is the user name, if any.
	User string
	// Host is the host name or address, or the socket path of a Unix socket.
	Host string
	// Port is the port number, 0 when not known.
	Port int
	// Database is the database name, or the file of an SQLite database.
	Database string
}

// String renders the connection string scheme://user@host:port/database,
// leaving out the parts that are unknown. A Unix socket renders as
// scheme://user@unix(/path)/database and an SQLite file as sqlite:file.
func (i Info) String() string {
	if i.Host == "" && i.User == "" && i.Port == 0 {
		if i.Database == "" {
			return ""
		}
		if i.Scheme == "" {
			return i.Database
		}
		return i.Scheme + ":" + i.Database
	}
	var b strings.Builder
	if i.Scheme != "" {
		b.WriteString(i.Scheme)
		b.WriteString("://")
	}
	if i.User != "" {
		b.WriteString(url.PathEscape(i.User))
		b.WriteByte('@')
	}
	switch {
	case strings.HasPrefix(i.Host, "/"):
		b.WriteString("unix(")
		b.WriteString(i.Host)
		b.WriteByte(')')
	case i.Port != 0:
		b.WriteString(net.JoinHostPort(i.Host, strconv.Itoa(i.Port)))
	default:
		b.WriteString(i.Host)
	}
	if i.Database != "" {
		b.WriteByte('/')
		b.WriteString(i.Database)
	}
	return b.String()
}

// Parse reads the user, host, port and database of dsn, a data source
// name of the database system (one of "mysql", "postgresql", "sqlite"; any
// other value is treated by the form of dsn alone). It understands URL DSNs
// (mysql://, postgres://, file: URIs), go-sql-driver/mysql DSNs
// (user:pass@tcp(host:3306)/db?...), read by ParseMySQL, Postgres
// key=value DSNs and SQLite file names. The password is never read into
// the result. ok is false when dsn has none of these forms; the result then
// holds only the scheme.
func Parse(system, dsn string) (info Info, ok bool) {
	info.Scheme = system
	s := strings.TrimSpace(dsn)
	switch {
	case s == "":
		return info, false
	case system == "sqlite" || strings.HasPrefix(s, "file:"):
		return parseSQLiteDSN(info, s)
	case urlSchemeEnd(s) > 0:
		return parseURLDSN(info, s)
	case isKeyValue(s):
		return parseKeyValueDSN(info, s)
	case system == "mysql" || strings.Contains(s, "@"):
		cfg, err := ParseMySQL(s)
		if err != nil {
			return info, false
		}
		if strings.ContainsAny(cfg.User, "?=&") {
			// Not a user name but a path and a query whose value holds
			// '@' (see redactMySQLDSN): what follows might be a secret.
			return info, false
		}
		info.User, info.Database = cfg.User, cfg.DBName
		if cfg.Net == "unix" {
			info.Host = cfg.Addr
		} else {
			info.Host, info.Port = splitHostPort(cfg.Addr)
		}
		return info, true
	}
	return info, false
}

// Redact returns dsn with its password, and the values of sensitive query or
// key=value parameters, replaced by Mask, keeping the DSN's form. It handles
// the forms Parse does. A DSN whose user info cannot be told apart
// reliably loses everything up to its last '@' instead: the result may lose
// information but never shows a password.
func Redact(dsn string) string {
	switch {
	case dsn == "":
		return dsn
	case strings.HasPrefix(dsn, "file:"):
		return redactPathQuery(dsn)
	case urlSchemeEnd(dsn) > 0:
		return redactURLDSN(dsn)
	case isKeyValue(dsn):
		return redactKeyValue(dsn)
	case strings.Contains(dsn, "@"):
		return redactMySQLDSN(dsn)
	default:
		return redactPathQuery(dsn)
	}
}

// urlSchemeEnd returns the index of "://" when s starts with a valid URL
// scheme followed by "://", else -1.
func urlSchemeEnd(s string) int {
	i := strings.Index(s, "://")
	if i <= 0 {
		return -1
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return -1
		}
	}
	return i
}

// parsedURL parses a URL DSN and reports whether its user info is exactly
// the text between "://" and the last '@' (so that a password holding
// '#', '/' or '?' cannot be mistaken for a host or a path).
func parsedURL(s string) (u *url.URL, trusted bool) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, false
	}
	i := urlSchemeEnd(s)
	at := strings.LastIndexByte(s, '@')
	if at < i {
		return u, u.User == nil
	}
	if u.User == nil || u.User.String() != s[i+3:at] {
		return u, false
	}
	if _, has := u.User.Password(); !has {
		// user://name@host/db is also the MySQL DSN of user "user"
		// with the password "//name": never show that name.
		if m, err := ParseMySQL(s); err == nil && m.PasswordStart >= 0 {
			return u, false
		}
	}
	return u, true
}

// untrustedTail returns the last '@' of a URL DSN whose user info cannot
// be told apart, and whether what follows it can be read as host, path and
// query. It cannot when a '?' comes before that '@': the '@' may then be in
// a query value (?password=p@ss/w), whose rest would follow it.
func untrustedTail(s string) (at int, ok bool) {
	i := urlSchemeEnd(s)
	at = strings.LastIndexByte(s, '@')
	if at < i {
		return -1, false
	}
	return at, strings.IndexByte(s[i+3:at], '?') < 0
}

func redactURLDSN(s string) string {
	if u, trusted := parsedURL(s); trusted {
		return redact.URL(u)
	}
	i := urlSchemeEnd(s)
	at, ok := untrustedTail(s)
	if !ok {
		// No user info but the URL does not parse, or the tail might be a
		// secret: keep only the scheme.
		return s[:i+3] + Mask
	}
	return s[:i+3] + Mask + redactPathQuery(s[at:])
}

func parseURLDSN(info Info, s string) (Info, bool) {
	u, trusted := parsedURL(s)
	if !trusted {
		// Keep what follows the last '@' only.
		i := urlSchemeEnd(s)
		at, ok := untrustedTail(s)
		if !ok {
			return info, false
		}
		if u, _ = url.Parse(s[:i+3] + s[at+1:]); u == nil {
			return info, false
		}
	} else if u.User != nil {
		info.User = u.User.Username()
	}
	if info.Scheme == "" {
		info.Scheme = u.Scheme
	}
	info.Host = u.Hostname()
	info.Port, _ = strconv.Atoi(u.Port())
	info.Database = strings.TrimPrefix(u.Path, "/")
	q := u.Query()
	if v := q.Get("dbname"); v != "" && info.Database == "" {
		info.Database = v
	}
	if v := q.Get("user"); v != "" && info.User == "" {
		info.User = v
	}
	return info, true
}

func parseSQLiteDSN(info Info, s string) (Info, bool) {
	if info.Scheme == "" {
		info.Scheme = "sqlite"
	}
	s = strings.TrimPrefix(s, "file:")
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimPrefix(s, "//")
	info.Database = s
	return info, s != ""
}

// redactPathQuery masks sensitive parameters after the first '?' (SQLite
// file names and URIs such as file:x.db?_auth_user=u&_auth_pass=p).
func redactPathQuery(s string) string {
	i := strings.IndexByte(s, '?')
	if i < 0 {
		return s
	}
	return s[:i+1] + redact.Query(s[i+1:])
}

// redactMySQLDSN masks the password of a go-sql-driver/mysql DSN,
// [user[:password]@][net[(addr)]]/dbname[?params], finding it exactly as
// ParseMySQL (and mysql.ParseDSN) do: the last '/', then the last '@'
// before it, then the first ':' before that.
func redactMySQLDSN(s string) string {
	slash := strings.LastIndexByte(s, '/')
	var at int
	if slash < 0 {
		at = strings.LastIndexByte(s, '@')
	} else {
		at = strings.LastIndexByte(s[:slash], '@')
	}
	if at < 0 {
		// A '@' after the last '/' only: not user info; to be safe, mask
		// every parameter value that looks sensitive.
		return redactPathQuery(s)
	}
	user, name := s[:at], s[:at]
	if c := strings.IndexByte(user, ':'); c >= 0 {
		user, name = user[:c+1]+Mask, user[:c]
	}
	rest := s[at:]
	if slash >= 0 {
		rest = redactPathQuery(rest)
	}
	if strings.IndexByte(name, '?') >= 0 {
		// A "user name" holding '?' is more likely a path with a query
		// whose value holds '@' (file.db?_auth_pass=p@ss/x): mask its
		// sensitive parameters too.
		return redactPathQuery(user + rest)
	}
	return user + rest
}

// kv is one key=value pair of a Postgres connection string; start and end
// delimit the raw value (with its quotes).
type kv struct {
	key, val   string
	start, end int
	bad        bool
}

// isKeyValue reports whether s starts like a Postgres key=value DSN.
func isKeyValue(s string) bool {
	s = strings.TrimLeft(s, " \t\n\r")
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	if i == 0 {
		return false
	}
	s = strings.TrimLeft(s[i:], " \t")
	return strings.HasPrefix(s, "=")
}

// parseKV splits a Postgres key=value connection string as libpq does:
// values may be single-quoted, with \' and \\ escapes. It is written here
// because pgx, whose parser this mirrors, is not a dependency of otelkit.
func parseKV(s string) []kv {
	var out []kv
	i := 0
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for i < len(s) {
		for i < len(s) && space(s[i]) {
			i++
		}
		ks := i
		for i < len(s) && s[i] != '=' && !space(s[i]) {
			i++
		}
		key := s[ks:i]
		for i < len(s) && space(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			// Malformed: the rest is one opaque value, masked by
			// redactKeyValue because it might hold a password.
			if ks < len(s) {
				out = append(out, kv{bad: true, start: ks, end: len(s)})
			}
			return out
		}
		i++ // '='
		// libpq skips blanks after '='; when what follows is itself a
		// key=value pair, take the value as empty instead, so that a
		// password never hides inside another key's value.
		if j := i; j < len(s) && space(s[j]) {
			for j < len(s) && space(s[j]) {
				j++
			}
			if !isKeyValue(s[j:]) {
				i = j
			}
		}
		vs := i
		var val strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			for i < len(s) && s[i] != '\'' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
			if i < len(s) {
				i++ // closing quote
			}
		} else {
			for i < len(s) && !space(s[i]) {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
		}
		out = append(out, kv{key: key, val: val.String(), start: vs, end: i})
	}
	return out
}

func sensitiveKey(k string) bool {
	return redact.IsSensitiveName(k) || strings.Contains(strings.ToLower(k), "pass")
}

func redactKeyValue(s string) string {
	var b strings.Builder
	last := 0
	for _, p := range parseKV(s) {
		if !p.bad && !sensitiveKey(p.key) {
			continue
		}
		b.WriteString(s[last:p.start])
		b.WriteString(Mask)
		last = p.end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func parseKeyValueDSN(info Info, s string) (Info, bool) {
	if info.Scheme == "" {
		info.Scheme = "postgresql"
	}
	for _, p := range parseKV(s) {
		switch p.key {
		case "host":
			info.Host, _, _ = strings.Cut(p.val, ",")
		case "port":
			port, _, _ := strings.Cut(p.val, ",")
			info.Port, _ = strconv.Atoi(port)
		case "user":
			info.User = p.val
		case "dbname":
			info.Database = p.val
		}
	}
	return info, true
}

func splitHostPort(addr string) (string, int) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	port, _ := strconv.Atoi(p)
	return h, port
}
