package otelboot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/otelkit/otelkit/internal/utf8guard"
)

// k8sVars maps the variables a pod spec usually sets from the downward API
// to resource attributes; the first variable set wins.
var k8sVars = []struct {
	key  attribute.Key
	vars []string
}{
	{semconv.K8SPodNameKey, []string{"K8S_POD_NAME", "POD_NAME"}},
	{semconv.K8SPodUIDKey, []string{"K8S_POD_UID", "POD_UID"}},
	{semconv.K8SNamespaceNameKey, []string{"K8S_NAMESPACE_NAME", "K8S_POD_NAMESPACE", "POD_NAMESPACE"}},
	{semconv.K8SNodeNameKey, []string{"K8S_NODE_NAME", "NODE_NAME"}},
	{semconv.K8SContainerNameKey, []string{"K8S_CONTAINER_NAME", "CONTAINER_NAME"}},
}

// k8sDetector reads the downward-API variables of k8sVars.
type k8sDetector struct{}

func (k8sDetector) Detect(context.Context) (*resource.Resource, error) {
	var attrs []attribute.KeyValue
	for _, kv := range k8sVars {
		for _, v := range kv.vars {
			if s, ok := get(v); ok {
				attrs = append(attrs, kv.key.String(s))
				break
			}
		}
	}
	return resource.NewSchemaless(attrs...), nil
}

// newResource builds the resource, lowest precedence first: service.name
// unknown_service:<executable>, the option defaults, Kubernetes downward-API
// variables, telemetry.sdk.*, host, OS, process (without command-line
// arguments, which may hold secrets), container id, the detectors of
// WithResourceDetectors, then OTEL_RESOURCE_ATTRIBUTES and
// OTEL_SERVICE_NAME (through the SDK's own detector).
func (s *starter) newResource(ctx context.Context) *resource.Resource {
	defaults := []attribute.KeyValue{semconv.ServiceName("unknown_service:" + filepath.Base(os.Args[0]))}
	if s.cfg.serviceName != "" {
		defaults = append(defaults, semconv.ServiceName(s.cfg.serviceName))
	}
	if s.cfg.serviceVersion != "" {
		defaults = append(defaults, semconv.ServiceVersion(s.cfg.serviceVersion))
	}
	defaults = append(defaults, s.cfg.resourceAttrs...)
	base, err := resource.New(ctx,
		resource.WithAttributes(defaults...),
		resource.WithDetectors(k8sDetector{}),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithOS(),
		resource.WithProcessPID(),
		resource.WithProcessExecutableName(),
		resource.WithProcessExecutablePath(),
		resource.WithProcessOwner(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithProcessRuntimeDescription(),
		resource.WithContainer(),
	)
	if err != nil {
		// Partial results (an unreadable cgroup file, an unknown user)
		// are normal outside a container; keep what was found.
		s.diag.logger.Debug("otelboot: resource detection", "error", err)
	}
	if base == nil {
		base = resource.Empty()
	}
	for _, d := range s.cfg.detectors {
		r, err := d.Detect(ctx)
		if err != nil {
			s.diag.logger.Warn("otelboot: resource detector", "detector", fmt.Sprintf("%T", d), "error", err)
		}
		if r != nil {
			base = s.merge(base, r)
		}
	}
	if v, ok := get("OTEL_RESOURCE_ATTRIBUTES"); ok {
		if problem := badResourceAttributes(v); problem != "" {
			// The specification would discard the whole value, but every
			// SDK provider merges resource.Environment(), which keeps the
			// well-formed entries; say what happens.
			s.env.warn("OTEL_RESOURCE_ATTRIBUTES", v, problem+"; the malformed entries are skipped", "(none)")
		}
	}
	fromEnv, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		s.diag.logger.Debug("otelboot: resource from the environment", "error", err)
	}
	if fromEnv != nil {
		base = s.merge(base, fromEnv)
	}
	return s.validResource(base)
}

