// Command benchtable runs the benchmarks that compare each otelkit wrapper
// with its upstream peer and with no instrumentation, interleaved, and
// writes the medians to docs/benchmarks.md. Each benchmark runs alone in a
// process of its own (so one cannot leave its heap or its caches to the
// next), once per round, in an order shuffled anew each round. Run it from
// anywhere in the repository:
//
//	go run ./internal/itest/cmd/benchtable                      # 8 rounds, 1s each
//	go run ./internal/itest/cmd/benchtable -rounds 3 -benchtime 200ms
//	go run ./internal/itest/cmd/benchtable -raw /tmp/new.txt    # also keep every run for benchstat
//
// Two runs' -raw files compare with benchstat (golang.org/x/perf/cmd/benchstat).
//
// It is not run by CI: a full run takes many minutes.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// pkg is one test binary the table's benchmarks run in.
type pkg struct {
	dir string // relative to the repository root
	// benchtime overrides the -benchtime flag ("" keeps it): a
	// BenchmarkProduceConsume op is 10,000 records through kfake.
	benchtime string
}

var pkgs = []pkg{
	{dir: "httpx"},
	{dir: "sqlx"},
	{dir: "internal/itest/redisx"},
	{dir: "internal/itest/kafkax", benchtime: "kafka"},
	{dir: "kafkax"},
	{dir: "internal/itest/logcorr"},
}

// job is one benchmark of the table, run alone in its package's binary.
type job struct {
	pkg  int    // index in pkgs
	name string // full benchmark name without the -GOMAXPROCS suffix
	// procs1 runs the benchmark with GOMAXPROCS=1 (the paired ones).
	procs1 bool
}

// jobs lists every benchmark a section names, once each, in the order of
// the sections.
func jobs() ([]job, error) {
	var js []job
	seen := map[string]bool{}
	for _, sec := range sections {
		dir, ok := sectionPkg[sec.wrapper]
		if !ok {
			return nil, fmt.Errorf("section %s has no package", sec.wrapper)
		}
		pi := slices.IndexFunc(pkgs, func(p pkg) bool { return p.dir == dir })
		if pi < 0 {
			return nil, fmt.Errorf("section %s: package %s is not in pkgs", sec.wrapper, dir)
		}
		for _, r := range sec.rows {
			for _, name := range []string{r.wrapper, r.peer, r.bare} {
				if name == "" || seen[dir+" "+name] {
					continue
				}
				seen[dir+" "+name] = true
				js = append(js, job{pkg: pi, name: name})
			}
		}
		for _, pr := range sec.paired {
			if !seen[dir+" "+pr.name] {
				seen[dir+" "+pr.name] = true
				js = append(js, job{pkg: pi, name: pr.name, procs1: true})
			}
		}
	}
	return js, nil
}

// exactPattern is the -test.bench pattern that runs the benchmark name and
// nothing else: each slash-separated level anchored and quoted.
func exactPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// row names the three benchmarks of one wrapper at one sampling setting.
type row struct {
	sampling            string
	wrapper, peer, bare string // benchmark names without the -GOMAXPROCS suffix; "" when not measured
}

// pairedRow is a benchmark that runs the wrapper, its peer and other
// implementations in one process, in turns of a few hundred operations
// (httpx's runPaired), and reports the time of each over the peer's as a
// metric "IMPL/PEER": turns milliseconds apart see the same machine, so the
// ratios hold where separate runs drift. It runs with GOMAXPROCS=1, so
// that the collector's work of one turn does not run beside another's.
type pairedRow struct {
	sampling string
	name     string   // the benchmark, without the -GOMAXPROCS suffix
	impls    []string // the IMPL of each metric, as named by the benchmark
	labels   []string // the same as shown in the table
}

// section is one wrapper with its peer.
type section struct {
	wrapper, peer string // as shown in the table
	unit          string // what one operation is
	perOp         float64
	note          string
	rows          []row
	paired        []pairedRow
}

