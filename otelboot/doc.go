// Package otelboot configures OpenTelemetry from the standard OTEL_*
// environment variables with one call, the way Python's
// opentelemetry-instrument does with no code:
//
//	func main() {
//		shutdown, err := otelboot.Start(ctx, otelboot.WithServiceName("hyunwoo"))
//		if err != nil {
//			log.Printf("telemetry off: %v", err) // the service keeps running
//		}
//		defer shutdown(context.Background())
//		...
//	}
//
// # What Start does
//
// Start builds a tracer, a meter and a logger provider with the exporters
// the environment names, and sets them as the global providers together with
// the text-map propagator, the OpenTelemetry error handler and the SDK's
// internal logger. Unless [WithDefaultLogger](false), it also makes slog's
// default logger write slog's plain text on standard error and, when log
// records go anywhere, send every record as an OTLP log carrying the trace
// and span ids of its context. The text on standard error carries them, in
// the correlated layout, only with log correlation on
// (OTELKIT_LOG_CORRELATION=true or [WithLogCorrelation](true); off by
// default, as in Python). Span metrics (span_rate, error_rate, duration)
// are derived from every finished span unless [WithSpanMetrics](false). When
// OTELKIT_VIEW_ADDR is set, it serves the live view there (with
// OTELKIT_VIEW_LOG_FINDINGS=true, each new finding of the view is also
// logged once at WARN through the logger provider). The Go runtime
// metrics of the contrib runtime instrumentation (go.memory.used,
// go.goroutine.count, go.memory.gc.goal, go.schedule.duration, ...) are
// recorded on its meter provider unless [WithRuntimeMetrics](false) or
// runtime in OTEL_GO_DISABLED_INSTRUMENTATIONS.
//
// # Switching instrumentations off
//
// OTEL_GO_DISABLED_INSTRUMENTATIONS and OTEL_GO_ENABLED_INSTRUMENTATIONS
// (comma lists with the OpenTelemetry Go compile-time instrumentation's
// names: nethttp, databasesql, redis, kafka, slog, runtime; also
// nethttp/server, nethttp/client, logs/slog, runtimemetrics) and Python's
// OTEL_PYTHON_DISABLED_INSTRUMENTATIONS (flask, requests, mysql, pymysql,
// mysqlclient, sqlalchemy, redis, kafka, confluent_kafka, kafka-python,
// logging) switch instrumentations off. An instrumentation is on unless the
// enabled list holds names and not one of its own, or a disabled list names
// it. Each wrapper reads them when it is built (so one built before Start
// obeys them too) and, switched off, returns the bare value: httpx's
// handler, mux and transport pass calls straight through, sqlx opens a
// plain sql.DB, redisx adds no hook, kafkax.Opts returns no option. With
// slog switched off the default logger is slog's plain text handler, with
// neither trace ids nor OTLP records. Start warns once per variable about
// unknown names.
//
// Start never waits on the network: exporters connect lazily, so Start with
// the collector down takes a few milliseconds (see BenchmarkStart).
//
// [WithSummary] reports what Start really built, after defaults, per-signal
// settings and the replacement of bad values: the service name, each
// signal's exporters with the OTLP protocol and the URL the exporter posts
// to (credentials left out), the sampler, the propagated headers, span
// metrics and the live view. Its String method is a one-line start-up
// message:
//
//	shutdown, err := otelboot.Start(ctx, otelboot.WithSummary(func(s otelboot.Summary) {
//		log.Printf("telemetry: %s", s)
//	}))
//
// # Shutdown
//
// The returned [ShutdownFunc] restores slog's previous default logger, then
// flushes and stops the three providers in parallel (so one unreachable
// exporter does not eat the others' share of the deadline), within the
// deadline of its context. Its error joins, per signal, what could not be
// flushed or stopped ("otelboot: flushing traces: ..."). A second call
// returns nil at once. The bound is the same for every protocol: with the
// collector hanging, shutdown returns at the deadline; with nothing
// listening, at once (once shutdown has begun, the gRPC exporters no longer
// retry an export that has no connection, as the HTTP ones never do).
//
// # Where settings come from
//
// Options set defaults and add components; the environment overrides the
// defaults: [WithServiceName], [WithServiceVersion] and
// [WithResourceAttributes] give way to OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES. [WithSpanProcessor], [WithMetricReader] and
// [WithLogProcessor] add to what the environment configures.
//
// Most variables are read by the component they configure, and otelboot
// lets them: the OTLP exporters read OTEL_EXPORTER_OTLP_* (endpoint and its
// path rules, headers, timeout, compression, TLS files, the metrics
// temporality and histogram preferences), the metric SDK reads the
// exemplar filter, contrib's autoprop builds the propagators and contrib's otelconf
// reads OTEL_CONFIG_FILE. otelboot adds what they lack: lists of exporters
// ("console,otlp"), OTEL_SDK_DISABLED, OTEL_LOG_LEVEL, the prometheus
// exporter's server, the resource, a bound on the whole export by
// OTEL_EXPORTER_OTLP_TIMEOUT (the Go OTLP/HTTP exporters bound each attempt
// and retry for a minute), an http:// endpoint staying insecure whatever
// OTEL_EXPORTER_OTLP_INSECURE says, and a validation of every value first,
// so that a bad value is reported once, naming the variable. Every number
// (the sampler ratio, OTEL_BSP_*, OTEL_BLRP_*, OTEL_METRIC_EXPORT_*, the
// OTLP timeouts, the span and log record limits) is validated, bounded and
// given to the SDK explicitly, since the SDK would take any integer.
//
// The repository's README has the full table of variables, defaults and
// which component honours each.
//
// # Bad values
//
// A bad value never panics and is never silently ignored. Values whose
// fallback would send telemetry somewhere else, in another way or without
// its credentials are errors: Start returns an error naming the variable
// and the value (header values masked as REDACTED). All or nothing: a
// failed Start leaves every global (the tracer, meter and logger
// providers, the propagator, the error handler, the otel logger, slog's
// default logger) as it was, and nothing it built running (no goroutine,
// no listener, no exporter connection): it validates and builds
// everything first and sets the globals last. (otelconf.NewSDK, which
// builds the providers of OTEL_CONFIG_FILE, returns on an error in the
// tracer or logger provider without stopping the meter provider it has
// already built; otelboot therefore checks those sections by otelconf's
// rules before calling it.) The errors:
//
//   - OTEL_{TRACES,METRICS,LOGS}_EXPORTER: an unknown name, or none with others
//   - OTEL_EXPORTER_OTLP_[SIGNAL_]PROTOCOL: http/json (the Go exporters do
//     not implement it) or an unknown protocol
//   - OTEL_EXPORTER_OTLP_[SIGNAL_]ENDPOINT: not an http(s) URL with a host,
//     or a port outside 1-65535
//   - OTEL_EXPORTER_OTLP_[SIGNAL_]HEADERS: not name=value,..., bad
//     percent-encoding, or a value that decodes to a control character
//     (CR, LF, NUL, ...: every export would fail); the error names the header
//   - OTEL_EXPORTER_OTLP_[SIGNAL_]{CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY}:
//     a file that cannot be read or parsed, is not a regular file or is
//     larger than 4 MiB, or a certificate without its key
//   - OTEL_CONFIG_FILE: a file that cannot be read or parsed, is not a
//     regular file or is larger than 4 MiB, a file_format version other
//     than 1.0 (or 1.0-rc.N), or a number outside the range of the
//     equivalent variable (otelconf reads the file itself, so the bound
//     cannot be put in its place)
//   - OTEL_EXPORTER_PROMETHEUS_HOST/PORT and OTELKIT_VIEW_ADDR: an address
//     that cannot be listened on, or a port outside 0-65535
//   - OTELKIT_LOG_FORMAT / OTEL_PYTHON_LOG_FORMAT: an unknown placeholder
//
// Tuning values are warnings, as the specification says for booleans,
// numbers and enumerations: otelboot logs one warning naming the variable,
// the value and the value used instead. For a number: not an integer (NaN,
// a fraction, a word) or outside the variable's domain (a negative size, a
// zero delay) means the default; an integer beyond the documented range
// (the README lists each one) means the nearest bound, so that no value
// can allocate without bound, overflow a duration, spin or post hundreds
// of times a second. These are
// OTEL_SDK_DISABLED, OTEL_LOG_LEVEL, OTEL_RESOURCE_ATTRIBUTES (the SDK keeps
// the well-formed entries), OTEL_PROPAGATORS (unknown names are left out),
// OTEL_TRACES_SAMPLER and its argument (a ratio outside [0, 1], NaN or an
// infinity means 1.0),
// OTEL_BSP_*, OTEL_BLRP_*, OTEL_METRIC_EXPORT_* (a negative interval
// included), OTEL_METRICS_EXEMPLAR_FILTER, the OTLP timeout, compression and
// insecure flag, the temporality and histogram preferences, the span, event,
// link, attribute and log record limits, and OTELKIT_LOG_CORRELATION.
//
// # Prometheus
//
// OTEL_METRICS_EXPORTER=prometheus serves /metrics on
// OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT (default
// localhost:9464) with series named as an OpenTelemetry Collector's
// prometheus exporter names them with add_metric_suffixes: false and
// resource_to_telemetry_conversion enabled (the demo's deploy/otel-collector.yaml),
// so that one dashboard reads both: no unit or _total suffix (a histogram
// "duration" in ms is duration_bucket, not duration_milliseconds_bucket;
// a counter "requests" is requests, not requests_total), dots in names
// escaped to underscores, and the resource attributes service.name,
// service.namespace, service.instance.id, deployment.environment and
// deployment.environment.name, when set, as labels on every series
// (service_name="..."). Every resource attribute stays in target_info;
// the instrumentation scope stays in otel_scope_* labels.
//
// # Collector down
//
// With nothing listening, spans, points and records wait in the batch
// queues (OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BLRP_MAX_QUEUE_SIZE, 2048 each by
// default) and the excess is dropped, so memory stays bounded and requests
// are not slowed. Export errors reach the error handler, which writes each
// kind of error at most once per interval ([WithErrorInterval], one minute
// by default) with the count of those it held back; the SDK's own warnings
// are rate-limited the same way.
//
// # Diagnostics
//
// otelboot's warnings, the SDK's internal log and the error handler write
// to a text logger on standard error, or to [WithLogger]'s, filtered by
// OTEL_LOG_LEVEL (debug, info (default), warn, error or none). They never
// go through slog's default logger, whose records may be exported. They
// are installed as the OpenTelemetry logger and error handler only once
// Start has succeeded, so what the SDK says while Start builds goes to
// the ones in place before: the only such message is the metric SDK's own
// complaint about an OTEL_METRIC_EXPORT_INTERVAL or _TIMEOUT that is not a
// positive integer (it reads them even when given the values explicitly),
// beside otelboot's warning.
//
// # Resource
//
// The resource holds, from lowest to highest precedence: service.name
// unknown_service:<executable>, the option defaults, the Kubernetes
// downward-API variables (K8S_POD_NAME or POD_NAME, K8S_POD_UID or POD_UID,
// K8S_NAMESPACE_NAME or POD_NAMESPACE, K8S_NODE_NAME or NODE_NAME,
// K8S_CONTAINER_NAME or CONTAINER_NAME), telemetry.sdk.*, host, OS, process
// (without its command line, which may hold secrets), the container id,
// the detectors of [WithResourceDetectors], then OTEL_RESOURCE_ATTRIBUTES
// (deployment.environment=prod, for example) and OTEL_SERVICE_NAME.
// Merging resources whose semantic-convention schema URLs differ never
// fails: every attribute is kept and one warning is logged. Invalid UTF-8
// in the resource (OTEL_RESOURCE_ATTRIBUTES=a=%ff, OTEL_SERVICE_NAME, an
// option) is replaced at start, with one warning naming the variable.
//
// # Valid UTF-8
//
// Every exporter Start builds from OTEL_<SIGNAL>_EXPORTER (otlp, console;
// traces, metrics and logs) is wrapped by one guard that makes every string
// it is handed valid UTF-8, whoever wrote it: span names, attribute keys and
// values of spans, events, links, metric points, exemplars and log records,
// log bodies, event names, metric names, descriptions and units, status
// descriptions, scopes and resources. Each run of invalid bytes becomes one
// U+FFFD; a character cut at the end of a value is dropped. Without it one
// invalid byte (a User-Agent header, a SQL statement, a Redis key) makes the
// OTLP exporter drop its whole batch. Valid data passes without a copy or an
// allocation. Components added with [WithSpanProcessor], [WithMetricReader]
// and [WithLogProcessor], the exporters of OTEL_CONFIG_FILE and the
// Prometheus exporter are not behind the guard.
//
// # OTEL_SDK_DISABLED and OTEL_CONFIG_FILE
//
// OTEL_SDK_DISABLED=true installs no-op providers: nothing is recorded or
// sent, the propagator still carries incoming context, and slog's default
// still writes the text format. OTEL_CONFIG_FILE names a declarative
// configuration file, read by contrib's otelconf with ${VAR} and
// ${VAR:-default} substitution; it takes precedence, and the other OTEL_*
// variables are then ignored (otelboot's options, the live view and the
// OTELKIT_* variables still apply).
//
// # Logs
//
// slog's default logger fans out to a text handler on standard error and,
// when log records go anywhere (a log exporter other than none, the live
// view, WithLogProcessor), to an OTLP handler. With
// OTELKIT_LOG_CORRELATION or OTEL_PYTHON_LOG_CORRELATION true, the text
// handler writes OTELKIT_LOG_FORMAT or OTEL_PYTHON_LOG_FORMAT (Python
// logging syntax; default [logcorr.DefaultFormat]) with the trace and span
// ids; otherwise it is slog's plain text handler.
//
// Every span, attribute key and metric the library emits, per
// OTEL_SEMCONV_STABILITY_OPT_IN mode, is listed in one document:
// [docs/telemetry.md].
//
// [docs/telemetry.md]: https://github.com/otelkit/otelkit/blob/main/docs/telemetry.md
package otelboot
