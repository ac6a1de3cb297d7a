// Command apigen writes or checks api/otelkit.txt, the list of the library's
// exported names (see internal/apigen).
//
//	go run ./internal/cmd/apigen      # print the API
//	go run ./internal/cmd/apigen -w   # rewrite api/otelkit.txt
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/otelkit/otelkit/internal/apigen"
)

func main() {
	write := flag.Bool("w", false, "write "+apigen.File+" instead of printing")
	root := flag.String("root", ".", "the module's root directory")
	flag.Parse()
	lines, err := apigen.Generate(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := strings.Join(lines, "\n") + "\n"
	if !*write {
		fmt.Print(out)
		return
	}
	if err := os.WriteFile(filepath.Join(*root, apigen.File), []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
