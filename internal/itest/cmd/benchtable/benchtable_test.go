package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// required is every wrapper the cost table must show with its upstream peer.
var required = []struct{ wrapper, peer string }{
	{"httpx server", "otelhttp"},
	{"httpx client", "otelhttp"},
	{"sqlx", "otelsql"},
	{"redisx", "redisotel"},
	{"kafkax", "kotel"},
	{"logcorr", "hand-written trace_id/span_id/trace_flags slog handler"},
}

// TestDocNamesEveryWrapper checks the committed docs/benchmarks.md: each
// wrapper has its section against its peer, summary rows and measured
// figures, and the header says how the file was made.
func TestDocNamesEveryWrapper(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "benchmarks.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, want := range []string{"go run ./internal/itest/cmd/benchtable", "- Date: ", "- Machine: ", "- Go: go", "go.opentelemetry.io/otel "} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/benchmarks.md lacks %q", want)
		}
	}
	for _, r := range required {
		heading := "\n## " + r.wrapper + " vs " + r.peer + "\n"
		if !strings.Contains(doc, heading) {
			t.Errorf("docs/benchmarks.md has no section %q", strings.TrimSpace(heading))
			continue
		}
		if !strings.Contains(doc, "| "+r.wrapper+" | "+r.peer+" | sampled | ") {
			t.Errorf("docs/benchmarks.md has no sampled summary row for %s vs %s", r.wrapper, r.peer)
		}
		sec := doc[strings.Index(doc, heading)+len(heading):]
		if i := strings.Index(sec, "\n## "); i >= 0 {
			sec = sec[:i]
		}
		for _, impl := range []string{r.wrapper, r.peer, "bare"} {
			row := regexp.MustCompile(`\| sampled \| ` + regexp.QuoteMeta(impl) + ` \| [0-9.]+ (ns|µs|ms) \| [0-9]+ % \|`)
			if !row.MatchString(sec) {
				t.Errorf("section %s vs %s has no measured sampled row for %s", r.wrapper, r.peer, impl)
			}
		}
	}
}

// TestSectionsCoverRequired keeps the generator from dropping a wrapper.
func TestSectionsCoverRequired(t *testing.T) {
	for _, r := range required {
		if !slices.ContainsFunc(sections, func(s section) bool { return s.wrapper == r.wrapper && s.peer == r.peer }) {
			t.Errorf("no section for %s vs %s", r.wrapper, r.peer)
		}
	}
}

// TestJobsRunEveryRow checks that every benchmark a row names is run, once,
// in the package of its section, by a pattern that runs it and nothing
// else, level by level as the testing package matches.
func TestJobsRunEveryRow(t *testing.T) {
	dirs := map[string]bool{}
	for _, p := range pkgs {
		if dirs[p.dir] {
			t.Errorf("package %s listed twice", p.dir)
		}
		dirs[p.dir] = true
		if _, err := os.Stat(filepath.Join("..", "..", "..", "..", p.dir)); err != nil {
			t.Errorf("package %s: %v", p.dir, err)
		}
	}
	js, err := jobs()
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]int{}
	for _, j := range js {
		ran[pkgs[j.pkg].dir+" "+j.name]++
	}
	for _, sec := range sections {
		dir := sectionPkg[sec.wrapper]
		if len(sec.rows) == 0 || sec.perOp <= 0 {
			t.Errorf("section %s: %d rows, perOp %v", sec.wrapper, len(sec.rows), sec.perOp)
		}
		for _, r := range sec.rows {
			for _, name := range []string{r.wrapper, r.peer, r.bare} {
				if name == "" {
					continue
				}
				if ran[dir+" "+name] != 1 {
					t.Errorf("section %s: %q runs %d times", sec.wrapper, name, ran[dir+" "+name])
				}
				pat := exactPattern(name)
				if !matchBench(pat, name) {
					t.Errorf("%q does not run %q", pat, name)
				}
				for _, other := range []string{name + "x", name + "/x=1", "x" + name} {
					if matchLeaf(pat, other) {
						t.Errorf("%q also runs %q", pat, other)
					}
				}
			}
		}
	}
	// The paired benchmarks: run once each, alone, with GOMAXPROCS=1
	// (httpx's TestRunPairedMetrics checks the metrics they report).
	for _, sec := range sections {
		dir := sectionPkg[sec.wrapper]
		for _, pr := range sec.paired {
			n := 0
			for _, j := range js {
				if pkgs[j.pkg].dir == dir && j.name == pr.name {
					n++
					if !j.procs1 {
						t.Errorf("paired %s runs with more than one proc", pr.name)
					}
				}
			}
			if n != 1 {
				t.Errorf("paired %s runs %d times", pr.name, n)
			}
			if len(pr.impls) == 0 || len(pr.impls) != len(pr.labels) {
				t.Errorf("paired %s: impls %v, labels %v", pr.name, pr.impls, pr.labels)
			}
		}
	}
	// Quoting: a name with regexp metacharacters runs only itself.
	if pat := exactPattern("BenchmarkA/mode=a.b(1)"); !matchBench(pat, "BenchmarkA/mode=a.b(1)") || matchLeaf(pat, "BenchmarkA/mode=axb(1)") {
		t.Errorf("exactPattern does not quote: %q", pat)
	}
	// The matcher itself, at and beyond its edges.
	for _, c := range []struct {
		pat, name string
		want      bool
	}{
		{"^BenchmarkA$", "BenchmarkA", true},
		{"^BenchmarkA$", "BenchmarkAB", false},
		{"^BenchmarkA$", "BenchmarkA/x=1", true},
		{"^BenchmarkA$/^x=1$", "BenchmarkA/x=1", true},
		{"^BenchmarkA$/^x=1$", "BenchmarkA/x=12", false},
		{"^BenchmarkA$/^x=1$", "BenchmarkA", true},
	} {
		if got := matchBench(c.pat, c.name); got != c.want {
			t.Errorf("matchBench(%q, %q) = %v, want %v", c.pat, c.name, got, c.want)
		}
	}
}

