package sqlx

import (
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/reqinfo"
)

// envSQLCommenter is the variable that switches the SQL commenter on
// ("true") or off ("false", the default) for every DB whose options do not
// decide (WithSQLCommenter wins).
const envSQLCommenter = "OTEL_GO_SQLCOMMENTER"

// SQLCommenterOptions chooses the keys of the SQL comment, after Python's
// commenter_options: every key is on unless omitted, and the comment is
// kept out of db.statement / db.query.text unless InAttributes is set
// (Python's enable_attribute_commenter).
//
// Python's DB-API keys map to Go as follows: db_driver is the driver's
// module path and version ("github.com/go-sql-driver/mysql:v1.9.3", read
// from the binary's build information; the package path alone when the
// build has none); driver_paramstyle is the placeholder style of the
// system ("qmark" for ?, MySQL and SQLite; "numeric" for PostgreSQL's $1);
// dbapi_level, dbapi_threadsafety, mysql_client_version and libpq_version
// have no Go counterpart (database/sql has no API level, and Go drivers
// link no client library) and are never emitted.
type SQLCommenterOptions struct {
	// OmitDBDriver leaves out db_driver.
	OmitDBDriver bool
	// OmitDriverParamstyle leaves out driver_paramstyle.
	OmitDriverParamstyle bool
	// OmitTraceparent leaves out traceparent and tracestate.
	OmitTraceparent bool
	// OmitRoute leaves out route (the http.route of the httpx server
	// span the statement runs under).
	OmitRoute bool
	// OmitController leaves out controller (the endpoint name,
	// flask.endpoint, of the handler of the httpx server span the
	// statement runs under).
	OmitController bool
	// OmitFramework leaves out framework ("net/http:go1.x", when the
	// statement runs under an httpx server span).
	OmitFramework bool
	// InAttributes records the statement with its comment in
	// db.statement / db.query.text.
	InAttributes bool
}

// WithSQLCommenter says whether every statement is sent with a
// sqlcommenter comment (https://google.github.io/sqlcommenter/spec/)
// appended: traceparent and tracestate of the statement's own span, the
// route, controller (endpoint name) and framework of the httpx server span
// it runs under, db_driver and driver_paramstyle.
// Off by default; OTEL_GO_SQLCOMMENTER=true switches it on when this
// option is not given. See the package documentation for the statements
// that are left alone.
func WithSQLCommenter(on bool) Option {
	return optionFunc(func(c *config) { c.commenter, c.commenterSet = on, true })
}

// WithSQLCommenterOptions chooses the keys of the SQL comment (it does not
// switch the commenter on).
func WithSQLCommenterOptions(o SQLCommenterOptions) Option {
	return optionFunc(func(c *config) { c.commenterOpts = o })
}

var envWarned sync.Map // bad OTEL_GO_SQLCOMMENTER values already reported

// commenterFromEnv reads OTEL_GO_SQLCOMMENTER: true or false, in any case;
// unset or empty is false; anything else is false with one warning per
// distinct value.
func commenterFromEnv() bool {
	v := strings.TrimSpace(os.Getenv(envSQLCommenter))
	switch strings.ToLower(v) {
	case "":
		return false
	case "true":
		return true
	case "false":
		return false
	}
	if _, dup := envWarned.LoadOrStore(v, true); !dup {
		otel.Handle(fmt.Errorf("%s: ignoring invalid value %q (want true or false); the SQL commenter stays off", envSQLCommenter, v))
	}
	return false
}

// commenter is the per-database part of the comment, built once.
type commenter struct {
	opts SQLCommenterOptions
	// static holds the key='value' pairs that do not change per statement
	// (db_driver, driver_paramstyle), already encoded.
	dbDriver, paramstyle string
}

func newCommenter(o SQLCommenterOptions, d driver.Driver, system string) *commenter {
	c := &commenter{opts: o}
	if !o.OmitDBDriver {
		c.dbDriver = driverName(d)
	}
	if !o.OmitDriverParamstyle {
		switch system {
		case "mysql", "sqlite":
			c.paramstyle = "qmark"
		case "postgresql":
			c.paramstyle = "numeric"
		}
	}
	reqinfo.Enable()
	return c
}

// driverName is the module path and version of d's package, or its
// package path.
func driverName(d driver.Driver) string {
	pkg := driverPkgPath(d)
	if pkg == "" {
		return ""
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		best := ""
		ver := ""
		for _, m := range bi.Deps {
			if (pkg == m.Path || strings.HasPrefix(pkg, m.Path+"/")) && len(m.Path) > len(best) {
				best, ver = m.Path, m.Version
				if m.Replace != nil && m.Replace.Version != "" {
					ver = m.Replace.Version
				}
			}
		}
		if best != "" && ver != "" {
			return best + ":" + ver
		}
	}
	return pkg
}

// comment returns the comment for a statement run in ctx whose span has
// the context sc, "/*k='v',...*/", or "" when there is nothing to say.
func (c *commenter) comment(ctx context.Context, sc trace.SpanContext) string {
	var buf [7][2]string
	kv := buf[:0]
	// Appended in key order, so that formatComment has nothing to sort.
	if !c.opts.OmitController {
		if e := reqinfo.Endpoint(ctx); e != "" {
			kv = append(kv, [2]string{"controller", e})
		}
	}
	if c.dbDriver != "" {
		kv = append(kv, [2]string{"db_driver", c.dbDriver})
	}
	if c.paramstyle != "" {
		kv = append(kv, [2]string{"driver_paramstyle", c.paramstyle})
	}
	if !c.opts.OmitFramework && reqinfo.Attached(ctx) {
		kv = append(kv, [2]string{"framework", framework})
	}
	if !c.opts.OmitRoute {
		if r := reqinfo.Route(ctx); r != "" {
			kv = append(kv, [2]string{"route", r})
		}
	}
	if !c.opts.OmitTraceparent && sc.IsValid() {
		kv = append(kv, [2]string{"traceparent", traceparent(sc)})
		if ts := sc.TraceState(); ts.Len() > 0 {
			kv = append(kv, [2]string{"tracestate", ts.String()})
		}
	}
	return formatComment(kv)
}

