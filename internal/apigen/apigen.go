// Package apigen lists the exported API of the library's packages, one line
// per exported name, in the spirit of Go's own api/ files:
//
//	pkg github.com/otelkit/otelkit/httpx, func Client(...Option) *http.Client
//	pkg github.com/otelkit/otelkit/sqlx, type Extra uint
//	pkg github.com/otelkit/otelkit/sqlx, const ExtraConnect Extra
//
// The list is checked in as api/otelkit.txt; a test fails when the code's
// API differs from the file, so every change of the exported surface is
// deliberate: regenerate it with `go run ./internal/cmd/apigen -w`.
//
// It reads the source with go/parser (no type checking), so a line shows a
// declaration as written: parameter and result types without their names,
// struct fields and interface methods one per line.
package apigen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Module is the module path the lines are written under.
const Module = "github.com/otelkit/otelkit"

// File is the checked-in API file, relative to the module root.
const File = "api/otelkit.txt"

// Generate returns the sorted API lines of every public package of the
// module rooted at root: every directory with non-test Go files, except
// internal/, examples/, testdata/ and hidden directories and other modules.
func Generate(root string) ([]string, error) {
	var lines []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		base := d.Name()
		if rel != "." {
			if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "internal" || base == "testdata" || base == "examples" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		pkgPath := Module
		if rel != "." {
			pkgPath += "/" + rel
		}
		l, err := packageLines(path, pkgPath)
		if err != nil {
			return err
		}
		lines = append(lines, l...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(lines)
	return lines, nil
}

func packageLines(dir, pkgPath string) ([]string, error) {
	fset := token.NewFileSet()
	// The files the go command builds (build constraints applied, so a
	// //go:build ignore generator is left out), without tests.
	bp, err := build.Default.ImportDir(dir, 0)
	if err != nil {
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil, nil
		}
		return nil, fmt.Errorf("apigen: %w", err)
	}
	if bp.Name == "main" {
		return nil, nil
	}
	var files []*ast.File
	for _, n := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("apigen: %w", err)
		}
		files = append(files, f)
	}
	w := &writer{fset: fset, prefix: "pkg " + pkgPath + ", "}
	for _, f := range files {
		for _, decl := range f.Decls {
			w.decl(decl)
		}
	}
	return w.lines, nil
}

type writer struct {
	fset   *token.FileSet
	prefix string
	lines  []string
}

func (w *writer) add(format string, args ...any) {
	w.lines = append(w.lines, w.prefix+fmt.Sprintf(format, args...))
}

func (w *writer) expr(e ast.Expr) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, w.fset, stripNames(e))
	return strings.Join(strings.Fields(b.String()), " ")
}

func (w *writer) decl(decl ast.Decl) {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return
		}
		sig := w.expr(d.Type)
		sig = strings.TrimPrefix(sig, "func")
		if d.Recv == nil {
			w.add("func %s%s", d.Name.Name, sig)
			return
		}
		recv := d.Recv.List[0].Type
		name := recvName(recv)
		if !ast.IsExported(name) {
			return
		}
		w.add("method (%s) %s%s", w.expr(recv), d.Name.Name, sig)
	case *ast.GenDecl:
		// In a const block, a spec without type and values repeats the
		// previous one's (iota).
		var lastType ast.Expr
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				w.typeSpec(s)
			case *ast.ValueSpec:
				kind := "var"
				typ := s.Type
				if d.Tok == token.CONST {
					kind = "const"
					if typ == nil && len(s.Values) == 0 {
						typ = lastType
					}
					if len(s.Values) > 0 {
						lastType = s.Type
					}
				}
				for i, n := range s.Names {
					if !n.IsExported() {
						continue
					}
					line := kind + " " + n.Name
					if typ != nil {
						line += " " + w.expr(typ)
					}
					// A constant's literal value is part of its API.
					if kind == "const" && i < len(s.Values) {
						if lit, ok := s.Values[i].(*ast.BasicLit); ok {
							line += " = " + lit.Value
						}
					}
					w.add("%s", line)
				}
			}
		}
	}
}

func (w *writer) typeSpec(s *ast.TypeSpec) {
	if !s.Name.IsExported() {
		return
	}
	name := s.Name.Name
	if s.TypeParams != nil {
		name += "[" + w.fieldList(s.TypeParams, ", ") + "]"
	}
	assign := ""
	if s.Assign.IsValid() {
		assign = "= "
	}
	switch t := s.Type.(type) {
	case *ast.StructType:
		w.add("type %s %sstruct", name, assign)
		for _, f := range t.Fields.List {
			if len(f.Names) == 0 {
				if ast.IsExported(recvName(f.Type)) {
					w.add("type %s struct, embedded %s", s.Name.Name, w.expr(f.Type))
				}
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					w.add("type %s struct, %s %s", s.Name.Name, n.Name, w.expr(f.Type))
				}
			}
		}
	case *ast.InterfaceType:
		w.add("type %s %sinterface", name, assign)
		for _, m := range t.Methods.List {
			if len(m.Names) == 0 {
				w.add("type %s interface, embedded %s", s.Name.Name, w.expr(m.Type))
				continue
			}
			for _, n := range m.Names {
				if n.IsExported() {
					w.add("type %s interface, %s%s", s.Name.Name, n.Name, strings.TrimPrefix(w.expr(m.Type), "func"))
				} else {
					w.add("type %s interface, unexported methods", s.Name.Name)
				}
			}
		}
	default:
		w.add("type %s %s%s", name, assign, w.expr(s.Type))
	}
}

func (w *writer) fieldList(fl *ast.FieldList, sep string) string {
	var parts []string
	for _, f := range fl.List {
		var names []string
		for _, n := range f.Names {
			names = append(names, n.Name)
		}
		parts = append(parts, strings.Join(names, ", ")+" "+w.expr(f.Type))
	}
	return strings.Join(parts, sep)
}

// recvName returns the type name of a receiver or embedded field.
func recvName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.SelectorExpr:
			return t.Sel.Name
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}

// stripNames returns e with the parameter and result names of function
// types removed (a copy where needed; e is not changed), so that renaming a
// parameter is not an API change.
func stripNames(e ast.Expr) ast.Expr {
	ft, ok := e.(*ast.FuncType)
	if !ok {
		return e
	}
	strip := func(fl *ast.FieldList) *ast.FieldList {
		if fl == nil {
			return nil
		}
		out := &ast.FieldList{}
		for _, f := range fl.List {
			n := len(f.Names)
			if n == 0 {
				n = 1
			}
			for range n {
				out.List = append(out.List, &ast.Field{Type: stripNames(f.Type)})
			}
		}
		return out
	}
	return &ast.FuncType{TypeParams: ft.TypeParams, Params: strip(ft.Params), Results: strip(ft.Results)}
}
