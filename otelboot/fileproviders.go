package otelboot

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"

	"go.opentelemetry.io/contrib/otelconf"
	"go.opentelemetry.io/otel/baggage"
)

// otelconf.NewSDK builds the meter provider first and returns on the first
// error of the tracer or logger provider without stopping what it built
// (the meter provider, the span processors before the bad one), which
// otelboot never receives. So that a bad file leaves nothing running,
// checkFileProviders finds those errors first, by otelconf's own rules: a
// processor is batch or simple, with exactly one exporter; an OTLP
// exporter's compression, endpoint, encoding and headers parse; a sampler
// is a known one. checkFileTLS checks the TLS files of every exporter (of
// every provider): otelconf reads them whole, /dev/zero included.

// checkFileProviders appends to problems what otelconf would fail on in
// the tracer and logger providers of cfg.
func checkFileProviders(cfg *otelconf.OpenTelemetryConfiguration, problems *[]string) {
	add := func(format string, args ...any) { *problems = append(*problems, fmt.Sprintf(format, args...)) }
	if tp := cfg.TracerProvider; tp != nil {
		for i, p := range tp.Processors {
			where := fmt.Sprintf("tracer_provider.processors[%d]", i)
			switch {
			case (p.Batch != nil) == (p.Simple != nil):
				add("%s: want exactly one of batch or simple", where)
			case p.Batch != nil:
				e := p.Batch.Exporter
				checkFileExporter(where+".batch.exporter", e.Console != nil, e.OTLPGrpc, e.OTLPHttp, add)
			default:
				e := p.Simple.Exporter
				checkFileExporter(where+".simple.exporter", e.Console != nil, e.OTLPGrpc, e.OTLPHttp, add)
			}
		}
		if tp.Sampler != nil {
			checkFileSampler("tracer_provider.sampler", tp.Sampler, add)
		}
	}
	if lp := cfg.LoggerProvider; lp != nil {
		for i, p := range lp.Processors {
			where := fmt.Sprintf("logger_provider.processors[%d]", i)
			switch {
			case (p.Batch != nil) == (p.Simple != nil):
				add("%s: want exactly one of batch or simple", where)
			case p.Batch != nil:
				e := p.Batch.Exporter
				checkFileExporter(where+".batch.exporter", e.Console != nil, e.OTLPGrpc, e.OTLPHttp, add)
			default:
				e := p.Simple.Exporter
				checkFileExporter(where+".simple.exporter", e.Console != nil, e.OTLPGrpc, e.OTLPHttp, add)
			}
		}
	}
}

// checkFileExporter checks a span or log record exporter: exactly one
// kind, and an OTLP one's compression, endpoint, encoding and headers.
func checkFileExporter(where string, console bool, g *otelconf.OTLPGrpcExporter, h *otelconf.OTLPHttpExporter, add func(string, ...any)) {
	n := 0
	for _, set := range []bool{console, g != nil, h != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		add("%s: want exactly one of console, otlp_grpc or otlp_http", where)
		return
	}
	if g != nil {
		checkFileOTLP(where+".otlp_grpc", g.Compression, g.Endpoint, nil, g.HeadersList, g.Headers, add)
	}
	if h != nil {
		checkFileOTLP(where+".otlp_http", h.Compression, h.Endpoint, h.Encoding, h.HeadersList, h.Headers, add)
	}
}

func checkFileOTLP(where string, compression, endpoint *string, encoding *otelconf.OTLPHttpEncoding, headersList *string,
	headers []otelconf.NameStringValuePair, add func(string, ...any),
) {
	if c := compression; c != nil && *c != "gzip" && *c != "none" {
		add("%s.compression: %q is not gzip or none", where, *c)
	}
	if e := endpoint; e != nil {
		if _, err := url.ParseRequestURI(*e); err != nil {
			add("%s.endpoint: not a URL", where)
		}
	}
	if encoding != nil && *encoding != otelconf.OTLPHttpEncodingProtobuf {
		add("%s.encoding: %q is not protobuf", where, *encoding)
	}
	if hl := headersList; hl != nil {
		if _, err := baggage.Parse(*hl); err != nil {
			add("%s.headers_list: not name=value,...", where)
		}
	}
	for i, h := range headers {
		if h.Name == "" {
			add("%s.headers[%d]: empty name", where, i)
		}
	}
}

// checkFileSampler checks that s, and every sampler of a parent_based one,
// is a known sampler.
func checkFileSampler(where string, s *otelconf.Sampler, add func(string, ...any)) {
	switch {
	case s.ParentBased != nil:
		pb := s.ParentBased
		for _, sub := range []struct {
			key string
			s   *otelconf.Sampler
		}{
			{"root", pb.Root}, {"remote_parent_sampled", pb.RemoteParentSampled},
			{"remote_parent_not_sampled", pb.RemoteParentNotSampled},
			{"local_parent_sampled", pb.LocalParentSampled}, {"local_parent_not_sampled", pb.LocalParentNotSampled},
		} {
			if sub.s != nil {
				checkFileSampler(where+".parent_based."+sub.key, sub.s, add)
			}
		}
	case s.AlwaysOff != nil, s.AlwaysOn != nil, s.TraceIDRatioBased != nil:
	default:
		add("%s: no known sampler (always_on, always_off, trace_id_ratio_based, parent_based)", where)
	}
}

// checkFileTLS checks the files of a tls block at where: regular, at most
// maxFileSize, a CA that parses, a client certificate with its key.
func checkFileTLS(where string, m map[string]any, add func(string, ...any)) {
	read := func(key string) ([]byte, bool) {
		f, ok := m[key].(string)
		if !ok {
			return nil, false
		}
		b, err := readBounded(f)
		if err != nil {
			add("%s.%s: %v", where, key, err)
			return nil, false
		}
		return b, true
	}
	if ca, ok := read("ca_file"); ok && !x509.NewCertPool().AppendCertsFromPEM(ca) {
		add("%s.ca_file: no PEM certificate in the file", where)
	}
	cert, cok := read("cert_file")
	key, kok := read("key_file")
	if cok && kok {
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			add("%s: cert_file with key_file: %v", where, err)
		}
	}
	_, hasCert := m["cert_file"]
	_, hasKey := m["key_file"]
	switch {
	case hasCert && !hasKey:
		add("%s: cert_file without key_file", where)
	case hasKey && !hasCert:
		add("%s: key_file without cert_file", where)
	}
}