// matchBench reports whether -test.bench pat runs the benchmark name: each
// slash-separated level of the pattern must match the same level of the
// name.
func matchBench(pat, name string) bool {
	ps, ns := strings.Split(pat, "/"), strings.Split(name, "/")
	for i := 0; i < len(ps) && i < len(ns); i++ {
		if !regexp.MustCompile(ps[i]).MatchString(ns[i]) {
			return false
		}
	}
	return true
}

// matchLeaf reports whether pat runs name and all of name's levels are
// within the pattern's (a deeper name is a sub-benchmark the pattern
// would run only as part of a matched parent).
func matchLeaf(pat, name string) bool {
	return strings.Count(name, "/") <= strings.Count(pat, "/") && matchBench(pat, name)
}

func TestParseLine(t *testing.T) {
	for _, c := range []struct {
		line string
		ok   bool
		name string
		vals map[string]float64
	}{
		{"BenchmarkHandler/sampling=sampled/impl=httpx-2   \t 1000\t  1234.5 ns/op\t  96 B/op\t 3 allocs/op", true,
			"BenchmarkHandler/sampling=sampled/impl=httpx", map[string]float64{"ns/op": 1234.5, "B/op": 96, "allocs/op": 3}},
		{"BenchmarkX 10 5 ns/op", true, "BenchmarkX", map[string]float64{"ns/op": 5}},
		{"BenchmarkX-16 10 5 ns/op 7 cpu-ns/op", true, "BenchmarkX", map[string]float64{"ns/op": 5, "cpu-ns/op": 7}},
		{"BenchmarkHandlerPaired/sampling=sampled 100 26074 ns/op 1.195 httpx/otelhttp 8904 ns/httpx", true,
			"BenchmarkHandlerPaired/sampling=sampled", map[string]float64{"ns/op": 26074, "httpx/otelhttp": 1.195, "ns/httpx": 8904}},
		{"BenchmarkProduceConsume/mode=bare-header-own-2 3 1e+08 ns/op", true, "BenchmarkProduceConsume/mode=bare-header-own", map[string]float64{"ns/op": 1e8}},
		{"PASS", false, "", nil},
		{"goos: linux", false, "", nil},
		{"cpu: AMD EPYC 7763 64-Core Processor", false, "", nil},
		{"BenchmarkX", false, "", nil},
		{"BenchmarkX-2 10", false, "", nil},
		{"BenchmarkX-2 10 5", false, "", nil},                // value without unit
		{"BenchmarkX-2 ten 5 ns/op", false, "", nil},         // iterations not a number
		{"BenchmarkX-2 10 five ns/op", false, "", nil},       // value not a number
		{"--- FAIL: BenchmarkX-2", false, "", nil},           // not a result line
		{"    bench_test.go:12: BenchmarkX", false, "", nil}, // a log line
		{"", false, "", nil},
	} {
		r, ok := parseLine(c.line)
		if ok != c.ok {
			t.Errorf("parseLine(%q) ok = %v, want %v", c.line, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if r.name != c.name || len(r.vals) != len(c.vals) {
			t.Errorf("parseLine(%q) = %q %v, want %q %v", c.line, r.name, r.vals, c.name, c.vals)
		}
		for u, v := range c.vals {
			if r.vals[u] != v {
				t.Errorf("parseLine(%q)[%s] = %v, want %v", c.line, u, r.vals[u], v)
			}
		}
	}
}

func TestTrimProcs(t *testing.T) {
	for in, want := range map[string]string{
		"BenchmarkX-2":              "BenchmarkX",
		"BenchmarkX-128":            "BenchmarkX",
		"BenchmarkX":                "BenchmarkX",
		"BenchmarkX-":               "BenchmarkX-",
		"BenchmarkX/mode=bare-own":  "BenchmarkX/mode=bare-own",
		"BenchmarkX/mode=a-1pct-2":  "BenchmarkX/mode=a-1pct",
		"-2":                        "-2",
		"BenchmarkX/mode=ratio-1-2": "BenchmarkX/mode=ratio-1",
	} {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 1000, 2}, 2}, // one outlier does not move it
	} {
		in := slices.Clone(c.in)
		if got := median(in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
		if !slices.Equal(in, c.in) {
			t.Errorf("median reordered its input: %v", in)
		}
	}
}

func TestSpread(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{5}, 0},
		{[]float64{100, 100, 100}, 0},
		{[]float64{90, 100, 130}, 30},
		{[]float64{50, 100, 110}, 50},
		{[]float64{0, 0, 0}, 0}, // a zero median does not divide
	} {
		if got := spread(c.in); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("spread(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{duration(12.4), "12 ns"},
		{duration(999), "999 ns"},
		{duration(1000), "1.00 µs"},
		{duration(1234567), "1.23 ms"},
		{number(3, 1), "3"},
		{number(3.25, 1), "3.2"},
		{number(17.06, 1), "17.1"},
		{number(100, 0), "100"},
		{signed(2, 1), "+2"},
		{signed(-0.04, 1), "±0"},
		{signed(0, 0), "±0"},
		{signed(-7, 1), "−7"},
		{signed(0.5, 1), "+0.5"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestRender renders made-up samples: medians, per-record division,
// ratios against the peer, and "not measured" for what is missing.
func TestRender(t *testing.T) {
	s := samples{}
	for _, v := range []float64{100, 300, 200} { // median 200
		s.add("httpx", result{name: "BenchmarkHandler/sampling=sampled/impl=httpx", vals: map[string]float64{"ns/op": v, "B/op": 96, "allocs/op": 3}})
	}
	s.add("httpx", result{name: "BenchmarkHandler/sampling=sampled/impl=otelhttp", vals: map[string]float64{"ns/op": 100, "B/op": 64, "allocs/op": 1}})
	s.add("httpx", result{name: "BenchmarkHandler/sampling=sampled/impl=bare", vals: map[string]float64{"ns/op": 10, "B/op": 0, "allocs/op": 0}})
	s.add("internal/itest/kafkax", result{name: "BenchmarkProduceConsume/mode=sampled", vals: map[string]float64{"ns/op": 1e8, "B/op": 5e7, "allocs/op": 171234}})
	// A BenchmarkHandler of another package must not leak into httpx.
	s.add("internal/itest/logcorr", result{name: "BenchmarkHandler/sampling=unsampled/impl=httpx", vals: map[string]float64{"ns/op": 1}})
	var buf bytes.Buffer
	h := header{date: "2026-01-02 03:04 UTC", goVersion: "go1.26.0", cpu: "Test CPU", cores: 2, rounds: 3, benchtime: "1s", kafkaBenchtime: "1s",
		otelkit: "abc123", note: "The machine was loaded.", modules: []string{"go.opentelemetry.io/otel v1.0.0"}}
	if err := render(&buf, h, s); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"| sampled | httpx server | 200 ns | 50 % | 96 | 3 | 2.00× | 3 |",
		"| sampled | otelhttp | 100 ns | 0 % | 64 | 1 | 1.00× | 1 |",
		"| sampled | bare | 10 ns | 0 % | 0 | 0 | 0.10× | 1 |",
		"| httpx server | otelhttp | sampled | 2.00× | +2 | +32 B |",
		"| unsampled | httpx server | not measured |",
		"| httpx server | otelhttp | unsampled | not measured |",
		"| sampled | kafkax | 10.00 µs | 0 % | 5000 | 17.1 |  | 1 |",
		"> **Note:** The machine was loaded.",
		"- Machine: Test CPU, 2 cores",
		"  - `go.opentelemetry.io/otel v1.0.0`",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q in:\n%s", want, out)
		}
	}
	for _, r := range required {
		if !strings.Contains(out, "\n## "+r.wrapper+" vs "+r.peer+"\n") {
			t.Errorf("render has no section %s vs %s", r.wrapper, r.peer)
		}
	}
	if regexp.MustCompile(`\bNaN\b|\bInf\b`).MatchString(out) {
		t.Errorf("render wrote NaN or Inf:\n%s", out)
	}
}
