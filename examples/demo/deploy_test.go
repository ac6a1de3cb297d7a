package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/otelkit/otelkit/internal/spanmetrics"
)

// TestDashboardQueriesExportedMetrics checks that the Grafana dashboard has
// the spec's three panels and that its queries name only metrics and labels
// the library exports, as the collector in deploy/ hands them to Prometheus
// (names kept, dots in label names turned into underscores).
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("deploy/grafana/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Type        string `json:"type"`
			Title       string `json:"title"`
			FieldConfig struct {
				Defaults struct {
					Custom struct {
						DrawStyle string `json:"drawStyle"`
					} `json:"custom"`
				} `json:"defaults"`
			} `json:"fieldConfig"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	metrics := map[string]bool{
		spanmetrics.SpanRateName: true, spanmetrics.ErrorRateName: true,
		spanmetrics.DurationName + "_bucket": true, spanmetrics.DurationName + "_count": true,
		spanmetrics.DurationName + "_sum": true,
	}
	labels := map[string]bool{
		"le": true, "service_name": true,
		promLabel(string(spanmetrics.SpanNameKey)): true, promLabel(string(spanmetrics.SpanKindKey)): true,
		promLabel(string(spanmetrics.StatusCodeKey)): true,
	}
	selector := regexp.MustCompile(`([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}`)
	labelName := regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!=|!~|=)`)
	byName := regexp.MustCompile(`by \(([^)]*)\)`)
	spec := map[string]bool{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			sels := selector.FindAllStringSubmatch(tg.Expr, -1)
			if len(sels) == 0 {
				t.Errorf("panel %q: no metric selector in %q", p.Title, tg.Expr)
			}
			for _, m := range sels {
				if !metrics[m[1]] {
					t.Errorf("panel %q queries %q, which the library does not export", p.Title, m[1])
				}
				for _, l := range labelName.FindAllStringSubmatch(m[2], -1) {
					if !labels[l[1]] {
						t.Errorf("panel %q filters on label %q, which no exported metric has", p.Title, l[1])
					}
				}
			}
			for _, b := range byName.FindAllStringSubmatch(tg.Expr, -1) {
				for _, l := range strings.Split(b[1], ",") {
					if l = strings.TrimSpace(l); !labels[l] {
						t.Errorf("panel %q groups by label %q, which no exported metric has", p.Title, l)
					}
				}
			}
			switch {
			case p.Type == "timeseries" && p.FieldConfig.Defaults.Custom.DrawStyle == "bars" && strings.Contains(tg.Expr, "span_rate{"):
				spec["span rate as bars"] = true
			case p.Type == "timeseries" && p.FieldConfig.Defaults.Custom.DrawStyle == "line" && strings.Contains(tg.Expr, "error_rate{"):
				spec["error rate as a line"] = true
			case p.Type == "heatmap" && strings.Contains(tg.Expr, "duration_bucket{"):
				spec["duration as a heatmap"] = true
			}
		}
	}
	for _, want := range []string{"span rate as bars", "error rate as a line", "duration as a heatmap"} {
		if !spec[want] {
			t.Errorf("dashboard lacks the spec's panel: %s", want)
		}
	}
	col, err := os.ReadFile("deploy/otel-collector.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The names above hold only if the collector adds no unit suffixes.
	if !strings.Contains(string(col), "add_metric_suffixes: false") || !strings.Contains(string(col), "resource_to_telemetry_conversion:") {
		t.Errorf("otel-collector.yaml must keep metric names (add_metric_suffixes: false) and resource labels (service_name)")
	}
}

func promLabel(key string) string { return strings.ReplaceAll(key, ".", "_") }
