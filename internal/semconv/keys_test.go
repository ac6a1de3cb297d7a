package semconv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// otelSemconvPath is the otel semconv package the library takes its stable
// keys from (the one httpx and otelboot import).
const otelSemconvPath = "go.opentelemetry.io/otel/semconv/v1.43.0"

// keyLiterals returns the attribute.Key("...") literals of the non-test Go
// files in dir, by the name of the constant they are assigned to.
func keyLiterals(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, v := range vs.Values {
				call, ok := v.(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					continue
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Key" {
					continue
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING || i >= len(vs.Names) {
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out[vs.Names[i].Name] = s
			}
			return true
		})
	}
	return out
}

// TestNoKeyDeclaredTwice is the rule: a key that otel's semconv package
// defines is taken from it, never declared again here. Only the telemetry
// spec's own keys (the pre-stable ones that semconv dropped, Flask's) are
// declared in this package.
func TestNoKeyDeclaredTwice(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", otelSemconvPath).Output()
	if err != nil {
		t.Skipf("go list %s: %v", otelSemconvPath, err)
	}
	theirs := map[string]string{}
	for name, key := range keyLiterals(t, strings.TrimSpace(string(out))) {
		theirs[key] = name
	}
	if len(theirs) < 500 {
		t.Fatalf("found only %d keys in %s", len(theirs), otelSemconvPath)
	}
	ours := keyLiterals(t, ".")
	if len(ours) < 10 {
		t.Fatalf("found only %d key literals here", len(ours))
	}
	for name, key := range ours {
		if other, ok := theirs[key]; ok {
			t.Errorf("%s declares %q, which %s defines as %s: use it", name, key, otelSemconvPath, other)
		}
	}
}

// TestStableKeys pins the keys taken from otel's semconv to the names the
// spec and the dashboards read, so that moving to another semconv version
// that renames one fails here.
func TestStableKeys(t *testing.T) {
	for k, want := range map[attribute.Key]string{
		DBSystemNameKey:                    "db.system.name",
		DBQueryTextKey:                     "db.query.text",
		DBOperationNameKey:                 "db.operation.name",
		DBNamespaceKey:                     "db.namespace",
		DBCollectionNameKey:                "db.collection.name",
		DBResponseReturnedRowsKey:          "db.response.returned_rows",
		DBResponseStatusCodeKey:            "db.response.status_code",
		DBOperationBatchSizeKey:            "db.operation.batch.size",
		ServerAddressKey:                   "server.address",
		ServerPortKey:                      "server.port",
		ErrorTypeKey:                       "error.type",
		HTTPRouteKey:                       "http.route",
		MessagingSystemKey:                 "messaging.system",
		MessagingDestinationNameKey:        "messaging.destination.name",
		MessagingOperationTypeKey:          "messaging.operation.type",
		MessagingOperationNameKey:          "messaging.operation.name",
		MessagingConsumerGroupNameKey:      "messaging.consumer.group.name",
		MessagingDestinationPartitionIDKey: "messaging.destination.partition.id",
		MessagingClientIDKey:               "messaging.client.id",
		MessagingKafkaOffsetKey:            "messaging.kafka.offset",
		MessagingKafkaMessageKeyKey:        "messaging.kafka.message.key",
		MessagingBatchMessageCountKey:      "messaging.batch.message_count",
	} {
		if string(k) != want {
			t.Errorf("key %q, want %q", k, want)
		}
	}
}
