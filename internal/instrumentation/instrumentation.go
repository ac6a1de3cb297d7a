// Package instrumentation says whether one of otelkit's instrumentations is
// switched on, from OTEL_GO_ENABLED_INSTRUMENTATIONS,
// OTEL_GO_DISABLED_INSTRUMENTATIONS and OTEL_PYTHON_DISABLED_INSTRUMENTATIONS.
//
// The rule: an instrumentation is on unless
//   - OTEL_GO_ENABLED_INSTRUMENTATIONS holds a name (blanks and commas only
//     count as unset) and none of its names, or
//   - OTEL_GO_DISABLED_INSTRUMENTATIONS or OTEL_PYTHON_DISABLED_INSTRUMENTATIONS
//     names one of its names.
//
// Names are compared without case and surrounding blanks. The Go names are
// those of the OpenTelemetry Go compile-time instrumentation (nethttp,
// databasesql, redis, kafka, slog and logs/slog, runtimemetrics) plus
// otelkit's own where it differs (runtime, nethttp/server, nethttp/client);
// the Python names are mapped (flask: the HTTP server side, requests: the
// client side, mysql, pymysql, mysqlclient, sqlalchemy, psycopg2, psycopg:
// databasesql, redis, kafka, confluent_kafka, kafka-python, logging: slog).
//
// The environment is read on every call: wrappers call Enabled once, in
// their constructor, so a wrapper built before otelboot.Start obeys the
// variables too.
package instrumentation

import (
	"os"
	"strings"
)

// Name is one instrumentation of otelkit.
type Name string

// The instrumentations.
const (
	HTTPServer  Name = "nethttp/server" // httpx.NewHandler, httpx.NewServeMux
	HTTPClient  Name = "nethttp/client" // httpx.NewTransport, httpx.Client
	DatabaseSQL Name = "databasesql"    // sqlx
	Redis       Name = "redis"          // redisx
	Kafka       Name = "kafka"          // kafkax
	Slog        Name = "slog"           // log correlation in otelboot's default logger
	Runtime     Name = "runtime"        // Go runtime metrics started by otelboot
)

// The variables read.
const (
	EnvEnabled        = "OTEL_GO_ENABLED_INSTRUMENTATIONS"
	EnvDisabled       = "OTEL_GO_DISABLED_INSTRUMENTATIONS"
	EnvPythonDisabled = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
)

// goNames maps each Go name (lower case) to the instrumentations it covers.
var goNames = map[string][]Name{
	"nethttp":        {HTTPServer, HTTPClient},
	"nethttp/server": {HTTPServer},
	"nethttp/client": {HTTPClient},
	"databasesql":    {DatabaseSQL},
	"redis":          {Redis},
	"kafka":          {Kafka},
	"slog":           {Slog},
	"logs/slog":      {Slog},
	"runtime":        {Runtime},
	"runtimemetrics": {Runtime},
}

// pythonNames maps each Python instrumentation name to ours.
var pythonNames = map[string][]Name{
	"flask":           {HTTPServer},
	"requests":        {HTTPClient},
	"mysql":           {DatabaseSQL},
	"pymysql":         {DatabaseSQL},
	"mysqlclient":     {DatabaseSQL},
	"sqlalchemy":      {DatabaseSQL},
	"psycopg2":        {DatabaseSQL},
	"psycopg":         {DatabaseSQL},
	"redis":           {Redis},
	"kafka":           {Kafka},
	"confluent_kafka": {Kafka},
	"kafka-python":    {Kafka},
	"logging":         {Slog},
}

// Enabled reports whether the instrumentation n is switched on by the
// environment (see the package documentation for the rule).
func Enabled(n Name) bool {
	if v := os.Getenv(EnvEnabled); hasItem(v) && !names(v, goNames, n) {
		return false
	}
	if v := os.Getenv(EnvDisabled); v != "" && names(v, goNames, n) {
		return false
	}
	if v := os.Getenv(EnvPythonDisabled); v != "" && names(v, pythonNames, n) {
		return false
	}
	return true
}

// names reports whether the comma list v holds a name that covers n.
func names(v string, table map[string][]Name, n Name) bool {
	for item := range strings.SplitSeq(v, ",") {
		for _, got := range table[strings.ToLower(strings.TrimSpace(item))] {
			if got == n {
				return true
			}
		}
	}
	return false
}

// hasItem reports whether the comma list v holds a non-blank item (a list
// of blanks counts as unset).
func hasItem(v string) bool {
	return strings.Trim(v, ", \t") != ""
}

// Problem is an unknown name in one of the variables.
type Problem struct {
	Variable string // the variable's name
	Value    string // its whole value
	Unknown  []string
}

// Check returns one Problem per variable that holds names this package does
// not know (empty items are ignored), for otelboot's warnings.
func Check() []Problem {
	var out []Problem
	for _, c := range []struct {
		env   string
		table map[string][]Name
	}{{EnvEnabled, goNames}, {EnvDisabled, goNames}, {EnvPythonDisabled, pythonNames}} {
		v := os.Getenv(c.env)
		var unknown []string
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if _, ok := c.table[strings.ToLower(item)]; !ok {
				unknown = append(unknown, item)
			}
		}
		if len(unknown) > 0 {
			out = append(out, Problem{Variable: c.env, Value: v, Unknown: unknown})
		}
	}
	return out
}

// KnownGo returns the Go names, for messages.
func KnownGo() string {
	return "nethttp, nethttp/server, nethttp/client, databasesql, redis, kafka, slog, logs/slog, runtime, runtimemetrics"
}

// KnownPython returns the Python names understood, for messages.
func KnownPython() string {
	return "flask, requests, mysql, pymysql, mysqlclient, sqlalchemy, psycopg2, psycopg, redis, kafka, confluent_kafka, kafka-python, logging"
}
