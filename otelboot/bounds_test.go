package otelboot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelkit/otelkit/internal/testutil"
)

// usedValue returns what Start gave the SDK for key, in the variable's
// unit (milliseconds for durations).
func usedValue(t *testing.T, s *starter, key string) int64 {
	t.Helper()
	msOf := func(d time.Duration) int64 { return d.Milliseconds() }
	bs := func(i int, field string) int64 {
		b := s.batch[i]
		switch field {
		case "SCHEDULE_DELAY", "INTERVAL":
			return msOf(b.delay)
		case "EXPORT_TIMEOUT", "TIMEOUT":
			return msOf(b.timeout)
		case "MAX_QUEUE_SIZE":
			return int64(b.queue)
		case "MAX_EXPORT_BATCH_SIZE":
			return int64(b.batch)
		}
		t.Fatalf("no field %s", field)
		return 0
	}
	l := s.spanLimits
	switch {
	case strings.HasPrefix(key, "OTEL_BSP_"):
		return bs(0, strings.TrimPrefix(key, "OTEL_BSP_"))
	case strings.HasPrefix(key, "OTEL_BLRP_"):
		return bs(1, strings.TrimPrefix(key, "OTEL_BLRP_"))
	case strings.HasPrefix(key, "OTEL_METRIC_EXPORT_"):
		return bs(2, strings.TrimPrefix(key, "OTEL_METRIC_EXPORT_"))
	case strings.HasPrefix(key, "OTEL_EXPORTER_OTLP_") && strings.HasSuffix(key, "TIMEOUT"):
		sig := map[string]int{"TRACES": 0, "METRICS": 1, "LOGS": 2}[strings.TrimSuffix(strings.TrimPrefix(key, "OTEL_EXPORTER_OTLP_"), "_TIMEOUT")]
		return msOf(s.plans[sig][0].timeout)
	case key == "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT" || key == "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT":
		if key == "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT" && int64(s.logLimits[1]) != int64(l.AttributeValueLengthLimit) {
			t.Errorf("log records got %d, spans %d", s.logLimits[1], l.AttributeValueLengthLimit)
		}
		return int64(l.AttributeValueLengthLimit)
	case key == "OTEL_ATTRIBUTE_COUNT_LIMIT" || key == "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT":
		if key == "OTEL_ATTRIBUTE_COUNT_LIMIT" && int64(s.logLimits[0]) != int64(l.AttributeCountLimit) {
			t.Errorf("log records got %d, spans %d", s.logLimits[0], l.AttributeCountLimit)
		}
		return int64(l.AttributeCountLimit)
	case key == "OTEL_SPAN_EVENT_COUNT_LIMIT":
		return int64(l.EventCountLimit)
	case key == "OTEL_SPAN_LINK_COUNT_LIMIT":
		return int64(l.LinkCountLimit)
	case key == "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT":
		return int64(l.AttributePerEventCountLimit)
	case key == "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT":
		return int64(l.AttributePerLinkCountLimit)
	case key == "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT":
		return int64(s.logLimits[0])
	case key == "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT":
		return int64(s.logLimits[1])
	}
	t.Fatalf("no used value for %s", key)
	return 0
}

// want is the rule of bound, written out again: what a value should
// become, and whether it is warned about.
func (b bound) want(v string) (used int64, warned bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-"):
		return b.hi, true // an integer beyond int64 is above every range
	case err != nil:
		return b.def, true
	}
	switch {
	case n < b.min:
		return b.def, true
	case n < b.lo:
		return b.lo, true
	case n > b.hi:
		return b.hi, true
	}
	return n, false
}

// startWith starts with env set over exporters for every signal (towards a
// closed port: nothing dials at start) and returns the starter, the
// diagnostics and how long Start took.
func startWith(t *testing.T, env ...string) (*starter, string, time.Duration) {
	t.Helper()
	cleanEnv(t, append([]string{"OTEL_EXPORTER_OTLP_ENDPOINT", closedPort(t)}, env...)...)
	var s *starter
	var diag testutil.SyncBuffer
	began := time.Now()
	shutdown, err := Start(context.Background(), WithLogger(slog.New(slog.NewTextHandler(&diag, nil))),
		WithDefaultLogger(false), optionFunc(func(c *config) { c.onBuilt = func(st *starter) { s = st } }))
	took := time.Since(began)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = shutdown(ctx)
	return s, diag.String(), took
}

