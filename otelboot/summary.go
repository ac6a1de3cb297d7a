package otelboot

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"go.opentelemetry.io/contrib/otelconf"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelkit/otelkit/internal/redact"
)

// Summary describes what Start really set up, after defaults and after the
// bad values it warned about were replaced. [WithSummary] passes it.
//
// It never holds a header value or an endpoint's credentials.
type Summary struct {
	// Disabled is true when OTEL_SDK_DISABLED=true: the providers are
	// no-ops and Traces, Metrics, Logs and Sampler are empty.
	Disabled bool
	// ConfigFile is the value of OTEL_CONFIG_FILE when the providers were
	// built from that file. otelboot does not know which exporters the file
	// names, so Traces, Metrics and Logs are then empty and Sampler is
	// "config file".
	ConfigFile string
	// ServiceName is service.name of the resource the providers use. With
	// OTEL_SDK_DISABLED there is no resource: it is OTEL_SERVICE_NAME or
	// the default of WithServiceName. With OTEL_CONFIG_FILE it is the
	// file's resource attribute service.name, else as with
	// OTEL_SDK_DISABLED.
	ServiceName string
	// Traces, Metrics and Logs list the exporters of each signal, in the
	// order of OTEL_<SIGNAL>_EXPORTER; a signal with no exporter has the
	// single entry "none". Components added by options (WithSpanProcessor,
	// WithMetricReader, WithLogProcessor, the live view) are not listed.
	Traces, Metrics, Logs []ExporterSummary
	// Sampler is the Description of the sampler the tracer provider uses,
	// for example "ParentBased{root:AlwaysOnSampler,...}" or
	// "TraceIDRatioBased{0.25}"; "config file" with OTEL_CONFIG_FILE,
	// whose sampler otelboot cannot see; empty when Disabled.
	Sampler string
	// Propagators holds the header names the global propagator reads and
	// writes (its Fields, sorted, without duplicates), for example baggage,
	// traceparent and tracestate.
	Propagators []string
	// SpanMetrics says whether the span_rate, error_rate and duration
	// metrics are derived from finished spans.
	SpanMetrics bool
	// LiveView is the URL of the live view Start serves (OTELKIT_VIEW_ADDR),
	// or empty. A view passed with WithLiveView is served by its owner and
	// is not reported here.
	LiveView string
}

// ExporterSummary describes one exporter of a signal.
type ExporterSummary struct {
	// Name is otlp, console, prometheus or none.
	Name string
	// Protocol is, for otlp, http/protobuf or grpc; empty otherwise.
	Protocol string
	// Endpoint is, for otlp, the URL the exporter sends to, as it computes
	// it: a per-signal endpoint as it is (the root path / when it has
	// none), /v1/traces, /v1/metrics or /v1/logs appended to the path of
	// OTEL_EXPORTER_OTLP_ENDPOINT, http://localhost:4318/v1/<signal> (or
	// http://localhost:4317 for grpc) by default; the scheme is http when
	// the export is not encrypted, https otherwise; for grpc the path,
	// which gRPC does not use, is left out. The Go exporters do not send
	// user information of the URL, nor its query, so neither is shown (a
	// unix: target is shown with its password redacted). For prometheus it
	// is the URL of the /metrics page; empty for console and none.
	Endpoint string
}

// WithSummary makes Start call f once with a [Summary] of what it set up,
// after a successful setup (also with OTEL_SDK_DISABLED=true, then
// Summary.Disabled is true) and before Start returns. f is not called when
// Start returns an error. Printing Summary.String() at start-up tells where
// telemetry goes.
func WithSummary(f func(Summary)) Option {
	return optionFunc(func(c *config) { c.onSummary = f })
}

// String renders s on one line of space-separated key=value fields, in this
// order:
//
//	service=NAME traces=EXPORTERS metrics=EXPORTERS logs=EXPORTERS sampler=DESCRIPTION propagators=FIELDS spanmetrics=on|off [view=URL]
//
// EXPORTERS is a list of entries separated by " + " (a URL holds no space,
// so nothing after one can be read as part of it) whose entries are "NAME",
// "otlp PROTOCOL URL" or "prometheus URL", for example
// "otlp http/protobuf http://localhost:4318/v1/traces + console"; FIELDS is
// sorted and comma-separated ("-" when there is none); view is present
// only when Start serves the live view. With OTEL_SDK_DISABLED the line is
// "disabled service=NAME propagators=FIELDS"; with OTEL_CONFIG_FILE,
// "config=FILE" replaces the three exporter fields (and sampler is
// "config file").
func (s Summary) String() string {
	var b strings.Builder
	props := strings.Join(s.Propagators, ",")
	if props == "" {
		props = "-"
	}
	if s.Disabled {
		fmt.Fprintf(&b, "disabled service=%s propagators=%s", s.ServiceName, props)
		return b.String()
	}
	fmt.Fprintf(&b, "service=%s", s.ServiceName)
	if s.ConfigFile != "" {
		fmt.Fprintf(&b, " config=%s", s.ConfigFile)
	} else {
		for _, sig := range []struct {
			name string
			exps []ExporterSummary
		}{{"traces", s.Traces}, {"metrics", s.Metrics}, {"logs", s.Logs}} {
			fmt.Fprintf(&b, " %s=%s", sig.name, exportersString(sig.exps))
		}
	}
	onOff := "off"
	if s.SpanMetrics {
		onOff = "on"
	}
	fmt.Fprintf(&b, " sampler=%s propagators=%s spanmetrics=%s", s.Sampler, props, onOff)
	if s.LiveView != "" {
		fmt.Fprintf(&b, " view=%s", s.LiveView)
	}
	return b.String()
}

