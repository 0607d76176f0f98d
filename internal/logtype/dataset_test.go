package logtype

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

// checklist is the document that lists what a data set needs; every
// failure below points to it.
const checklist = "docs/design/adding-a-data-set.md"

// A data set's names live in its registry entry alone: the mapping takes
// them from there, so it must not spell them itself.
func TestMappingSpellsNoDataSetName(t *testing.T) {
	names := map[string]bool{}
	for _, lt := range All {
		names[lt.Name], names[lt.EventName] = true, true
	}
	for _, typ := range Pushed {
		names[typ.Name], names[typ.EventName] = true, true
	}
	for file, lit := range stringLiterals(t, packageDir(t, mapping.Mapped{})) {
		for _, s := range lit {
			if names[s] {
				t.Errorf("%s spells %q: a mapper takes its names from its registry entry (see %s)", file, s, checklist)
			}
		}
	}
}

// A data set's query lives in its registry entry: the Wiz client holds
// only what every query shares, and names no operation of its own.
func TestClientKnowsNoDataSet(t *testing.T) {
	for file, lit := range stringLiterals(t, packageDir(t, wiz.Request{})) {
		for _, s := range lit {
			for _, lt := range All {
				if strings.Contains(s, lt.Query.Operation) {
					t.Errorf("%s holds %s's query %s: it belongs in the log type's registry entry (see %s)", file, lt.Key, lt.Query.Operation, checklist)
				}
			}
		}
	}
}

// stringLiterals returns the string literals of the non-test Go files in
// dir, by file.
func stringLiterals(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	out := map[string][]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		rel, err := filepath.Rel(repoRoot(t), file)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				out[rel] = append(out[rel], s)
			}
			return true
		})
	}
	return out
}

// repoRoot is the module's root: the nearest directory above the test's
// that holds go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
}

// packageDir is the directory of the package that declares v's type.
func packageDir(t *testing.T, v any) string {
	t.Helper()
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	var module string
	for line := range strings.SplitSeq(string(raw), "\n") {
		if m, ok := strings.CutPrefix(line, "module "); ok {
			module = strings.TrimSpace(m)
			break
		}
	}
	rel, ok := strings.CutPrefix(reflect.TypeOf(v).PkgPath(), module+"/")
	require.True(t, ok, "%T is not declared in module %s", v, module)
	return filepath.Join(root, filepath.FromSlash(rel))
}
