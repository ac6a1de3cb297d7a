package otelkit

// ExceptionSignal selects on which signals a wrapper records an exception
// (a handler's panic, an operation that failed). The zero value,
// ExceptionSignalFromEnv, leaves it to OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN,
// read at each exception (unset: span events; "logs": log records;
// "logs/dup": both); each wrapper's WithExceptionSignal option overrides the
// variable in code, for that wrapper's exceptions only.
type ExceptionSignal uint8

const (
	// ExceptionSignalFromEnv follows OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN.
	// It is the default.
	ExceptionSignalFromEnv ExceptionSignal = iota
	// ExceptionEvents records an "exception" span event only, as with the
	// variable unset.
	ExceptionEvents
	// ExceptionLogs emits a log record only, as "logs" does.
	ExceptionLogs
	// ExceptionLogsDup records both the span event and the log record, as
	// "logs/dup" does.
	ExceptionLogsDup
)

// String returns "env", "events", "logs" or "logs/dup".
func (s ExceptionSignal) String() string {
	switch s {
	case ExceptionEvents:
		return "events"
	case ExceptionLogs:
		return "logs"
	case ExceptionLogsDup:
		return "logs/dup"
	default:
		return "env"
	}
}
