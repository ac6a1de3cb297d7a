package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/otelkit/otelkit/examples/demo/app"
)

// demoVariables returns every environment variable the demo reads: those
// app.ConfigFromEnv asks for (recorded, not listed by hand, so that a
// variable added there is checked here) and those main reads itself.
func demoVariables(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{"OTELKIT_VIEW_ADDR": true, "OTELKIT_VIEW_TOKEN": true}
	_, _ = app.ConfigFromEnv(func(k string) string { seen[k] = true; return "" })
	// A second pass with the pairs set, so that a variable read only when
	// another is set is recorded too.
	_, _ = app.ConfigFromEnv(func(k string) string {
		seen[k] = true
		switch k {
		case "DEMO_ADMIN_USER", "DEMO_ADMIN_PASSWORD":
			return "x"
		}
		return ""
	})
	var names []string
	for k := range seen {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// The compose file is loaded and validated by compose's own library (the
// loader docker compose uses, with its JSON schema), and the demo service
// sets every variable the demo reads.
func TestComposeFileIsValid(t *testing.T) {
	ctx := context.Background()
	opts, err := cli.NewProjectOptions([]string{"deploy/compose.yaml"},
		cli.WithWorkingDirectory("deploy"), cli.WithDiscardEnvFile, cli.WithConsistency(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		t.Fatalf("compose rejects deploy/compose.yaml: %v", err)
	}
	demo, err := p.GetService("demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range demoVariables(t) {
		if _, ok := demo.Environment[k]; !ok {
			t.Errorf("compose service demo does not set %s, which the demo reads", k)
		}
	}
	if ep := demo.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]; ep == nil || !strings.Contains(*ep, "otel-collector") {
		t.Errorf("demo does not export to the otel-collector service: %v", ep)
	}
	// Every service the demo depends on exists, and every file mounted
	// into a container exists beside the compose file.
	for name := range demo.DependsOn {
		if _, err := p.GetService(name); err != nil {
			t.Errorf("depends_on %s: %v", name, err)
		}
	}
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("service %s mounts %s: %v", s.Name, v.Source, err)
			}
		}
		if s.Build != nil {
			df := filepath.Join(s.Build.Context, s.Build.Dockerfile)
			if _, err := os.Stat(df); err != nil {
				t.Errorf("service %s builds with %s: %v", s.Name, df, err)
			}
		}
	}
}

// Every Kubernetes manifest decodes strictly (unknown or duplicate fields
// fail) into the k8s.io/api type of its kind, the Deployment's selector
// matches its pods, every referenced ConfigMap, Secret and port exists, and
// together they set every variable the demo reads.
func TestKubernetesManifestsAreValid(t *testing.T) {
	raw, err := os.ReadFile("deploy/k8s/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	configMaps := map[string]corev1.ConfigMap{}
	secrets := map[string]corev1.Secret{}
	var deployments []appsv1.Deployment
	var services []corev1.Service
	for i, doc := range splitYAML(raw) {
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var meta struct{ APIVersion, Kind string }
		if err := json.Unmarshal(js, &meta); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		switch meta.APIVersion + "/" + meta.Kind {
		case "v1/ConfigMap":
			var o corev1.ConfigMap
			strictJSON(t, i, js, &o)
			configMaps[o.Name] = o
		case "v1/Secret":
			var o corev1.Secret
			strictJSON(t, i, js, &o)
			secrets[o.Name] = o
		case "apps/v1/Deployment":
			var o appsv1.Deployment
			strictJSON(t, i, js, &o)
			deployments = append(deployments, o)
		case "v1/Service":
			var o corev1.Service
			strictJSON(t, i, js, &o)
			services = append(services, o)
		default:
			t.Errorf("document %d: unexpected %s %s", i, meta.APIVersion, meta.Kind)
		}
	}
	if len(deployments) != 1 || len(services) != 1 {
		t.Fatalf("%d deployments, %d services; want one of each", len(deployments), len(services))
	}
	d := deployments[0]
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod labels %v", k, v, d.Spec.Template.Labels)
		}
	}
	for k, v := range services[0].Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("service selector %s=%s matches no pod", k, v)
		}
	}
	set := map[string]bool{}
	ports := map[string]bool{}
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "" || c.Image == "" {
			t.Errorf("container without name or image: %+v", c)
		}
		for _, p := range c.Ports {
			ports[p.Name] = true
		}
		for _, e := range c.Env {
			set[e.Name] = true
		}
		for _, ef := range c.EnvFrom {
			switch {
			case ef.ConfigMapRef != nil:
				cm, ok := configMaps[ef.ConfigMapRef.Name]
				if !ok {
					t.Errorf("envFrom ConfigMap %q is not defined", ef.ConfigMapRef.Name)
				}
				for k := range cm.Data {
					set[k] = true
				}
			case ef.SecretRef != nil:
				s, ok := secrets[ef.SecretRef.Name]
				if !ok {
					t.Errorf("envFrom Secret %q is not defined", ef.SecretRef.Name)
				}
				for k := range s.StringData {
					set[k] = true
				}
				for k := range s.Data {
					set[k] = true
				}
			}
		}
		for _, probe := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
			if probe == nil {
				continue
			}
			var port intstr.IntOrString
			switch {
			case probe.HTTPGet != nil:
				port = probe.HTTPGet.Port
			case probe.TCPSocket != nil:
				port = probe.TCPSocket.Port
			}
			if port.Type == intstr.String && !ports[port.StrVal] {
				t.Errorf("probe port %q is not a container port", port.StrVal)
			}
		}
	}
	for _, p := range services[0].Spec.Ports {
		if p.TargetPort.Type == intstr.String && !ports[p.TargetPort.StrVal] {
			t.Errorf("service targetPort %q is not a container port", p.TargetPort.StrVal)
		}
	}
	for _, k := range append(demoVariables(t), "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME") {
		if !set[k] {
			t.Errorf("the Deployment does not set %s, which the demo reads", k)
		}
	}
}

// A manifest with a misspelt field is rejected: the strict decoding above
// would catch a typo a lenient one drops.
func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	js, err := yaml.YAMLToJSONStrict([]byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {selectr: {app: x}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var o corev1.Service
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err == nil {
		t.Fatal("unknown field spec.selectr accepted")
	}
	if _, err := yaml.YAMLToJSONStrict([]byte("a: 1\na: 2\n")); err == nil {
		t.Fatal("duplicate key accepted")
	}
}

func strictJSON(t *testing.T, i int, js []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("document %d (%T): %v", i, v, err)
	}
}

// splitYAML splits a multi-document YAML file on its "---" lines, leaving
// out documents that hold only comments.
func splitYAML(raw []byte) [][]byte {
	var docs [][]byte
	var cur []string
	flush := func() {
		body := strings.Join(cur, "\n")
		cur = nil
		for _, l := range strings.Split(body, "\n") {
			if s := strings.TrimSpace(l); s != "" && !strings.HasPrefix(s, "#") {
				docs = append(docs, []byte(body))
				return
			}
		}
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.TrimRight(l, " ") == "---" {
			flush()
			continue
		}
		cur = append(cur, l)
	}
	flush()
	return docs
}