// TestNumericBounds: every numeric variable, below, at and above each edge
// of its range, and values no range holds (NaN, 2^63-1, -2^63, beyond
// int64, fractions, words): one warning naming the variable and the value
// when outside, the documented value used, Start within a second, no
// panic.
func TestNumericBounds(t *testing.T) {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range bounds {
			if !yield(k) {
				return
			}
		}
	})
	for _, key := range keys {
		b := bounds[key]
		vals := []string{"NaN", "Inf", "9223372036854775807", "-9223372036854775808", "99999999999999999999999",
			"999999999999999", "-1", "0", "1.5", "ten", "0x10",
			fmt.Sprint(b.min - 1), fmt.Sprint(b.min), fmt.Sprint(b.lo - 1), fmt.Sprint(b.lo), fmt.Sprint(b.lo + 1),
			fmt.Sprint(b.hi - 1), fmt.Sprint(b.hi), fmt.Sprint(b.hi + 1), fmt.Sprint(b.def)}
		slices.Sort(vals)
		for _, v := range slices.Compact(vals) {
			t.Run(key+"="+v, func(t *testing.T) {
				want, warned := b.want(v)
				if key == "OTEL_BSP_MAX_EXPORT_BATCH_SIZE" || key == "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE" {
					want = min(want, 2048) // at most the queue (its default here)
				}
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				s, diag, took := startWith(t, key, v)
				runtime.ReadMemStats(&ms1)
				if got := usedValue(t, s, key); got != want {
					t.Errorf("used %d, want %d", got, want)
				}
				n := countLines(diag, "level=WARN", "variable="+key)
				switch {
				case warned && (n != 1 || countLines(diag, "level=WARN", "variable="+key, "value="+v) != 1):
					t.Errorf("want one warning naming %s and %q:\n%s", key, v, diag)
				case warned && countLines(diag, "level=WARN", "using=", b.show(want)) != 1 && !strings.Contains(key, "BATCH_SIZE"):
					t.Errorf("the warning does not say %s is used:\n%s", b.show(want), diag)
				case !warned && n != 0:
					t.Errorf("warned about a valid value:\n%s", diag)
				}
				// A hang guard, not a speed test: 5 s leaves room for a
				// loaded machine (1.7 s seen at load average 30 for the
				// largest log queue), while a Start that blocks fails.
				if took > 5*time.Second {
					t.Errorf("Start took %s", took)
				}
				if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 32<<20 { // the log queue at its bound: about 11 MB
					t.Errorf("Start allocated %d MB", alloc>>20)
				}
			})
		}
	}
}

// TestNumericBoundsEveryVariable: the bounds table covers every numeric
// variable the package reads (so TestNumericBounds does).
func TestNumericBoundsEveryVariable(t *testing.T) {
	for _, k := range allVars {
		numeric := strings.Contains(k, "LIMIT") || strings.Contains(k, "_BSP_") || strings.Contains(k, "_BLRP_") ||
			strings.HasPrefix(k, "OTEL_METRIC_EXPORT_") || (strings.HasPrefix(k, "OTEL_EXPORTER_OTLP_") && strings.HasSuffix(k, "TIMEOUT"))
		if _, ok := bounds[k]; numeric != ok {
			t.Errorf("%s: numeric %v, in bounds %v", k, numeric, ok)
		}
	}
}

// TestSamplerArgBounds: the ratio is a finite number within [0, 1];
// anything else is one warning and 1.0.
func TestSamplerArgBounds(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want string // in the sampler's description
	}{
		{"0", "{0}"}, {"1", "{1}"}, {"0.25", "{0.25}"}, {"1e-3", "{0.001}"},
		{"-0.1", "{1}"}, {"1.0000001", "{1}"}, {"NaN", "{1}"}, {"nan", "{1}"}, {"Inf", "{1}"}, {"-Inf", "{1}"},
		{"1e999", "{1}"}, {"half", "{1}"}, {"9223372036854775807", "{1}"},
	} {
		t.Run(tc.v, func(t *testing.T) {
			s, diag, _ := startWith(t, "OTEL_TRACES_SAMPLER", "traceidratio", "OTEL_TRACES_SAMPLER_ARG", tc.v)
			if d := s.sampler.Description(); !strings.Contains(d, tc.want) {
				t.Errorf("sampler %s, want %s", d, tc.want)
			}
			warned := tc.want == "{1}" && tc.v != "1"
			if n := countLines(diag, "level=WARN", "variable=OTEL_TRACES_SAMPLER_ARG", "value="+tc.v); (n == 1) != warned || n > 1 {
				t.Errorf("%d warnings, want warned=%v:\n%s", n, warned, diag)
			}
		})
	}
}