// framework is the framework key of a statement run under an httpx server
// span: the HTTP server's package and the Go release it comes with, as
// Python's Flask commenter gives "flask:<version>".
var framework = "net/http:" + runtime.Version()

func traceparent(sc trace.SpanContext) string {
	var b [55]byte
	tid, sid := sc.TraceID(), sc.SpanID()
	const hex = "0123456789abcdef"
	b[0], b[1], b[2] = '0', '0', '-'
	for i, x := range tid {
		b[3+2*i], b[4+2*i] = hex[x>>4], hex[x&15]
	}
	b[35] = '-'
	for i, x := range sid {
		b[36+2*i], b[37+2*i] = hex[x>>4], hex[x&15]
	}
	b[52] = '-'
	f := sc.TraceFlags()
	b[53], b[54] = hex[f>>4], hex[f&15]
	return string(b[:])
}

// formatComment is the sqlcommenter serialisation of kv: key='value'
// pairs sorted by key, comma-separated, keys and values URL-encoded and
// then single quotes escaped, inside /* */. Encoding leaves only
// letters, digits and -_.~ unescaped, so the comment can hold no quote, no
// */ and no placeholder character (? $ : @).
func formatComment(kv [][2]string) string {
	if len(kv) == 0 {
		return ""
	}
	// Insertion sort: a handful of keys, mostly in order already, and no
	// allocation.
	size := 4
	for i := range kv {
		for j := i; j > 0 && kv[j][0] < kv[j-1][0]; j-- {
			kv[j], kv[j-1] = kv[j-1], kv[j]
		}
		size += len(kv[i][0]) + len(kv[i][1]) + 4
	}
	var b strings.Builder
	b.Grow(size + size/4)
	b.WriteString("/*")
	for i, p := range kv {
		if i > 0 {
			b.WriteByte(',')
		}
		writeEscaped(&b, p[0])
		b.WriteString("='")
		writeEscaped(&b, p[1])
		b.WriteByte('\'')
	}
	b.WriteString("*/")
	return b.String()
}

// writeEscaped writes s URL-encoded (RFC 3986: everything but unreserved
// characters as %XX, a space as %20, as Python's urllib.parse.quote with
// safe=""), then with ' escaped as \' (a no-op after the encoding, kept
// for the spec's letter).
func writeEscaped(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '\'':
			b.WriteString(`\'`)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}

// commentable reports whether a comment may be appended to query, read
// with d's rules: never to a statement that holds a comment already (the
// sqlcommenter rule, which also keeps away from MySQL's /*! and MariaDB's
// /*M! comments the server executes), nor to one that is empty or ends
// inside a string or quoted identifier (the comment would land inside
// it).
func commentable(query string, d dialect) bool {
	if strings.TrimRight(query, " \t\r\n\f\v;") == "" {
		return false
	}
	r := d.rules()
	if strings.Contains(query, "/*") || strings.Contains(query, "--") || strings.Contains(query, "*/") {
		return false
	}
	if r&ruleHashComment != 0 || d == dialectOther {
		if strings.IndexByte(query, '#') >= 0 {
			return false
		}
	}
	l := lexer{s: query, rules: r}
	for {
		t := l.next()
		switch t.kind {
		case tokEOF:
			return true
		case tokQuoted:
			if t.open {
				return false
			}
		case tokString:
			if !closedString(t.text, r) {
				return false
			}
		}
	}
}

// closedString reports whether the string token text ends with its
// closing quote.
func closedString(text string, r rules) bool {
	i := strings.IndexAny(text, `'"$`)
	if i < 0 {
		return false
	}
	if text[i] == '$' {
		j := strings.IndexByte(text[i+1:], '$')
		if j < 0 {
			return false
		}
		delim := text[i : i+j+2]
		return len(text) >= i+2*len(delim) && strings.HasSuffix(text, delim)
	}
	if i > 0 && r&ruleQQuote != 0 && (text[i-1] == 'q' || text[i-1] == 'Q') {
		// Oracle's q'<d>...<d>': closed when it ends with the closing
		// delimiter and the quote (an open one runs to the end).
		if len(text) < i+4 {
			return false
		}
		d := qQuoteMate(text[i+1])
		return text[len(text)-2] == d && text[len(text)-1] == '\''
	}
	backslash := r&ruleBackslash != 0 || i > 0 && (text[i-1] == 'e' || text[i-1] == 'E')
	end, closed := quoteEndClosed(text, i, text[i], backslash)
	return closed && end == len(text)
}

// insertComment appends comment to query, before a trailing ; (and the
// white space around it), with one space between.
func insertComment(query, comment string) string {
	if comment == "" {
		return query
	}
	end := len(query)
	for end > 0 && strings.IndexByte(" \t\r\n\f\v", query[end-1]) >= 0 {
		end--
	}
	semi := end
	for semi > 0 && (query[semi-1] == ';' || strings.IndexByte(" \t\r\n\f\v", query[semi-1]) >= 0) {
		semi--
	}
	if semi < end {
		return query[:semi] + " " + comment + query[semi:]
	}
	return query[:end] + " " + comment + query[end:]
}
