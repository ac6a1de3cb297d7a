package otelboot_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelkit/otelkit/otelboot"
)

// The one line in main. Configuration comes from OTEL_* variables such as
// OTEL_SERVICE_NAME=hyunwoo and OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318.
func Example() {
	ctx := context.Background()
	shutdown, err := otelboot.Start(ctx, otelboot.WithServiceName("hyunwoo"), otelboot.WithServiceVersion("1.0.0"))
	if err != nil {
		// A bad variable: telemetry is off, the service runs on.
		log.Printf("telemetry: %v", err)
	}
	defer func() {
		if err := shutdown(context.Background()); err != nil {
			log.Printf("telemetry: %v", err)
		}
	}()
	// ... serve ...
}

// Options add components beside what the environment configures; here a
// span recorder stands in for an exporter, and the service name given in
// code is a default that OTEL_SERVICE_NAME would override.
func Example_spanProcessor() {
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"} {
		os.Setenv(k, "none")
		defer os.Unsetenv(k)
	}
	ctx := context.Background()
	rec := tracetest.NewSpanRecorder()
	shutdown, err := otelboot.Start(ctx,
		otelboot.WithServiceName("hyunwoo"),
		otelboot.WithSpanProcessor(rec),
		otelboot.WithDefaultLogger(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, span := otel.Tracer("example").Start(ctx, "GET /users")
	span.End()
	if err := shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	s := rec.Ended()[0]
	name, _ := s.Resource().Set().Value("service.name")
	fmt.Println(s.Name(), name.AsString())
	// Output: GET /users hyunwoo
}

// A value whose fallback would send telemetry elsewhere is an error naming
// the variable; Start then sets nothing.
func Example_badValue() {
	os.Setenv("OTEL_TRACES_EXPORTER", "console,zipkin")
	defer os.Unsetenv("OTEL_TRACES_EXPORTER")
	shutdown, err := otelboot.Start(context.Background(), otelboot.WithDefaultLogger(false))
	fmt.Println(err)
	fmt.Println(shutdown(context.Background())) // safe to call anyway
	// Output:
	// otelboot: OTEL_TRACES_EXPORTER="console,zipkin": unknown exporter zipkin (known: otlp, console, none; or a comma-separated list of them)
	// <nil>
}

// WithSummary says what Start really set up, after defaults, per-signal
// settings and the replacement of bad values: a start-up line telling
// where telemetry goes. Here traces go to a collector by OTLP (the general
// endpoint gets /v1/traces appended), logs to standard output, and metrics
// nowhere.
func ExampleWithSummary() {
	for k, v := range map[string]string{
		"OTEL_TRACES_EXPORTER":        "otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
		"OTEL_METRICS_EXPORTER":       "none",
		"OTEL_LOGS_EXPORTER":          "console",
		"OTEL_TRACES_SAMPLER":         "parentbased_traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":     "0.1",
	} {
		os.Setenv(k, v)
		defer os.Unsetenv(k)
	}
	ctx := context.Background()
	shutdown, err := otelboot.Start(ctx,
		otelboot.WithServiceName("hyunwoo"),
		otelboot.WithSpanMetrics(false),
		otelboot.WithDefaultLogger(false),
		otelboot.WithSummary(func(s otelboot.Summary) {
			fmt.Println("telemetry:", s)
			fmt.Println(s.Traces[0].Endpoint)
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer shutdown(ctx)
	// Output:
	// telemetry: service=hyunwoo traces=otlp http/protobuf http://collector:4318/v1/traces metrics=none logs=console sampler=ParentBased{root:TraceIDRatioBased{0.1},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler} propagators=baggage,traceparent,tracestate spanmetrics=off
	// http://collector:4318/v1/traces
}