var sections = []section{
	{wrapper: "httpx server", peer: "otelhttp", unit: "request", perOp: 1,
		note: "`httpx.NewHandler` vs `otelhttp.NewHandler` on a routed `http.ServeMux`, in-process (no network), spans and metrics recorded, exported nowhere.",
		rows: []row{
			{"sampled", "BenchmarkHandler/sampling=sampled/impl=httpx", "BenchmarkHandler/sampling=sampled/impl=otelhttp", "BenchmarkHandler/sampling=sampled/impl=bare"},
			{"unsampled", "BenchmarkHandler/sampling=unsampled/impl=httpx", "BenchmarkHandler/sampling=unsampled/impl=otelhttp", "BenchmarkHandler/sampling=unsampled/impl=bare"},
		},
		paired: []pairedRow{
			{"sampled", "BenchmarkHandlerPaired/sampling=sampled", []string{"httpx", "otelhttp-keys"}, []string{"httpx server", "httpx server's keys by hand"}},
			{"unsampled", "BenchmarkHandlerPaired/sampling=unsampled", []string{"httpx", "otelhttp-keys"}, []string{"httpx server", "httpx server's keys by hand"}},
		}},
	{wrapper: "httpx client", peer: "otelhttp", unit: "round trip", perOp: 1,
		note: "`httpx.NewTransport` vs `otelhttp.NewTransport` over a transport that answers at once with 512 bytes.",
		rows: []row{
			{"sampled", "BenchmarkTransport/sampling=sampled/impl=httpx", "BenchmarkTransport/sampling=sampled/impl=otelhttp", "BenchmarkTransport/sampling=sampled/impl=bare"},
			{"unsampled", "BenchmarkTransport/sampling=unsampled/impl=httpx", "BenchmarkTransport/sampling=unsampled/impl=otelhttp", "BenchmarkTransport/sampling=unsampled/impl=bare"},
		},
		paired: []pairedRow{
			{"sampled", "BenchmarkTransportPaired/sampling=sampled", []string{"httpx", "otelhttp-keys"}, []string{"httpx client", "httpx client's keys by hand"}},
			{"unsampled", "BenchmarkTransportPaired/sampling=unsampled", []string{"httpx", "otelhttp-keys"}, []string{"httpx client", "httpx client's keys by hand"}},
		}},
	keysByHand("server", "request", "BenchmarkHandler",
		"A reference, not a wrapper: bare otelhttp whose handler sets on the span, after the route's handler returns, the same eleven keys that httpx adds there, precomputed (`SetAttributes` of a fixed slice). What the keys alone cost when set by hand; httpx computes them per request and hands them to otelhttp's last `SetAttributes` call instead."),
	keysByHand("client", "round trip", "BenchmarkTransport",
		"A reference, not a wrapper: bare otelhttp over a transport that sets on the span, after the round trip, the same five keys that httpx adds there, precomputed."),
	{wrapper: "sqlx", peer: "otelsql", unit: "query", perOp: 1,
		note: "A primary-key `SELECT` through `database/sql` on a driver that costs nothing; `sqlx.OpenDB` vs `otelsql.WrapDriver` with its defaults. The benchmark runs sampled only.",
		rows: []row{
			{"sampled", "BenchmarkOverhead/impl=sqlx", "BenchmarkOverhead/impl=otelsql", "BenchmarkOverhead/impl=bare"},
		}},
	{wrapper: "redisx", peer: "redisotel", unit: "GET", perOp: 1,
		note: "go-redis v9 `GET` answered by a hook (no network): `redisx.Instrument` (tracing only) vs `redisotel.InstrumentTracing` without caller info.",
		rows: []row{
			{"sampled", "BenchmarkGET/backend=stub/spans=sampled/impl=redisx", "BenchmarkGET/backend=stub/spans=sampled/impl=redisotel", "BenchmarkGET/backend=stub/spans=sampled/impl=bare"},
			{"unsampled", "BenchmarkGET/backend=stub/spans=unsampled/impl=redisx", "BenchmarkGET/backend=stub/spans=unsampled/impl=redisotel", "BenchmarkGET/backend=stub/spans=unsampled/impl=bare"},
		}},
	{wrapper: "kafkax", peer: "kotel", unit: "record", perOp: 10_000,
		note: "10,000 records produced to franz-go's in-process `kfake` broker and polled back, per benchmark op, shown per record: kafkax vs franz-go's `kotel` plugin. \"Unsampled\" is `ParentBased(TraceIDRatioBased(0.01))`: 1 % of records sampled. \"Produced in requests\" is the demo's shape: records produced 10 at a time under request spans of which 1 % are sampled; its bare is franz-go with a traceparent header of each record's own that the application wrote (`bare-request-header-own`).",
		rows: []row{
			{"sampled", "BenchmarkProduceConsume/mode=sampled", "BenchmarkProduceConsume/mode=kotel-sampled", "BenchmarkProduceConsume/mode=bare"},
			{"unsampled (1 %)", "BenchmarkProduceConsume/mode=ratio1pct", "BenchmarkProduceConsume/mode=kotel-ratio1pct", "BenchmarkProduceConsume/mode=bare"},
			{"1 %, produced in requests", "BenchmarkProduceConsume/mode=ratio1pct-request", "BenchmarkProduceConsume/mode=kotel-ratio1pct-request", "BenchmarkProduceConsume/mode=bare-request-header-own"},
		}},
	{wrapper: "kafkax hooks alone", peer: "", unit: "record", perOp: 1,
		note: "One sampled record through kafkax's produce and consume hooks with no broker: the cost kafkax adds per record without kfake's noise. No peer.",
		rows: []row{
			{"sampled", "BenchmarkSampledHooks", "", ""},
		}},
	{wrapper: "logcorr", peer: "hand-written trace_id/span_id/trace_flags slog handler", unit: "log record", perOp: 1,
		note: "One `InfoContext` with two attributes to `slog.TextHandler` (to `io.Discard`) inside a span: `logcorr.NewHandler` (adds trace_id, span_id and trace_flags) vs a hand-written handler that adds the same three attributes (like for like; the spec needs only the two ids, `trace_flags` is logcorr's default).",
		rows: []row{
			{"sampled", "BenchmarkHandler/sampling=sampled/impl=logcorr", "BenchmarkHandler/sampling=sampled/impl=handwritten-3ids", "BenchmarkHandler/sampling=sampled/impl=bare"},
			{"unsampled", "BenchmarkHandler/sampling=unsampled/impl=logcorr", "BenchmarkHandler/sampling=unsampled/impl=handwritten-3ids", "BenchmarkHandler/sampling=unsampled/impl=bare"},
		}},
}

