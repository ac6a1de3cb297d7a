package utf8guard

import (
	"context"
	"go.opentelemetry.io/otel/attribute"
	"slices"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Metrics returns exp behind the guard: every export has valid UTF-8
// strings. The ResourceMetrics the reader passes is never modified: what
// needs fixing is copied (the metric, its data points, the slices that
// hold them). A nil exp gives nil.
func Metrics(exp sdkmetric.Exporter) sdkmetric.Exporter {
	if exp == nil {
		return nil
	}
	return &metricExporter{Exporter: exp}
}

type metricExporter struct {
	sdkmetric.Exporter
	res resourceCache
}

// Export hands rm on as it is when every string is valid, or else a fixed
// copy.
func (e *metricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if rm != nil {
		rm, _ = e.resourceMetrics(rm)
	}
	return e.Exporter.Export(ctx, rm)
}

func (e *metricExporter) resourceMetrics(rm *metricdata.ResourceMetrics) (*metricdata.ResourceMetrics, bool) {
	res, changed := e.res.get(rm.Resource)
	sms, smChanged := cow(rm.ScopeMetrics, scopeMetrics)
	if !changed && !smChanged {
		return rm, false
	}
	out := *rm
	out.Resource, out.ScopeMetrics = res, sms
	return &out, true
}

// cow returns xs with fix applied to each element, copying xs on the first
// element fix changes; xs itself is never modified.
func cow[T any](xs []T, fix func(*T) (T, bool)) ([]T, bool) {
	var out []T
	for i := range xs {
		x, changed := fix(&xs[i])
		if !changed {
			continue
		}
		if out == nil {
			out = slices.Clone(xs)
		}
		out[i] = x
	}
	if out == nil {
		return xs, false
	}
	return out, true
}

func scopeMetrics(sm *metricdata.ScopeMetrics) (metricdata.ScopeMetrics, bool) {
	scope, changed := Scope(sm.Scope)
	ms, msChanged := cow(sm.Metrics, metric)
	if !changed && !msChanged {
		return *sm, false
	}
	return metricdata.ScopeMetrics{Scope: scope, Metrics: ms}, true
}

func metric(m *metricdata.Metrics) (metricdata.Metrics, bool) {
	data, changed := aggregation(m.Data)
	if !changed && validString(m.Name) && validString(m.Description) && validString(m.Unit) {
		return *m, false
	}
	return metricdata.Metrics{Name: String(m.Name), Description: String(m.Description), Unit: String(m.Unit), Data: data}, true
}

// aggregation fixes the data points of every aggregation the SDK defines;
// another type (none exists today) is passed on unchecked.
func aggregation(orig metricdata.Aggregation) (metricdata.Aggregation, bool) {
	a, changed := aggregation1(orig)
	if !changed {
		return orig, false // not a's copy: boxing it would allocate
	}
	return a, true
}

func aggregation1(a metricdata.Aggregation) (metricdata.Aggregation, bool) {
	switch a := a.(type) {
	case metricdata.Gauge[int64]:
		return points(&a, &a.DataPoints, dataPoint[int64])
	case metricdata.Gauge[float64]:
		return points(&a, &a.DataPoints, dataPoint[float64])
	case metricdata.Sum[int64]:
		return points(&a, &a.DataPoints, dataPoint[int64])
	case metricdata.Sum[float64]:
		return points(&a, &a.DataPoints, dataPoint[float64])
	case metricdata.Histogram[int64]:
		return points(&a, &a.DataPoints, histogramPoint[int64])
	case metricdata.Histogram[float64]:
		return points(&a, &a.DataPoints, histogramPoint[float64])
	case metricdata.ExponentialHistogram[int64]:
		return points(&a, &a.DataPoints, expHistogramPoint[int64])
	case metricdata.ExponentialHistogram[float64]:
		return points(&a, &a.DataPoints, expHistogramPoint[float64])
	case metricdata.Summary:
		return points(&a, &a.DataPoints, summaryPoint)
	}
	return nil, false
}

// points fixes the data points of a (the caller's copy of an aggregation)
// and returns a boxed only when something changed: boxing allocates.
func points[A any, P any](a *A, pts *[]P, fix func(*P) (P, bool)) (metricdata.Aggregation, bool) {
	var changed bool
	*pts, changed = cow(*pts, fix)
	if !changed {
		return nil, false
	}
	return any(*a).(metricdata.Aggregation), true
}

func dataPoint[N int64 | float64](p *metricdata.DataPoint[N]) (metricdata.DataPoint[N], bool) {
	out := *p
	changed := attrsAndExemplars(&out.Attributes, &out.Exemplars)
	return out, changed
}

func histogramPoint[N int64 | float64](p *metricdata.HistogramDataPoint[N]) (metricdata.HistogramDataPoint[N], bool) {
	out := *p
	changed := attrsAndExemplars(&out.Attributes, &out.Exemplars)
	return out, changed
}

func expHistogramPoint[N int64 | float64](p *metricdata.ExponentialHistogramDataPoint[N]) (metricdata.ExponentialHistogramDataPoint[N], bool) {
	out := *p
	changed := attrsAndExemplars(&out.Attributes, &out.Exemplars)
	return out, changed
}

// attrsAndExemplars fixes, in the caller's copy of a point, its attribute
// set and (copy on write) its exemplars, and reports whether either changed.
func attrsAndExemplars[N int64 | float64](attrs *attribute.Set, exs *[]metricdata.Exemplar[N]) bool {
	var c1, c2 bool
	*attrs, c1 = Set(*attrs)
	*exs, c2 = cow(*exs, exemplar[N])
	return c1 || c2
}

func summaryPoint(p *metricdata.SummaryDataPoint) (metricdata.SummaryDataPoint, bool) {
	attrs, changed := Set(p.Attributes)
	if !changed {
		return *p, false
	}
	out := *p
	out.Attributes = attrs
	return out, true
}

func exemplar[N int64 | float64](x *metricdata.Exemplar[N]) (metricdata.Exemplar[N], bool) {
	attrs, changed := KeyValues(x.FilteredAttributes)
	if !changed {
		return *x, false
	}
	out := *x
	out.FilteredAttributes = attrs
	return out, true
}