func exportersString(exps []ExporterSummary) string {
	if len(exps) == 0 {
		return "none"
	}
	parts := make([]string, len(exps))
	for i, e := range exps {
		p := []string{e.Name}
		if e.Protocol != "" {
			p = append(p, e.Protocol)
		}
		if e.Endpoint != "" {
			p = append(p, e.Endpoint)
		}
		parts[i] = strings.Join(p, " ")
	}
	return strings.Join(parts, " + ")
}

// summary describes what s built.
func (s *starter) summary() Summary {
	sum := Summary{
		Disabled:    s.disabled,
		ServiceName: s.serviceNm,
		LiveView:    s.viewAddr,
	}
	if s.prop != nil {
		for _, f := range s.prop.Fields() {
			if !slices.Contains(sum.Propagators, f) {
				sum.Propagators = append(sum.Propagators, f)
			}
		}
		slices.Sort(sum.Propagators) // a composite's Fields come in map order
	}
	if s.disabled {
		return sum
	}
	if file, ok := get("OTEL_CONFIG_FILE"); ok {
		sum.ConfigFile = file
		sum.Sampler = "config file"
		_, sum.SpanMetrics = s.tp.(*sdktrace.TracerProvider)
		sum.SpanMetrics = sum.SpanMetrics && s.cfg.spanMetrics
		if name := fileServiceName(file); name != "" {
			sum.ServiceName = name
		}
		return sum
	}
	sum.SpanMetrics = s.cfg.spanMetrics
	if s.sampler != nil {
		sum.Sampler = s.sampler.Description()
	}
	sum.Traces = s.exporterSummaries(s.plans[0])
	sum.Metrics = s.exporterSummaries(s.plans[1])
	sum.Logs = s.exporterSummaries(s.plans[2])
	return sum
}

func (s *starter) exporterSummaries(plans []exporterPlan) []ExporterSummary {
	if len(plans) == 0 {
		return []ExporterSummary{{Name: "none"}}
	}
	out := make([]ExporterSummary, len(plans))
	for i, p := range plans {
		out[i] = ExporterSummary{Name: p.name, Protocol: p.proto, Endpoint: p.endpoint}
		if p.name == "prometheus" {
			out[i].Endpoint = s.promURL
		}
	}
	return out
}

// fileServiceName returns the service.name attribute of the resource of the
// declarative configuration file, or "".
func fileServiceName(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	c, err := otelconf.ParseYAML(b)
	if err != nil || c.Resource == nil {
		return ""
	}
	for _, a := range c.Resource.Attributes {
		if a.Name == "service.name" {
			return fmt.Sprint(a.Value)
		}
	}
	return ""
}

// otlpEndpoint returns the URL the OTLP exporter of signal (TRACES,
// METRICS, LOGS) sends to, computed as the Go exporters compute it from
// the (validated) variables; insecure is otelboot's own choice for an
// http:// or unset endpoint. The user information and query of the URL,
// which the exporters do not use, are left out.
func otlpEndpoint(signal, proto string, insecure bool) string {
	host, urlPath := "localhost:4318", "/v1/"+strings.ToLower(signal)
	if proto == "grpc" {
		host = "localhost:4317"
	}
	var u *url.URL
	if v, ok := get("OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT"); ok {
		// A per-signal endpoint is used as it is, / for no path.
		if u, _ = url.Parse(v); u != nil {
			host, urlPath = u.Host, u.Path
			if urlPath == "" {
				urlPath = "/"
			}
		}
	} else if v, ok := get("OTEL_EXPORTER_OTLP_ENDPOINT"); ok {
		if u, _ = url.Parse(v); u != nil {
			host, urlPath = u.Host, path.Join(u.Path, urlPath)
		}
	}
	if u != nil && strings.HasPrefix(strings.ToLower(u.Scheme), "unix") {
		return redact.URL(u) // a gRPC target, used as it is
	}
	if !insecure && signal != "LOGS" {
		// An https endpoint. The trace and metric exporters let
		// OTEL_EXPORTER_OTLP_[SIGNAL_]INSECURE override its scheme (the
		// log exporters do not).
		if _, v, ok := firstSet("OTEL_EXPORTER_OTLP_"+signal+"_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE"); ok {
			insecure = strings.EqualFold(v, "true")
		}
	}
	out := &url.URL{Scheme: "https", Host: host}
	if insecure {
		out.Scheme = "http"
	}
	if proto != "grpc" {
		out.Path = urlPath
	}
	return redact.URL(out)
}
