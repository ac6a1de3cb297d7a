package liveview

import (
	"net/http"
	"sort"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const (
	// maxServices caps the services the view tells apart; spans of
	// further services are counted together under otherService. Each
	// service costs one per-second series (about 130 KB).
	maxServices  = 8
	otherService = "(other)"
	// noService names the spans whose resource has no service.name.
	noService = "(none)"
)

// serviceStats aggregates the spans of one service.
type serviceStats struct {
	name     string
	series   series
	spans    uint64
	errors   uint64
	lastSeen stamp
}

type svcNameKey struct{ service, name string }

// serviceIndex keeps what the service filter of the API needs. While the
// view has seen one service only, the store's own aggregates are that
// service's and nothing more is kept. When a second service appears, the
// aggregates so far are copied to the first service and each service gets
// its own series and span-name table from then on: a process fed by its own
// SDK pays one pointer comparison per span.
type serviceIndex struct {
	lastRes  *resource.Resource
	lastName string
	lastHas  bool

	first  string // the service of every span so far, while !multi
	multi  bool
	byName map[string]*serviceStats
	order  []string // tracked services, in the order first seen
	names  map[svcNameKey]*nameStats
}

// serviceOf returns the service.name of sp's resource, noService when it
// has none, and whether it has one. The last resource is cached: spans of
// one provider share it.
func (x *serviceIndex) serviceOf(sp sdktrace.ReadOnlySpan) (string, bool) {
	r := sp.Resource()
	if r == x.lastRes && x.lastName != "" {
		return x.lastName, x.lastHas
	}
	name, has := serviceOfResourceOK(r)
	x.lastRes, x.lastName, x.lastHas = r, name, has
	return name, has
}

// serviceOfResource returns the service.name of r, noService when it has
// none.
func serviceOfResource(r *resource.Resource) string {
	name, _ := serviceOfResourceOK(r)
	return name
}

// serviceOfResourceOK is serviceOfResource, reporting too whether r has a
// non-empty service.name.
func serviceOfResourceOK(r *resource.Resource) (string, bool) {
	if r != nil {
		if v, ok := r.Set().Value(serviceNameKey); ok && v.AsString() != "" {
			return v.AsString(), true
		}
	}
	return noService, false
}

// tracked returns the name under which service svc is counted: itself, or
// otherService past maxServices.
func (x *serviceIndex) tracked(svc string) string {
	if !x.multi {
		return svc
	}
	if _, ok := x.byName[svc]; ok {
		return svc
	}
	return otherService
}

// ingestService counts the span of r (its duration d in bucket b, ended at
// end) under its service. The caller holds s.mu and calls it before the
// store's own aggregates count the span.
func (s *store) ingestService(r rec, end stamp, d time.Duration, b int, isErr bool) {
	x := &s.svc
	svcB := r.serviceBytes()
	if !x.multi {
		if x.first == "" {
			x.first = string(svcB)
		}
		if string(svcB) == x.first {
			return
		}
		s.splitServices()
	}
	st := x.byName[string(svcB)]
	if st == nil {
		svc := string(svcB)
		if len(x.byName) >= maxServices {
			svc = otherService
			st = x.byName[svc]
		}
		if st == nil {
			st = &serviceStats{name: svc, series: newSeries(seriesSeconds)}
			x.byName[svc] = st
			x.order = append(x.order, svc)
		}
	}
	svc := st.name
	st.series.add(end.unix(), b, isErr)
	st.spans++
	if isErr {
		st.errors++
	}
	if end.after(st.lastSeen) {
		st.lastSeen = end
	}

	// The key's name is the record's bytes for the look-up, a copy once
	// stored.
	nb := r.nameBytes()
	key := svcNameKey{svc, unsafe.String(unsafe.SliceData(nb), len(nb))}
	ns := x.names[key]
	if ns == nil {
		key.name = string(nb)
		if len(x.names) >= maxNames {
			key.name = otherName
			ns = x.names[key]
		}
		if ns == nil {
			ns = &nameStats{kind: r.kind()}
			x.names[key] = ns
		}
	}
	ns.observe(b, d, end, isErr)
}

// splitServices starts per-service aggregates: everything counted so far
// belongs to the first service.
func (s *store) splitServices() {
	x := &s.svc
	x.multi = true
	first := &serviceStats{name: x.first, series: series{slots: append([]secSlot(nil), s.series.slots...)},
		spans: s.totalSpans, errors: s.totalErrors}
	x.byName = map[string]*serviceStats{x.first: first}
	x.order = []string{x.first}
	x.names = make(map[svcNameKey]*nameStats, len(s.names))
	for name, ns := range s.names {
		c := *ns
		x.names[svcNameKey{x.first, name}] = &c
		if c.lastSeen.after(first.lastSeen) {
			first.lastSeen = c.lastSeen
		}
	}
}

// serviceView is what the API shows of one service, or of all of them
// when svc is empty. The caller holds s.mu.
type serviceView struct {
	known  bool // false: a service the view has not seen (empty answers)
	series *series
	spans  uint64
	errors uint64
	names  map[string]*nameStats
}

func (s *store) forService(svc string) serviceView {
	x := &s.svc
	if svc == "" || (!x.multi && svc == x.first) {
		return serviceView{known: true, series: &s.series, spans: s.totalSpans, errors: s.totalErrors, names: s.names}
	}
	st := x.byName[svc]
	if !x.multi || st == nil {
		return serviceView{series: &s.series, names: map[string]*nameStats{}}
	}
	v := serviceView{known: true, series: &st.series, spans: st.spans, errors: st.errors, names: map[string]*nameStats{}}
	for k, ns := range x.names {
		if k.service == svc {
			v.names[k.name] = ns
		}
	}
	return v
}

// window returns the series' columns, all zero for an unknown service.
func (v serviceView) window(now int64, seconds, step int) []column {
	cols := v.series.window(now, seconds, step)
	if !v.known {
		for i := range cols {
			cols[i] = column{Start: cols[i].Start}
		}
	}
	return cols
}

// hasService reports whether a span of t belongs to service svc (as
// tracked: otherService matches the services past the cap).
func (s *store) traceHasService(t *traceEntry, svc string) bool {
	found := false
	recs(t.buf, func(r rec) bool {
		found = s.svc.tracked(string(r.serviceBytes())) == svc
		return !found
	})
	return found
}

// serviceSummary is one row of /api/services.
type serviceSummary struct {
	Name     string    `json:"name"`
	Spans    uint64    `json:"spans"`
	Errors   uint64    `json:"errors"`
	LastSeen time.Time `json:"last_seen,omitzero"`
}

// services lists the tracked services, most spans first (otherService
// last). The caller holds s.mu.
func (s *store) services() []serviceSummary {
	x := &s.svc
	out := []serviceSummary{}
	if !x.multi {
		if x.first != "" {
			var last stamp
			for _, ns := range s.names {
				if ns.lastSeen.after(last) {
					last = ns.lastSeen
				}
			}
			out = append(out, serviceSummary{Name: x.first, Spans: s.totalSpans, Errors: s.totalErrors, LastSeen: last.time()})
		}
		return out
	}
	for _, name := range x.order {
		st := x.byName[name]
		out = append(out, serviceSummary{Name: name, Spans: st.spans, Errors: st.errors, LastSeen: st.lastSeen.time()})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Name == otherService) != (out[j].Name == otherService) {
			return out[j].Name == otherService
		}
		return out[i].Spans > out[j].Spans
	})
	return out
}

// serviceMatcher returns a test of a record's service against the service
// filter svc (as tracked: otherService matches the services past the cap),
// or nil for no filter.
func (v *View) serviceMatcher(svc string) func(string) bool {
	if svc == "" {
		return nil
	}
	v.lockStore()
	x := &v.store.svc
	tracked := make(map[string]bool, len(x.byName)+1)
	if !x.multi {
		tracked[x.first] = true
	}
	for name := range x.byName {
		tracked[name] = true
	}
	v.store.mu.Unlock()
	return func(s string) bool {
		if !tracked[s] {
			s = otherService
		}
		return s == svc
	}
}

// servicesResponse is the JSON of /api/services: the services seen, most
// spans first, at most maxServices and otherService for the rest.
type servicesResponse struct {
	Services []serviceSummary `json:"services"`
	Max      int              `json:"max"`
}

func (v *View) apiServices(w http.ResponseWriter, _ *http.Request) {
	v.lockStore()
	resp := servicesResponse{Services: v.store.services(), Max: maxServices}
	v.store.mu.Unlock()
	writeJSON(w, resp)
}
