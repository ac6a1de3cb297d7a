// Package otelkit gives a Go service the telemetry that Python's
// opentelemetry-instrument gives a Flask app: traces for every HTTP request,
// SQL query, Redis command, Kafka message and outgoing call; the span_rate,
// error_rate and duration metrics; and logs that carry the trace id.
//
// A service adds one line to main and wraps the clients it already builds;
// everything else follows from the standard OTEL_* environment variables:
//
//	shutdown, err := otelboot.Start(ctx)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer shutdown(context.Background())
//
//	mux := httpx.NewServeMux()                 // server spans named "GET /route"
//	db, err := sqlx.Open("mysql", dsn)         // mysql.query spans
//	rdb := redis.NewClient(opts)
//	err = redisx.Instrument(rdb)               // redis.command spans
//	kc, err := kgo.NewClient(append(opts, kafkax.Opts()...)...) // kafka.produce / kafka.consume
//	client := httpx.Client()                   // HTTP GET spans
//	slog.InfoContext(ctx, "hello")             // trace_id and span_id on the line
//
// The packages:
//
//	otelboot           Start: providers, exporters, propagators, resource, sampler from OTEL_*
//	otelboot/liveview  the in-process dashboard (span rate, error rate, duration, traces)
//	httpx              server middleware, ServeMux and client transport (on otelhttp)
//	sqlx               database/sql spans (on XSAM/otelsql)
//	redisx             go-redis v9 spans (on redisotel)
//	kafkax             franz-go produce and consume spans, context in record headers
//	logcorr            log/slog handlers: trace correlation, the spec's text layout, OTLP logs
//
// The span names and attribute keys are those of the project's telemetry
// specification (the older OpenTelemetry conventions a Flask service emits);
// OTEL_SEMCONV_STABILITY_OPT_IN switches each domain (http, database,
// messaging) to the stable conventions or to both.
//
// Every span, attribute key and metric the library emits, per
// OTEL_SEMCONV_STABILITY_OPT_IN mode, is listed in one document:
// [docs/telemetry.md].
//
// [docs/telemetry.md]: https://github.com/otelkit/otelkit/blob/main/docs/telemetry.md
package otelkit
