package otelboot

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/otelkit/otelkit/internal/redact"
)

// env reads OTEL_* variables, validates them and records what is wrong: an
// error (Start fails, naming the variable) or a warning (logged once, the
// default is used), following the rule documented in the package overview.
type env struct {
	log  *slog.Logger
	errs []error
	seen map[string]bool // variables already reported
	// used records, for the tests, the value used instead of each value
	// outside its bound.
	used map[string]string
	// pendingLevel is an invalid OTEL_LOG_LEVEL, read before the logger
	// that reports it exists.
	pendingLevel string
}

func newEnv(log *slog.Logger) *env {
	return &env{log: log, seen: map[string]bool{}, used: map[string]string{}}
}

// get returns the trimmed value of key; an empty value counts as unset, as
// the specification says.
func get(key string) (string, bool) {
	v := strings.TrimSpace(os.Getenv(key))
	return v, v != ""
}

// warn logs that key=value is invalid and def is used instead.
func (e *env) warn(key, value, problem, def string) {
	if e.seen[key] {
		return
	}
	e.seen[key] = true
	e.log.Warn("otelboot: invalid value, using the default",
		"variable", key, "value", value, "problem", problem, "default", def)
}

// fail records an error naming key and its (already redacted) value.
func (e *env) fail(key, value, problem string) {
	if e.seen[key] {
		return
	}
	e.seen[key] = true
	e.errs = append(e.errs, fmt.Errorf("otelboot: %s=%q: %s", key, value, problem))
}

func (e *env) err() error { return errors.Join(e.errs...) }

// boolean reads a boolean: only "true" (any case) is true; anything but
// "false" is warned about.
func (e *env) boolean(key string) bool {
	v, ok := get(key)
	if !ok {
		return false
	}
	switch {
	case strings.EqualFold(v, "true"):
		return true
	case strings.EqualFold(v, "false"):
		return false
	}
	e.warn(key, v, `not "true" or "false"`, "false")
	return false
}

// enum reads a case-insensitive value from allowed; unknown values are
// warned about and def is returned.
func (e *env) enum(key, def string, allowed ...string) string {
	v, ok := get(key)
	if !ok {
		return def
	}
	l := strings.ToLower(v)
	if slices.Contains(allowed, l) {
		return l
	}
	e.warn(key, v, "not one of "+strings.Join(allowed, ", "), def)
	return def
}

// list splits a comma-separated value into trimmed, lower-case,
// de-duplicated, non-empty names.
func list(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// exporters reads OTEL_<SIGNAL>_EXPORTER. Unknown names are an error: a
// typo must not silently send telemetry elsewhere or nowhere.
func (e *env) exporters(key string, known ...string) []string {
	v, ok := get(key)
	if !ok {
		return []string{"otlp"}
	}
	names := list(v)
	var bad []string
	for _, n := range names {
		if n != "none" && !slices.Contains(known, n) {
			bad = append(bad, n)
		}
	}
	switch {
	case len(bad) > 0:
		e.fail(key, v, fmt.Sprintf("unknown exporter %s (known: %s, none; or a comma-separated list of them)",
			strings.Join(bad, ", "), strings.Join(known, ", ")))
		return nil
	case slices.Contains(names, "none") && len(names) > 1:
		e.fail(key, v, `"none" cannot be combined with other exporters`)
		return nil
	case len(names) == 0 || names[0] == "none":
		return nil
	}
	return names
}

// otlpKeys names the general and the per-signal variable of one OTLP
// setting, the per-signal one taking precedence.
func otlpKeys(signal, setting string) (general, specific string) {
	return "OTEL_EXPORTER_OTLP_" + setting, "OTEL_EXPORTER_OTLP_" + signal + "_" + setting
}

// protocol returns the OTLP protocol for signal (TRACES, METRICS, LOGS):
// "http/protobuf" (the default) or "grpc". http/json, which the Go exporters
// do not implement, and unknown values are errors.
func (e *env) protocol(signal string) string {
	g, s := otlpKeys(signal, "PROTOCOL")
	key := s
	v, ok := get(s)
	if !ok {
		key = g
		v, ok = get(g)
	}
	if !ok {
		return "http/protobuf"
	}
	switch l := strings.ToLower(v); l {
	case "http/protobuf", "grpc":
		return l
	case "http/json":
		e.fail(key, v, "http/json is not implemented by the Go OTLP exporters; use http/protobuf or grpc")
	default:
		e.fail(key, v, "unknown protocol (want http/protobuf or grpc)")
	}
	return ""
}

// checkOTLP validates the OTLP exporter variables that the exporter for
// signal reads itself (endpoint, headers, timeout, compression, insecure,
// certificates). It returns the effective export timeout in milliseconds
// and whether the exporter must be given it explicitly (when a set timeout
// is invalid: the exporter would otherwise use a negative one).
func (e *env) checkOTLP(signal, proto string) (timeoutMS int, force bool) {
	for _, key := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT"} {
		if v, ok := get(key); ok {
			if problem := badEndpoint(v, proto); problem != "" {
				e.fail(key, redact.URLString(v), problem)
			}
		}
	}
	for _, key := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_" + signal + "_HEADERS"} {
		if v, ok := get(key); ok {
			if problem := badHeaders(v); problem != "" {
				e.fail(key, redactHeaders(v), problem)
			}
		}
	}
	// The timeout is always given to the exporter explicitly, as bounded:
	// the exporter would take a negative or huge one.
	g, s := otlpKeys(signal, "TIMEOUT")
	gt, gset := e.bounded(g)
	st, sset := e.bounded(s)
	switch {
	case sset:
		timeoutMS = st
	case gset:
		timeoutMS = gt
	default:
		timeoutMS = int(bounds[g].def)
	}
	force = true
	for _, key := range []string{"OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_" + signal + "_COMPRESSION"} {
		e.enum(key, "none", "gzip", "none")
	}
	for _, key := range []string{"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_" + signal + "_INSECURE"} {
		e.boolean(key)
	}
	for _, pre := range []string{"OTEL_EXPORTER_OTLP_", "OTEL_EXPORTER_OTLP_" + signal + "_"} {
		e.checkTLS(pre)
	}
	return timeoutMS, force
}