// TestPortBounds: a port outside 1-65535 in an endpoint, or outside
// 0-65535 for the Prometheus exporter, is an error naming the variable.
func TestPortBounds(t *testing.T) {
	for _, tc := range []struct {
		key, v string
		ok     bool
	}{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:1", true},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:65535", true},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost", true},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:0", false},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:65536", false},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://localhost:99999/v1/traces", false},
		{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "https://localhost:9223372036854775807", false},
		{"OTEL_EXPORTER_PROMETHEUS_PORT", "0", true},
		{"OTEL_EXPORTER_PROMETHEUS_PORT", "-1", false},
		{"OTEL_EXPORTER_PROMETHEUS_PORT", "65536", false},
		{"OTEL_EXPORTER_PROMETHEUS_PORT", "NaN", false},
		{"OTEL_EXPORTER_PROMETHEUS_PORT", "9223372036854775807", false},
	} {
		t.Run(tc.key+"="+tc.v, func(t *testing.T) {
			cleanEnv(t, "OTEL_METRICS_EXPORTER", "otlp,prometheus", "OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1",
				"OTEL_EXPORTER_PROMETHEUS_PORT", "0", tc.key, tc.v)
			shutdown, err := Start(context.Background(), WithLogger(slog.New(slog.DiscardHandler)), WithDefaultLogger(false))
			if err == nil {
				_ = shutdown(context.Background())
			}
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tc.key+"=") {
				t.Errorf("error does not name %s: %v", tc.key, err)
			}
		})
	}
}

// TestHeaderControlCharacters: a header value that decodes to a control
// character is an error naming the variable and the header, the value
// redacted.
func TestHeaderControlCharacters(t *testing.T) {
	for _, key := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
		"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "OTEL_EXPORTER_OTLP_LOGS_HEADERS"} {
		for _, v := range []string{"s3cret%0D%0Ab", "s3cret%0A", "s3cret%00", "s3cret%09", "s3cret%1B", "s3cret%7F"} {
			t.Run(key+"="+v, func(t *testing.T) {
				cleanEnv(t, key, "ok=fine,x-token="+v)
				_, err := Start(context.Background(), WithLogger(slog.New(slog.DiscardHandler)), WithDefaultLogger(false))
				if err == nil {
					t.Fatal("Start succeeded")
				}
				for _, w := range []string{key + "=", "x-token", "control character"} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q: %v", w, err)
					}
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("value leaked: %v", err)
				}
			})
		}
	}
	// Printable values, percent-encoded or not, stay fine.
	cleanEnv(t, "OTEL_EXPORTER_OTLP_HEADERS", "a=Bearer%20x,b=caf%C3%A9", "OTEL_EXPORTER_OTLP_ENDPOINT", closedPort(t))
	shutdown, err := Start(context.Background(), WithLogger(slog.New(slog.DiscardHandler)), WithDefaultLogger(false))
	if err != nil {
		t.Fatal(err)
	}
	_ = shutdown(context.Background())
}

