package otelkit

// SemconvMode selects which semantic conventions a domain (HTTP, database,
// messaging) emits. The zero value is the default: the spec's names and keys.
// OTEL_SEMCONV_STABILITY_OPT_IN sets it per domain from the environment
// ("http", "http/dup", "database", "database/dup", "messaging",
// "messaging/dup"); each wrapper's WithSemconv option overrides it in code.
//
//	mode             span names                 keys
//	SemconvOld       spec (mysql.query, ...)     spec (http.method, db.statement, ...)
//	SemconvStable    stable (GET /r, SELECT t)   stable only
//	SemconvDup       stable                      spec and stable
type SemconvMode uint8

const (
	// SemconvOld emits the spec's (pre-stable) names and keys. It is the default.
	SemconvOld SemconvMode = iota
	// SemconvStable emits only the stable names and keys.
	SemconvStable
	// SemconvDup emits both the old and the stable keys, with stable span names.
	SemconvDup
)

// String returns "old", "stable" or "dup".
func (m SemconvMode) String() string {
	switch m {
	case SemconvStable:
		return "stable"
	case SemconvDup:
		return "dup"
	default:
		return "old"
	}
}