// keysByHand is the reference section of one side of httpx (server or
// client): bench's impl=otelhttp-keys, bare otelhttp with the keys that
// httpx adds set by hand, against otelhttp, sampled.
func keysByHand(side, unit, bench, note string) section {
	name := func(impl string) string { return bench + "/sampling=sampled/impl=" + impl }
	return section{wrapper: "httpx " + side + "'s keys by hand", peer: "otelhttp", unit: unit, perOp: 1, note: note,
		rows: []row{{"sampled", name("otelhttp-keys"), name("otelhttp"), name("bare")}}}
}

// sectionPkg maps a section to the package its benchmarks run in, so that
// two packages with a BenchmarkHandler do not mix.
var sectionPkg = map[string]string{
	"httpx server": "httpx", "httpx client": "httpx", "sqlx": "sqlx",
	"httpx server's keys by hand": "httpx", "httpx client's keys by hand": "httpx",
	"redisx": "internal/itest/redisx", "kafkax": "internal/itest/kafkax",
	"kafkax hooks alone": "kafkax", "logcorr": "internal/itest/logcorr",
}

// modules are the versions the header lists, as `go list -m` reports them
// in the internal/itest module.
var modules = []string{
	"go.opentelemetry.io/otel",
	"go.opentelemetry.io/otel/sdk",
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
	"github.com/XSAM/otelsql",
	"github.com/redis/go-redis/v9",
	"github.com/redis/go-redis/extra/redisotel/v9",
	"github.com/twmb/franz-go",
	"github.com/twmb/franz-go/plugin/kotel",
	"github.com/twmb/franz-go/pkg/kfake",
}

// result is one benchmark line's metrics.
type result struct {
	name string
	vals map[string]float64 // unit -> value, e.g. "ns/op" -> 123
}

// parseLine reads one standard benchmark line ("BenchmarkX/a=b-2  1000
// 123 ns/op  45 B/op  6 allocs/op"); ok is false for any other line. The
// -GOMAXPROCS suffix is removed from the name.
func parseLine(line string) (r result, ok bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return result{}, false
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return result{}, false
	}
	r = result{name: trimProcs(f[0]), vals: map[string]float64{}}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return result{}, false
		}
		r.vals[f[i+1]] = v
	}
	return r, true
}

// trimProcs removes a trailing "-N" (N digits) from a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return name
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name
		}
	}
	return name[:i]
}

// median returns the median of xs (the mean of the two middle values for
// an even count); NaN-free input, at least one value.
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread is the largest distance of a value from the median, in percent
// of the median: how far the rounds disagree. 0 for one value.
func spread(xs []float64) float64 {
	m := median(xs)
	if m == 0 {
		return 0
	}
	d := 0.0
	for _, x := range xs {
		d = max(d, math.Abs(x-m))
	}
	return 100 * d / m
}