// TestConfigFileBounds: the same bounds in OTEL_CONFIG_FILE, where a value
// outside them is an error naming the key and the value (otelconf reads
// the file again itself, so no other value can be put in its place); an
// unknown file_format is an error naming the version; a file that is not
// regular, or too large, is an error.
func TestConfigFileBounds(t *testing.T) {
	dir := t.TempDir()
	batch := func(field, v string) string {
		return `file_format: "1.0"
tracer_provider:
  processors:
    - batch:
        ` + field + `: ` + v + `
        exporter:
          console: {}
`
	}
	logBatch := strings.ReplaceAll(batch("max_queue_size", "2147483647"), "tracer_provider", "logger_provider")
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(`file_format: "1.0"`+"\n"+strings.Repeat("# padding\n", maxFileSize/10+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, want string // want "" means valid
		path             string
	}{
		{name: "1.0", body: `file_format: "1.0"` + "\n"},
		{name: "1.0-rc.2", body: `file_format: "1.0-rc.2"` + "\n"},
		{name: "unquoted 1.0", body: "file_format: 1.0\n"},
		{name: "99.0", body: `file_format: "99.0"` + "\n", want: `unknown file_format version "99.0"`},
		{name: "0.3", body: `file_format: "0.3"` + "\n", want: `"0.3"`},
		{name: "queue at bound", body: batch("max_queue_size", "65536")},
		{name: "queue above", body: batch("max_queue_size", "2147483647"), want: "tracer_provider.processors[0].batch.max_queue_size: 2147483647 above the maximum 65536"},
		{name: "log queue above", body: logBatch, want: "logger_provider.processors[0].batch.max_queue_size: 2147483647 above the maximum 16384"},
		{name: "queue negative", body: batch("max_queue_size", "-1"), want: "OTEL_CONFIG_FILE"}, // otelconf's own check
		{name: "delay huge", body: batch("schedule_delay", "9223372036854775807"), want: "schedule_delay"},
		{name: "interval", body: `file_format: "1.0"
meter_provider:
  readers:
    - periodic:
        interval: 1
        exporter:
          console: {}
`, want: "meter_provider.readers[0].periodic.interval: 1 below the minimum 100ms"},
		{name: "ratio NaN", body: `file_format: "1.0"
tracer_provider:
  sampler:
    trace_id_ratio_based:
      ratio: .nan
`, want: "ratio"},
		{name: "ratio 2", body: `file_format: "1.0"
tracer_provider:
  sampler:
    trace_id_ratio_based:
      ratio: 2
`, want: "ratio: 2 above the maximum 1"},
		{name: "ratio half", body: `file_format: "1.0"
tracer_provider:
  sampler:
    trace_id_ratio_based:
      ratio: 0.5
`},
		{name: "endpoint port", body: `file_format: "1.0"
tracer_provider:
  processors:
    - batch:
        exporter:
          otlp_http:
            endpoint: "http://localhost:99999/v1/traces"
`, want: "port 99999"},
		{name: "limits", body: `file_format: "1.0"
attribute_limits:
  attribute_count_limit: 9223372036854775807
`, want: "attribute_limits.attribute_count_limit"},
		{name: "/dev/zero", path: "/dev/zero", want: "not a regular file"},
		{name: "directory", path: dir, want: "not a regular file"},
		{name: "too large", path: big, want: "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = filepath.Join(dir, strings.ReplaceAll(tc.name, "/", "_")+".yaml")
				if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cleanEnv(t, "OTEL_CONFIG_FILE", path)
			began := time.Now()
			shutdown, err := Start(context.Background(), WithLogger(slog.New(slog.DiscardHandler)), WithDefaultLogger(false))
			if took := time.Since(began); took > time.Second {
				t.Errorf("Start took %s", took)
			}
			if err == nil {
				_ = shutdown(context.Background())
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Start: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "OTEL_CONFIG_FILE")):
				t.Errorf("err = %v, want one naming OTEL_CONFIG_FILE and %q", err, tc.want)
			}
		})
	}
}

// FuzzEnvValues: any value of any variable Start reads: no panic, Start
// within a second.
func FuzzEnvValues(f *testing.F) {
	for _, v := range []string{"NaN", "9223372036854775807", "-1", "999999999999999", "k=a%0D%0Ab", "http://h:99999", "/dev/zero", "\xff"} {
		for i := range []int{0, 7, 13} {
			f.Add(uint(i), v)
		}
	}
	f.Fuzz(func(t *testing.T, which uint, v string) {
		key := allVars[which%uint(len(allVars))]
		if key == "OTELKIT_VIEW_ADDR" || key == "OTELKIT_VIEW_OTLP_ADDR" || key == "OTEL_EXPORTER_PROMETHEUS_HOST" || key == "OTEL_EXPORTER_PROMETHEUS_PORT" {
			return // would listen on whatever address the fuzzer makes up
		}
		if strings.ContainsRune(v, 0) {
			return // an environment variable cannot hold NUL
		}
		cleanEnv(t, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", key, v)
		began := time.Now()
		shutdown, err := Start(context.Background(), WithLogger(slog.New(slog.DiscardHandler)), WithDefaultLogger(false))
		if took := time.Since(began); took > time.Second {
			t.Errorf("%s=%q: Start took %s", key, v, took)
		}
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = shutdown(ctx)
		}
	})
}
