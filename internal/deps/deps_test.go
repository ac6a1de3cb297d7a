package deps

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// libraryPackages are the packages of the library a user can import.
var libraryPackages = []string{
	"github.com/otelkit/otelkit",
	"github.com/otelkit/otelkit/httpx",
	"github.com/otelkit/otelkit/kafkax",
	"github.com/otelkit/otelkit/logcorr",
	"github.com/otelkit/otelkit/otelboot",
	"github.com/otelkit/otelkit/otelboot/liveview",
	"github.com/otelkit/otelkit/redisx",
	"github.com/otelkit/otelkit/sqlx",
}

// driverPrefixes are import paths of database drivers (a package that
// calls sql.Register, or links a server protocol).
var driverPrefixes = []string{
	"github.com/go-sql-driver/",
	"github.com/lib/pq",
	"github.com/jackc/pgx",
	"github.com/jackc/pgconn",
	"github.com/mattn/go-sqlite3",
	"modernc.org/sqlite",
	"github.com/glebarez/",
	"github.com/ncruces/go-sqlite3",
	"zombiezen.com/go/sqlite",
	"crawshaw.io/sqlite",
	"github.com/microsoft/go-mssqldb",
	"github.com/denisenkom/go-mssqldb",
	"github.com/sijms/go-ora",
	"github.com/godror/",
	"github.com/ClickHouse/",
	"github.com/snowflakedb/",
	"github.com/ziutek/mymysql",
}

// sqlFree are the packages that must link no SQL code at all, and the
// packages that count as SQL code.
var (
	sqlFree = []string{"github.com/otelkit/otelkit/httpx", "github.com/otelkit/otelkit/redisx"}
	sqlCode = []string{
		"database/sql",
		"database/sql/driver",
		"github.com/XSAM/otelsql",
		"github.com/otelkit/otelkit/sqlx",
		"github.com/otelkit/otelkit/internal/dsn",
	}
)

func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Skip("no go command")
	}
	return p
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command(goTool(t), "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestNoDriverLinked fails when any package of the library links a
// database driver.
func TestNoDriverLinked(t *testing.T) {
	for _, pkg := range libraryPackages {
		for _, d := range deps(t, pkg) {
			for _, p := range driverPrefixes {
				if strings.HasPrefix(d, p) {
					t.Errorf("%s links the database driver %s", pkg, d)
				}
			}
		}
	}
}

// TestSQLFree fails when httpx or redisx links any SQL code.
func TestSQLFree(t *testing.T) {
	for _, pkg := range sqlFree {
		for _, d := range deps(t, pkg) {
			for _, s := range sqlCode {
				if d == s || strings.HasPrefix(d, s+"/") {
					t.Errorf("%s links SQL code: %s", pkg, d)
				}
			}
		}
	}
}

// TestNoDriverRegistered builds and runs a program that imports every
// package of the library: once their initialisation has run, sql.Drivers()
// must still be empty.
func TestNoDriverRegistered(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	bin := filepath.Join(t.TempDir(), "all")
	build := exec.Command(goTool(t), "build", "-o", bin, "./testdata/all")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "drivers: 0" {
		t.Errorf("a program importing every package of otelkit has sql.Drivers():\n%s", got)
	}
}
