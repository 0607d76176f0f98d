// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// layers are the engine's files in the order of the package doc: each may
// use what the files after it declare, never what one before it does, so
// that every dependency inside the package points one way.
var layers = []string{
	"stream.go", "snapshot.go", "walk.go", "deliver.go", "query.go", "clock.go", "dedup.go",
	"resultcap.go", "windowcap.go", "snapshot_state.go", "store.go", "checkpoint.go", "window.go", "capwalk.go",
	"seen.go", "times.go",
}

// outsideLayers are the package's API (the settings in, the telemetry
// out), its doc, and the invariants' executable form, which reads every
// part of the state.
var outsideLayers = []string{"settings.go", "telemetry.go", "doc.go", "invariants.go"}

// No file of the engine uses a name a file above it declares, and every
// file has its place.
func TestDependenciesPointDown(t *testing.T) {
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	files := map[string]*ast.File{}
	declaredIn := map[string]string{} // top-level name → its file
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		files[path] = f
		for _, decl := range f.Decls {
			for _, name := range declaredNames(decl) {
				declaredIn[name] = path
			}
		}
		assert.True(t, slices.Contains(layers, path) || slices.Contains(outsideLayers, path),
			"%s has no place: add it to layers here and to the package doc's list, below what uses it", path)
	}
	for path, f := range files {
		at := slices.Index(layers, path)
		if at < 0 {
			continue
		}
		for _, name := range usedNames(f) {
			from, ok := declaredIn[name]
			if !ok || from == path {
				continue
			}
			if i := slices.Index(layers, from); i >= 0 && i < at {
				t.Errorf("%s uses %s from %s, a file above it: the dependency runs back up", path, name, from)
			}
		}
	}
}

// declaredNames are the top-level names decl declares; methods declare
// none (they are reached through their type).
func declaredNames(decl ast.Decl) []string {
	var names []string
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			names = append(names, d.Name.Name)
		}
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				names = append(names, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	return names
}

// usedNames are the unqualified names f refers to: neither the selected
// part of x.y, nor a name being declared, nor a struct field's or a
// composite literal key's name.
func usedNames(f *ast.File) []string {
	skip := map[*ast.Ident]bool{}
	var used []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			skip[x.Sel] = true
		case *ast.Field:
			for _, name := range x.Names {
				skip[name] = true
			}
		case *ast.KeyValueExpr:
			if key, ok := x.Key.(*ast.Ident); ok {
				skip[key] = true
			}
		case *ast.FuncDecl:
			skip[x.Name] = true
		case *ast.TypeSpec:
			skip[x.Name] = true
		case *ast.ValueSpec:
			for _, name := range x.Names {
				skip[name] = true
			}
		case *ast.Ident:
			if !skip[x] {
				used = append(used, x.Name)
			}
		}
		return true
	})
	return used
}