// validResource returns r with every string valid UTF-8 (by utf8guard's
// rule: each run of invalid bytes becomes U+FFFD, a character cut at the end
// is dropped), so that no export of any signal fails on it. It warns once
// per variable that brought invalid bytes (OTEL_RESOURCE_ATTRIBUTES after
// percent-decoding, OTEL_SERVICE_NAME), or once for the resource when they
// came from an option or a detector.
func (s *starter) validResource(r *resource.Resource) *resource.Resource {
	fixed, changed := utf8guard.Resource(r)
	if !changed {
		return r
	}
	named := false
	if v, ok := get("OTEL_RESOURCE_ATTRIBUTES"); ok && !validResourceAttributes(v) {
		named = true
		s.env.log.Warn("otelboot: OTEL_RESOURCE_ATTRIBUTES holds invalid UTF-8; each run of invalid bytes is replaced by U+FFFD",
			"variable", "OTEL_RESOURCE_ATTRIBUTES", "value", utf8guard.String(v))
	}
	if v, ok := get("OTEL_SERVICE_NAME"); ok && !utf8.ValidString(v) {
		named = true
		s.env.log.Warn("otelboot: OTEL_SERVICE_NAME holds invalid UTF-8; each run of invalid bytes is replaced by U+FFFD",
			"variable", "OTEL_SERVICE_NAME", "value", utf8guard.String(v))
	}
	if !named {
		var keys []string
		for it := r.Iter(); it.Next(); {
			if kv := it.Attribute(); !utf8guard.ValidKeyValue(kv) {
				keys = append(keys, utf8guard.String(string(kv.Key)))
			}
		}
		s.diag.logger.Warn("otelboot: resource attributes hold invalid UTF-8; each run of invalid bytes is replaced by U+FFFD",
			"keys", keys)
	}
	return fixed
}

// validResourceAttributes reports whether an OTEL_RESOURCE_ATTRIBUTES value
// is valid UTF-8 and so is every value once percent-decoded, as the SDK
// decodes it (keys are taken as written; an entry that does not decode is
// skipped, as the SDK skips it).
func validResourceAttributes(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for pair := range strings.SplitSeq(v, ",") {
		_, val, _ := strings.Cut(pair, "=")
		if d, err := url.PathUnescape(strings.TrimSpace(val)); err == nil && !utf8.ValidString(d) {
			return false
		}
	}
	return true
}

// merge merges b over a. On a schema-URL conflict it keeps every attribute
// (b's winning), takes b's schema URL and warns once per Start.
func (s *starter) merge(a, b *resource.Resource) *resource.Resource {
	r, err := resource.Merge(a, b)
	if err == nil {
		return r
	}
	if !errors.Is(err, resource.ErrSchemaURLConflict) {
		s.diag.logger.Debug("otelboot: merging resources", "error", err)
		if r != nil {
			return r
		}
	}
	if !s.schemaWarned {
		s.schemaWarned = true
		s.diag.logger.Warn("otelboot: resources use different semantic-convention schema URLs; keeping every attribute",
			"schema_url", a.SchemaURL(), "other_schema_url", b.SchemaURL())
	}
	r, err = resource.Merge(resource.NewSchemaless(a.Attributes()...), b)
	if err != nil || r == nil {
		return a
	}
	return r
}

// badResourceAttributes says what is wrong with an OTEL_RESOURCE_ATTRIBUTES
// value, or "".
func badResourceAttributes(v string) string {
	for i, pair := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(pair, "=")
		if !ok {
			return fmt.Sprintf("entry %d %q has no '='", i+1, pair)
		}
		if strings.TrimSpace(k) == "" {
			return fmt.Sprintf("entry %d has an empty key", i+1)
		}
		if _, err := url.PathUnescape(strings.TrimSpace(val)); err != nil {
			return fmt.Sprintf("entry %d (%s): the value is not valid percent-encoding", i+1, strings.TrimSpace(k))
		}
	}
	return ""
}