// samples holds every value seen: package -> benchmark -> unit -> values.
type samples map[string]map[string]map[string][]float64

func (s samples) add(pkg string, r result) {
	if s[pkg] == nil {
		s[pkg] = map[string]map[string][]float64{}
	}
	if s[pkg][r.name] == nil {
		s[pkg][r.name] = map[string][]float64{}
	}
	for u, v := range r.vals {
		s[pkg][r.name][u] = append(s[pkg][r.name][u], v)
	}
}

// med returns the median of one metric, ok false when it was not measured.
func (s samples) med(pkg, name, unit string) (float64, int, bool) {
	vs := s[pkg][name][unit]
	if len(vs) == 0 {
		return 0, 0, false
	}
	return median(vs), len(vs), true
}

// header is what the file says about the run.
type header struct {
	date, goVersion, cpu, otelkit, note, loadStart, loadEnd, benchtime, kafkaBenchtime string
	cores, rounds                                                                      int
	modules                                                                            []string
}

func main() {
	rounds := flag.Int("rounds", 8, "interleaved rounds: each benchmark runs once per round, alone in its process, in a shuffled order")
	benchtime := flag.String("benchtime", "1s", "-benchtime of each benchmark run")
	kafkaBenchtime := flag.String("kafkabenchtime", "", "-benchtime of BenchmarkProduceConsume (an op is 10,000 records); empty: the same as -benchtime")
	out := flag.String("o", "docs/benchmarks.md", "output file, relative to the repository root")
	note := flag.String("note", "", "a sentence about the machine's state, written in the header (e.g. that it was loaded)")
	raw := flag.String("raw", "", "also write every run's output to this file, in the format benchstat reads")
	flag.Parse()
	if *rounds < 1 {
		fatal(errors.New("-rounds must be at least 1"))
	}
	if *kafkaBenchtime == "" {
		*kafkaBenchtime = *benchtime
	}
	if err := run(*rounds, *benchtime, *kafkaBenchtime, *out, *note, *raw); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchtable:", err)
	os.Exit(1)
}

func run(rounds int, benchtime, kafkaBenchtime, out, note, raw string) error {
	ctx := context.Background()
	root, err := repoRoot(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "benchtable")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	h := header{date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), cores: runtime.NumCPU(), rounds: rounds,
		benchtime: benchtime, kafkaBenchtime: kafkaBenchtime, note: note, loadStart: loadavg()}
	if h.goVersion, err = output(ctx, root, "go", "env", "GOVERSION"); err != nil {
		return err
	}
	if h.otelkit, err = output(ctx, root, "git", "describe", "--always", "--dirty"); err != nil {
		h.otelkit = "unknown"
	}
	h.modules, err = moduleVersions(ctx, filepath.Join(root, "internal/itest"))
	if err != nil {
		return err
	}

	bins := make([]string, len(pkgs))
	for i, p := range pkgs {
		bins[i] = filepath.Join(tmp, strings.ReplaceAll(p.dir, "/", "_")+".test")
		fmt.Fprintf(os.Stderr, "building %s\n", p.dir)
		if _, err := output(ctx, filepath.Join(root, p.dir), "go", "test", "-c", "-o", bins[i], "."); err != nil {
			return err
		}
	}
	js, err := jobs()
	if err != nil {
		return err
	}
	var rawOut bytes.Buffer
	s := samples{}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	for r := 1; r <= rounds; r++ {
		rng.Shuffle(len(js), func(i, j int) { js[i], js[j] = js[j], js[i] })
		for k, j := range js {
			p := pkgs[j.pkg]
			bt := benchtime
			if p.benchtime == "kafka" {
				bt = kafkaBenchtime
			}
			fmt.Fprintf(os.Stderr, "round %d/%d, %d/%d: %s %s\n", r, rounds, k+1, len(js), p.dir, j.name)
			cmd := exec.CommandContext(ctx, bins[j.pkg], "-test.run", "^$", "-test.bench", exactPattern(j.name),
				"-test.benchmem", "-test.benchtime", bt, "-test.count", "1")
			cmd.Dir = filepath.Join(root, p.dir)
			if j.procs1 {
				cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			}
			cmd.Stderr = os.Stderr
			b, err := cmd.Output()
			if err != nil {
				os.Stderr.Write(b)
				return fmt.Errorf("%s %s: %w", p.dir, j.name, err)
			}
			rawOut.Write(b)
			found := false
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				line := sc.Text()
				if cpu, ok := strings.CutPrefix(line, "cpu: "); ok && h.cpu == "" {
					h.cpu = strings.TrimSpace(cpu)
				}
				if res, ok := parseLine(line); ok && res.name == j.name {
					s.add(p.dir, res)
					found = true
				}
			}
			if !found {
				return fmt.Errorf("%s: no result for %s", p.dir, j.name)
			}
		}
	}
	if raw != "" {
		if err := os.WriteFile(raw, rawOut.Bytes(), 0o644); err != nil {
			return err
		}
	}
	h.loadEnd = loadavg()
	var buf bytes.Buffer
	if err := render(&buf, h, s); err != nil {
		return err
	}
	dst := out
	if !filepath.IsAbs(dst) {
		dst = filepath.Join(root, out)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", dst)
	return nil
}

