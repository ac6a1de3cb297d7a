package app

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/otelkit/otelkit/internal/redact"
)

// StartError is a backend the service could not use at start-up. Its
// message is one line: the backend, what went wrong, and the environment
// variable to change, with every secret of the configuration removed.
type StartError struct {
	// Backend names the backend: "database", "redis", "kafka",
	// "external API" or "admin account".
	Backend string
	// Variable is the environment variable to change.
	Variable string
	// Err is the cause.
	Err error

	msg string // the redacted cause, on one line
}

// Error returns "BACKEND: CAUSE (change VARIABLE)".
func (e *StartError) Error() string {
	return fmt.Sprintf("%s: %s (change %s)", e.Backend, e.msg, e.Variable)
}

// Unwrap returns the cause.
func (e *StartError) Unwrap() error { return e.Err }

// startError builds a StartError whose message holds none of cfg's secrets.
func (cfg Config) startError(backend, variable string, err error) *StartError {
	return &StartError{Backend: backend, Variable: variable, Err: err, msg: cfg.scrub(err.Error())}
}

// secrets lists the values of cfg that must never be printed: the MySQL
// password, the Redis password, the admin password, and the password and
// sensitive query values of EXTERNAL_API_URL.
func (cfg Config) secrets() []string {
	var out []string
	if cfg.MySQLDSN != "" {
		if mc, err := mysql.ParseDSN(cfg.MySQLDSN); err == nil {
			out = append(out, mc.Passwd)
		} else {
			// An unparsable DSN: everything between the first ':' and the
			// last '@' may be a password.
			if i, j := strings.Index(cfg.MySQLDSN, ":"), strings.LastIndex(cfg.MySQLDSN, "@"); i >= 0 && j > i {
				out = append(out, cfg.MySQLDSN[i+1:j])
			}
		}
	}
	out = append(out, cfg.RedisPassword, cfg.AdminPassword)
	if cfg.ExternalAPIURL != "" {
		if u, err := url.Parse(cfg.ExternalAPIURL); err == nil {
			if pw, ok := u.User.Password(); ok {
				out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
			}
			for k, vs := range u.Query() {
				if redact.IsSensitiveName(k) {
					out = append(out, vs...)
				}
			}
		}
	}
	return out
}

// scrub removes cfg's secrets from s and folds it onto one line.
func (cfg Config) scrub(s string) string {
	for _, sec := range cfg.secrets() {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redact.Mask)
		}
	}
	s = strings.ReplaceAll(s, "\r", "")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