// checkTLS fails when a certificate or key file cannot be used: the
// exporter would otherwise log the problem and connect without it.
func (e *env) checkTLS(prefix string) {
	if v, ok := get(prefix + "CERTIFICATE"); ok {
		b, err := readBounded(v)
		switch {
		case err != nil:
			e.fail(prefix+"CERTIFICATE", v, err.Error())
		case !x509.NewCertPool().AppendCertsFromPEM(b):
			e.fail(prefix+"CERTIFICATE", v, "no PEM certificate in the file")
		}
	}
	c, cok := get(prefix + "CLIENT_CERTIFICATE")
	k, kok := get(prefix + "CLIENT_KEY")
	switch {
	case cok && kok:
		cb, err := readBounded(c)
		if err != nil {
			e.fail(prefix+"CLIENT_CERTIFICATE", c, err.Error())
			return
		}
		kb, err := readBounded(k)
		if err != nil {
			e.fail(prefix+"CLIENT_KEY", k, err.Error())
			return
		}
		if _, err := tls.X509KeyPair(cb, kb); err != nil {
			e.fail(prefix+"CLIENT_CERTIFICATE", c, "with "+prefix+"CLIENT_KEY: "+err.Error())
		}
	case cok:
		e.fail(prefix+"CLIENT_CERTIFICATE", c, prefix+"CLIENT_KEY is not set")
	case kok:
		e.fail(prefix+"CLIENT_KEY", k, prefix+"CLIENT_CERTIFICATE is not set")
	}
}

// badEndpoint says what is wrong with an OTLP endpoint, or "".
func badEndpoint(v, proto string) string {
	u, err := url.Parse(v)
	if err != nil {
		return "not a URL"
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "no host in the URL"
		}
		return badPort(u.Port())
	case "unix", "unix-abstract":
		if proto == "grpc" {
			return ""
		}
	}
	return "not a URL with an http or https scheme (for example http://localhost:4318)"
}

// badPort says what is wrong with the port of a URL (empty: the scheme's
// default), or "".
func badPort(p string) string {
	if p == "" {
		return ""
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %s is not within 1-65535", p)
	}
	return ""
}

// maxFileSize bounds every file a variable names (certificates, keys, the
// configuration file): /dev/zero or a huge file must not exhaust memory.
const maxFileSize = 4 << 20

// readBounded reads a regular file of at most maxFileSize bytes.
func readBounded(name string) ([]byte, error) {
	// Stat before opening: opening a FIFO would block.
	if fi, err := os.Stat(name); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("larger than %d MiB", maxFileSize>>20)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("larger than %d MiB", maxFileSize>>20)
	}
	return b, nil
}

// badHeaders checks a W3C-baggage-style header list the way the OTLP
// exporters parse it, and says what is wrong, or "".
func badHeaders(v string) string {
	for i, pair := range strings.Split(v, ",") {
		n, val, ok := strings.Cut(pair, "=")
		if !ok {
			return fmt.Sprintf("entry %d has no '=' (want name=value,name=value)", i+1)
		}
		n = strings.TrimSpace(n)
		if n == "" || strings.IndexFunc(n, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
			return fmt.Sprintf("entry %d: invalid header name %q", i+1, n)
		}
		dec, err := url.PathUnescape(val)
		if err != nil {
			return fmt.Sprintf("entry %d (%s): the value is not valid percent-encoding", i+1, n)
		}
		// Every export would fail with "invalid header field value".
		if strings.ContainsFunc(dec, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Sprintf("entry %d (%s): the value decodes to a control character (CR, LF, NUL, ...)", i+1, n)
		}
	}
	return ""
}

func isTokenChar(r rune) bool {
	return r <= unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
}

// redactHeaders returns a header list with every value masked. Entries
// without '=' are masked whole, since they may be a bare secret.
func redactHeaders(v string) string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		if n, _, ok := strings.Cut(p, "="); ok {
			parts[i] = strings.TrimSpace(n) + "=" + redact.Mask
		} else {
			parts[i] = redact.Mask
		}
	}
	return strings.Join(parts, ",")
}

// firstSet returns the first of keys that is set, with its value.
func firstSet(keys ...string) (key, value string, ok bool) {
	for _, k := range keys {
		if v, ok := get(k); ok {
			return k, v, true
		}
	}
	return "", "", false
}

// checkPrometheus validates OTEL_EXPORTER_PROMETHEUS_PORT: an error, since
// another port would serve the metrics where no scraper looks (0 picks a
// free port).
func (e *env) checkPrometheus(plans []exporterPlan) {
	if !slices.ContainsFunc(plans, func(p exporterPlan) bool { return p.name == "prometheus" }) {
		return
	}
	if v, ok := get("OTEL_EXPORTER_PROMETHEUS_PORT"); ok {
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 65535 {
			e.fail("OTEL_EXPORTER_PROMETHEUS_PORT", v, "not a port within 0-65535")
		}
	}
}