// repoRoot is the directory of the go.work file that joins the modules.
func repoRoot(ctx context.Context) (string, error) {
	w, err := output(ctx, "", "go", "env", "GOWORK")
	if err != nil {
		return "", err
	}
	if w == "" || w == "off" {
		return "", errors.New("run from inside the otelkit repository (no go.work found)")
	}
	return filepath.Dir(w), nil
}

// moduleVersions returns "path version" for each of modules.
func moduleVersions(ctx context.Context, dir string) ([]string, error) {
	args := append([]string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}, modules...)
	o, err := output(ctx, dir, "go", args...)
	if err != nil {
		return nil, err
	}
	return strings.Split(o, "\n"), nil
}

// output runs a command in dir and returns its trimmed standard output.
func output(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(b)), nil
}

// loadavg returns the 1, 5 and 15 minute load averages, "" when unknown.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// render writes the markdown file.
func render(w io.Writer, h header, s samples) error {
	var b strings.Builder
	b.WriteString("# What the instrumentation costs\n\n")
	b.WriteString("<!-- Generated by `go run ./internal/itest/cmd/benchtable`; do not edit by hand. -->\n\n")
	b.WriteString("Each otelkit wrapper next to the upstream instrumentation it builds on and next to no\n")
	b.WriteString("instrumentation at all (bare), per operation: the median of the interleaved rounds of\n")
	b.WriteString("`go test -bench -benchmem` (each round runs every benchmark once, each alone in a process of\n")
	b.WriteString("its own, in an order shuffled anew each round).\n")
	b.WriteString("Spans go to no exporter: the figures are the instrumentation's own cost. \"vs peer\" is\n")
	b.WriteString("the wrapper's time over the peer's (below 1.00× is faster); \"±\" is the largest distance of\n")
	b.WriteString("one round's time from the median, in percent: how much the rounds disagree.\n\n")
	fmt.Fprintf(&b, "- Date: %s\n", h.date)
	fmt.Fprintf(&b, "- Machine: %s, %d cores (GOMAXPROCS %d), %s/%s\n", orUnknown(h.cpu), h.cores, h.cores, runtime.GOOS, runtime.GOARCH)
	if h.loadStart != "" {
		fmt.Fprintf(&b, "- Load average (1, 5, 15 min): %s at the start, %s at the end\n", h.loadStart, h.loadEnd)
	}
	fmt.Fprintf(&b, "- Go: %s; otelkit: %s\n", h.goVersion, h.otelkit)
	fmt.Fprintf(&b, "- Run: %d round(s), `-benchtime %s` (BenchmarkProduceConsume `-benchtime %s`)\n", h.rounds, h.benchtime, h.kafkaBenchtime)
	b.WriteString("- Modules (`go list -m` in internal/itest):\n")
	for _, m := range h.modules {
		fmt.Fprintf(&b, "  - `%s`\n", m)
	}
	if h.note != "" {
		fmt.Fprintf(&b, "\n> **Note:** %s\n", h.note)
	}
	b.WriteString("\nReproduce with `go run ./internal/itest/cmd/benchtable` (8 rounds of 1 s; `-rounds` and\n")
	b.WriteString("`-benchtime` for a quick run). On a busy machine time varies from run to run; bytes and\n")
	b.WriteString("allocations do not. `-raw FILE` also keeps every run's output, so that two runs compare\n")
	b.WriteString("with `benchstat old.txt new.txt`.\n\n")

	b.WriteString("## Summary\n\n")
	b.WriteString("| Wrapper | Peer | Sampling | vs peer, time | vs peer, allocs | vs peer, bytes |\n|---|---|---|---|---|---|\n")
	for _, sec := range sections {
		if sec.peer == "" {
			continue
		}
		pkg := sectionPkg[sec.wrapper]
		for _, r := range sec.rows {
			wt, _, ok1 := s.med(pkg, r.wrapper, "ns/op")
			pt, _, ok2 := s.med(pkg, r.peer, "ns/op")
			wa, _, _ := s.med(pkg, r.wrapper, "allocs/op")
			pa, _, _ := s.med(pkg, r.peer, "allocs/op")
			wb, _, _ := s.med(pkg, r.wrapper, "B/op")
			pb, _, _ := s.med(pkg, r.peer, "B/op")
			ratio, da, db := "not measured", "", ""
			if ok1 && ok2 && pt > 0 {
				ratio = fmt.Sprintf("%.2f×", wt/pt)
				da = signed((wa-pa)/sec.perOp, 1)
				db = signed((wb-pb)/sec.perOp, 0) + " B"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", sec.wrapper, sec.peer, r.sampling, ratio, da, db)
		}
	}
	b.WriteString("\n")

	for _, sec := range sections {
		title := sec.wrapper
		if sec.peer != "" {
			title += " vs " + sec.peer
		}
		fmt.Fprintf(&b, "## %s\n\n%s Per %s.\n\n", title, sec.note, sec.unit)
		b.WriteString("| Sampling | Implementation | time/op | ± | B/op | allocs/op | vs peer | runs |\n|---|---|---|---|---|---|---|---|\n")
		pkg := sectionPkg[sec.wrapper]
		for _, r := range sec.rows {
			pt, _, okp := s.med(pkg, r.peer, "ns/op")
			for _, impl := range []struct{ label, name string }{{sec.wrapper, r.wrapper}, {sec.peer, r.peer}, {"bare", r.bare}} {
				if impl.name == "" {
					continue
				}
				t, n, ok := s.med(pkg, impl.name, "ns/op")
				if !ok {
					fmt.Fprintf(&b, "| %s | %s | not measured | | | | | 0 |\n", r.sampling, impl.label)
					continue
				}
				by, _, _ := s.med(pkg, impl.name, "B/op")
				al, _, _ := s.med(pkg, impl.name, "allocs/op")
				vs := ""
				if okp && pt > 0 {
					vs = fmt.Sprintf("%.2f×", t/pt)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %.0f %% | %s | %s | %s | %d |\n", r.sampling, impl.label,
					duration(t/sec.perOp), spread(s[pkg][impl.name]["ns/op"]), number(by/sec.perOp, 0), number(al/sec.perOp, 1), vs, n)
			}
		}
		b.WriteString("\n")
		renderPaired(&b, sec, s[pkg])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// renderPaired writes the table of a section's paired benchmarks: each
// implementation's time over the peer's, the median of the rounds.
func renderPaired(b *strings.Builder, sec section, s map[string]map[string][]float64) {
	if len(sec.paired) == 0 {
		return
	}
	names := map[string]bool{}
	for _, pr := range sec.paired {
		names["`"+strings.SplitN(pr.name, "/", 2)[0]+"`"] = true
	}
	list := slices.Sorted(maps.Keys(names))
	fmt.Fprintf(b, "The same in one process (%s, GOMAXPROCS 1): the implementations run in turns of a\n", strings.Join(list, ", "))
	b.WriteString("few hundred operations, so that each turn sees the machine as the last one did; time over\n")
	fmt.Fprintf(b, "%s's, the median of the rounds (± as above).\n\n", sec.peer)
	b.WriteString("| Sampling | Implementation | vs peer | ± | runs |\n|---|---|---|---|---|\n")
	for _, pr := range sec.paired {
		for i, impl := range pr.impls {
			vs := s[pr.name][impl+"/"+sec.peer]
			if len(vs) == 0 {
				fmt.Fprintf(b, "| %s | %s | not measured | | 0 |\n", pr.sampling, pr.labels[i])
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %.3f× | %.0f %% | %d |\n", pr.sampling, pr.labels[i], median(vs), spread(vs), len(vs))
		}
	}
	b.WriteString("\n")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown CPU"
	}
	return s
}

// duration formats nanoseconds with a unit that keeps three figures.
func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}

// number formats v with up to prec decimals, dropping a zero fraction.
func number(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// signed is number with a sign: "+3", "−2", "±0".
func signed(v float64, prec int) string {
	s := number(v, prec)
	switch {
	case s == "0" || s == "-0":
		return "±0"
	case strings.HasPrefix(s, "-"):
		return "−" + s[1:]
	default:
		return "+" + s
	}
}
