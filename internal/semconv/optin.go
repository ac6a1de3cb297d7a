// Package semconv is the one place where otelkit decides which semantic
// conventions its instrumentation emits.
//
// The upstream instrumentations (otelhttp, otelsql, redisotel) emit only the
// current stable conventions. The telemetry spec of this project asks for the
// older keys and names (http.method, db.statement, messaging.destination...).
// OTEL_SEMCONV_STABILITY_OPT_IN, as the OpenTelemetry specification defines
// it, selects per domain:
//
//	unset            the spec's (old) names and keys; stable keys that an
//	                 upstream library always emits stay beside them
//	http             stable names and keys only (likewise database, messaging)
//	http/dup         both sets of keys; stable span names
//
// Parse and FromEnv read the variable; the key tables for each domain live in
// this package too (http.go, db.go, messaging.go).
package semconv

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"

	"github.com/otelkit/otelkit"
)

// EnvOptIn is the name of the environment variable read by FromEnv.
const EnvOptIn = "OTEL_SEMCONV_STABILITY_OPT_IN"

// Mode says which conventions a domain emits. It is the public
// otelkit.SemconvMode, so that the wrappers' WithSemconv options can be
// called from outside the module.
type Mode = otelkit.SemconvMode

// The modes, as otelkit defines them.
const (
	Old    = otelkit.SemconvOld
	Stable = otelkit.SemconvStable
	Dup    = otelkit.SemconvDup
)

// OptIn is the parsed value of OTEL_SEMCONV_STABILITY_OPT_IN.
type OptIn struct {
	HTTP      Mode
	Database  Mode
	Messaging Mode
}

// Parse parses a comma-separated OTEL_SEMCONV_STABILITY_OPT_IN value. Tokens
// are trimmed and case-insensitive; "<domain>/dup" wins over "<domain>" when
// both are present, as the specification says. Tokens it does not know are
// returned in unknown (sorted, deduplicated) and otherwise ignored.
func Parse(v string) (o OptIn, unknown []string) {
	seen := map[string]bool{}
	for _, tok := range strings.Split(v, ",") {
		tok = strings.ToLower(strings.TrimSpace(tok))
		if tok == "" {
			continue
		}
		var m *Mode
		domain, dup := strings.CutSuffix(tok, "/dup")
		switch domain {
		case "http":
			m = &o.HTTP
		case "database":
			m = &o.Database
		case "messaging":
			m = &o.Messaging
		}
		if m == nil {
			if !seen[tok] {
				seen[tok] = true
				unknown = append(unknown, tok)
			}
			continue
		}
		if dup {
			*m = Dup
		} else if *m != Dup {
			*m = Stable
		}
	}
	sort.Strings(unknown)
	return o, unknown
}

var warned sync.Map // value of the variable -> struct{}: warn once per value

// FromEnv parses OTEL_SEMCONV_STABILITY_OPT_IN from the environment. Unknown
// tokens are reported once per distinct value through otel.Handle, so the
// warning reaches the error handler that otelboot installs.
func FromEnv() OptIn {
	v := os.Getenv(EnvOptIn)
	o, unknown := Parse(v)
	if len(unknown) > 0 {
		if _, dup := warned.LoadOrStore(v, struct{}{}); !dup {
			otel.Handle(fmt.Errorf("%s: ignoring unknown value(s) %q; known: http, http/dup, database, database/dup, messaging, messaging/dup", EnvOptIn, unknown))
		}
	}
	return o
}

// EmitOld reports whether mode m emits the old (spec) keys.
func EmitOld(m Mode) bool { return m == Old || m == Dup }

// EmitStable reports whether mode m emits the stable keys.
func EmitStable(m Mode) bool { return m == Stable || m == Dup }

// StableNames reports whether span names follow the stable conventions in
// mode m.
func StableNames(m Mode) bool { return m != Old }
