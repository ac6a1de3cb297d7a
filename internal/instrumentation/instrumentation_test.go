package instrumentation

import (
	"slices"
	"strings"
	"testing"
)

var all = []Name{HTTPServer, HTTPClient, DatabaseSQL, Redis, Kafka, Slog, Runtime}

// TestEnabled: the rule of the package documentation, name by name, at and
// beyond each edge (unset and blank lists, case and blanks, the enabled
// list then the disabled lists, every Go and Python name).
func TestEnabled(t *testing.T) {
	for _, c := range []struct {
		name                  string
		enabled, disabled, py string
		off                   []Name // the ones that must be off; the rest on
	}{
		{name: "nothing set"},
		{name: "blank enabled list counts as unset", enabled: " , "},
		{name: "empty items", disabled: ",,", py: ","},
		{name: "nethttp: both sides", disabled: "nethttp", off: []Name{HTTPServer, HTTPClient}},
		{name: "server side", disabled: "nethttp/server", off: []Name{HTTPServer}},
		{name: "client side", disabled: "NetHTTP/Client", off: []Name{HTTPClient}},
		{name: "databasesql", disabled: "databasesql", off: []Name{DatabaseSQL}},
		{name: "redis kafka with blanks", disabled: " redis , KAFKA ", off: []Name{Redis, Kafka}},
		{name: "slog", disabled: "slog", off: []Name{Slog}},
		{name: "logs/slog", disabled: "logs/slog", off: []Name{Slog}},
		{name: "runtime", disabled: "runtime", off: []Name{Runtime}},
		{name: "runtimemetrics", disabled: "runtimemetrics", off: []Name{Runtime}},
		{name: "unknown disables nothing", disabled: "grpc,nethttpx", off: nil},
		{name: "enabled list: only the listed", enabled: "redis,nethttp/client",
			off: []Name{HTTPServer, DatabaseSQL, Kafka, Slog, Runtime}},
		{name: "enabled list of unknown names: all off", enabled: "grpc", off: all},
		{name: "enabled then disabled", enabled: "redis,kafka", disabled: "kafka",
			off: []Name{HTTPServer, HTTPClient, DatabaseSQL, Kafka, Slog, Runtime}},
		{name: "python flask", py: "flask", off: []Name{HTTPServer}},
		{name: "python requests", py: "requests", off: []Name{HTTPClient}},
		{name: "python sql names", py: "mysql", off: []Name{DatabaseSQL}},
		{name: "python pymysql", py: "pymysql", off: []Name{DatabaseSQL}},
		{name: "python mysqlclient", py: "mysqlclient", off: []Name{DatabaseSQL}},
		{name: "python sqlalchemy", py: "SQLAlchemy", off: []Name{DatabaseSQL}},
		{name: "python redis", py: "redis", off: []Name{Redis}},
		{name: "python kafka", py: "kafka", off: []Name{Kafka}},
		{name: "python confluent_kafka", py: "confluent_kafka", off: []Name{Kafka}},
		{name: "python kafka-python", py: "kafka-python", off: []Name{Kafka}},
		{name: "python logging", py: "logging", off: []Name{Slog}},
		{name: "python list does not know Go names", py: "nethttp,runtime,slog"},
		{name: "Go list does not know Python names", disabled: "flask,logging"},
		{name: "python and Go lists add up", disabled: "runtime", py: "flask", off: []Name{Runtime, HTTPServer}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(EnvEnabled, c.enabled)
			t.Setenv(EnvDisabled, c.disabled)
			t.Setenv(EnvPythonDisabled, c.py)
			for _, n := range all {
				if got, want := Enabled(n), !slices.Contains(c.off, n); got != want {
					t.Errorf("Enabled(%s) = %v, want %v", n, got, want)
				}
			}
		})
	}
}

// TestEnabledReadsEachCall: a change of the environment is seen by the
// next call (a wrapper built before otelboot.Start obeys the variables).
func TestEnabledReadsEachCall(t *testing.T) {
	t.Setenv(EnvDisabled, "")
	if !Enabled(Redis) {
		t.Fatal("off with nothing set")
	}
	t.Setenv(EnvDisabled, "redis")
	if Enabled(Redis) {
		t.Fatal("on after redis was disabled")
	}
}

// TestCheck: one problem per variable holding unknown names, listing every
// unknown one with the variable's whole value; known and empty items none.
func TestCheck(t *testing.T) {
	t.Setenv(EnvEnabled, "nethttp, grpc ,,Gin")
	t.Setenv(EnvDisabled, "NETHTTP,runtimemetrics,logs/slog")
	t.Setenv(EnvPythonDisabled, "flask,django,runtime")
	got := Check()
	want := []Problem{
		{Variable: EnvEnabled, Value: "nethttp, grpc ,,Gin", Unknown: []string{"grpc", "Gin"}},
		{Variable: EnvPythonDisabled, Value: "flask,django,runtime", Unknown: []string{"django", "runtime"}},
	}
	if len(got) != len(want) {
		t.Fatalf("Check() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Variable != want[i].Variable || got[i].Value != want[i].Value || !slices.Equal(got[i].Unknown, want[i].Unknown) {
			t.Errorf("problem %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestKnownListsMatchTables: the names printed in warnings are exactly the
// tables' names.
func TestKnownListsMatchTables(t *testing.T) {
	for _, c := range []struct {
		known string
		table map[string][]Name
	}{{KnownGo(), goNames}, {KnownPython(), pythonNames}} {
		var names []string
		for k := range c.table {
			names = append(names, k)
		}
		for _, n := range names {
			if !slices.Contains(splitKnown(c.known), n) {
				t.Errorf("%q missing from %q", n, c.known)
			}
		}
		if len(splitKnown(c.known)) != len(names) {
			t.Errorf("%q lists %d names, table has %d", c.known, len(splitKnown(c.known)), len(names))
		}
	}
}

func splitKnown(s string) []string { return strings.Split(s, ", ") }
