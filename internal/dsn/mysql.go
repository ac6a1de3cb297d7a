package dsn

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// MySQL is what a go-sql-driver/mysql data source name says, read the way
// mysql.ParseDSN reads it but without the driver: importing
// github.com/go-sql-driver/mysql registers a database/sql driver named
// "mysql" in every program that links it, which a library must not do
// behind its user's back. The password is never copied: PasswordStart and
// PasswordEnd delimit it in the DSN (both -1 when there is none), so that a
// caller can mask it in place.
type MySQL struct {
	User   string
	Net    string // "tcp" when the DSN names none
	Addr   string // host:port, a socket path, or the driver's default
	DBName string // path-unescaped, as the driver does
	// Params are the query parameters in order, values as written
	// (not unescaped).
	Params []Param
	// PasswordStart and PasswordEnd delimit the password in the DSN.
	PasswordStart, PasswordEnd int
}

// Param is one key=value parameter of a DSN.
type Param struct{ Key, Value string }

// The errors of ParseMySQL: the structural errors of mysql.ParseDSN.
var (
	errNoSlash   = errors.New("invalid DSN: missing the slash separating the database name")
	errAddr      = errors.New("invalid DSN: network address not terminated (missing closing brace)")
	errUnescaped = errors.New("invalid DSN: did you forget to escape a param value?")
	errDefault   = errors.New("invalid DSN: default addr for network unknown")
	errDBName    = errors.New("invalid DSN: invalid dbname escape")
)

// ParseMySQL reads dsn, [user[:password]@][net[(addr)]]/dbname[?param=value&...],
// exactly where mysql.ParseDSN of go-sql-driver/mysql v1.x reads it:
//
//   - the last '/' separates the database name (a password or an address
//     may hold '/');
//   - the last '@' before it ends the user info, and the first ':' in the
//     user info starts the password (a password may hold ':' and '@');
//   - between '@' and '/', net(addr): the address runs from the first '('
//     to a ')' that must end the part;
//   - the parameters follow the first '?' after the last '/', separated by
//     '&'; a parameter without '=' is skipped.
//
// It then applies the driver's defaults: net "tcp", address 127.0.0.1:3306
// for tcp (port 3306 added when missing) and /tmp/mysql.sock for unix.
// It does not validate parameter values (booleans, durations, TLS names):
// the driver does that when it connects, and the telemetry does not need
// them. An error is returned exactly when the DSN is not of this form.
func ParseMySQL(dsn string) (MySQL, error) {
	cfg := MySQL{PasswordStart: -1, PasswordEnd: -1}
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		if dsn != "" {
			return MySQL{}, errNoSlash
		}
	} else {
		if slash > 0 {
			// The user info ends at the last '@' before the slash.
			at := strings.LastIndexByte(dsn[:slash], '@')
			if at >= 0 {
				user := dsn[:at]
				if c := strings.IndexByte(user, ':'); c >= 0 {
					cfg.PasswordStart, cfg.PasswordEnd = c+1, at
					user = user[:c]
				}
				cfg.User = user
			}
			// [net[(addr)]] between the '@' (or the start) and the slash.
			proto := dsn[at+1 : slash]
			if p := strings.IndexByte(proto, '('); p >= 0 {
				if dsn[slash-1] != ')' {
					if strings.IndexByte(proto[p+1:], ')') >= 0 {
						return MySQL{}, errUnescaped
					}
					return MySQL{}, errAddr
				}
				cfg.Addr = proto[p+1 : len(proto)-1]
				proto = proto[:p]
			}
			cfg.Net = proto
		}
		name := dsn[slash+1:]
		if q := strings.IndexByte(name, '?'); q >= 0 {
			for kv := range strings.SplitSeq(name[q+1:], "&") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					cfg.Params = append(cfg.Params, Param{k, v})
				}
			}
			name = name[:q]
		}
		var err error
		if cfg.DBName, err = url.PathUnescape(name); err != nil {
			return MySQL{}, errDBName
		}
	}
	if cfg.Net == "" {
		cfg.Net = "tcp"
	}
	switch {
	case cfg.Addr != "":
		if cfg.Net == "tcp" {
			if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
				cfg.Addr = net.JoinHostPort(cfg.Addr, "3306")
			}
		}
	case cfg.Net == "tcp":
		cfg.Addr = "127.0.0.1:3306"
	case cfg.Net == "unix":
		cfg.Addr = "/tmp/mysql.sock"
	default:
		return MySQL{}, errDefault
	}
	return cfg, nil
}
