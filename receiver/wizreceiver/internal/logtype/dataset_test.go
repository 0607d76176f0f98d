// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gql "github.com/vektah/gqlparser/v2/ast"
	gqlparser "github.com/vektah/gqlparser/v2/parser"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// checklist is the document that lists what a data set needs; every
// failure below points to it.
const checklist = "docs/design/adding-a-data-set.md"

// artefact is one thing the checklist asks of every polled data set.
type artefact struct {
	// item is how the checklist lists it, word for word.
	item string
	// lacks says what lt lacks of it, "" when nothing.
	lacks func(lt *LogType) string
}

// artefacts are the checklist's items that can be checked from here; the
// others are enforced by the tests the checklist names.
func artefacts(t *testing.T) []artefact {
	t.Helper()
	root := repoRoot(t)
	rel := func(v any) string {
		r, err := filepath.Rel(root, packageDir(t, v))
		require.NoError(t, err)
		return filepath.ToSlash(r)
	}
	logtypeDir, mappingDir, mockDir := rel(LogType{}), rel(mapping.Mapped{}), rel(mockwiz.Options{})
	file := func(path, what string) artefact {
		return artefact{item: "`" + path + "`: " + what, lacks: func(lt *LogType) string {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(expand(path, lt)))); err != nil {
				return "no " + expand(path, lt)
			}
			return ""
		}}
	}
	line := func(doc, what, start string) artefact {
		return artefact{item: "`" + doc + "`: " + what, lacks: func(lt *LogType) string {
			if !strings.Contains(read(t, doc), "\n"+expand(start, lt)) {
				return doc + " has no line starting " + expand(start, lt)
			}
			return ""
		}}
	}
	return []artefact{
		{item: "`" + logtypeDir + "/<key>.go`: the registry entry", lacks: func(lt *LogType) string {
			raw, err := os.ReadFile(filepath.Join(root, logtypeDir, lt.Key+".go"))
			if err != nil || !regexp.MustCompile(`\bKey:\s+"`+regexp.QuoteMeta(lt.Key)+`"`).Match(raw) {
				return "no registry entry in " + logtypeDir + "/" + lt.Key + ".go"
			}
			return ""
		}},
		file(mappingDir+"/testdata/<key>_nodes.json", "sample nodes"),
		file(mappingDir+"/testdata/<key>_expected.yaml", "the golden file"),
		{item: "`" + mockDir + "`: a collection named `<Name>`", lacks: func(lt *LogType) string {
			if mockwiz.DefaultCounts()[lt.Name] == 0 {
				return "the mock Wiz (" + mockDir + ") generates no " + lt.Name
			}
			return ""
		}},
		line("docs/log-records.md", "a section `## <Name>`", "## <Name>"),
		{item: "`docs/log-records.md`: the event name `<EventName>`", lacks: func(lt *LogType) string {
			if !strings.Contains(read(t, "docs/log-records.md"), "`"+lt.EventName+"`") {
				return "docs/log-records.md does not name the event name " + lt.EventName
			}
			return ""
		}},
		{item: "`docs/log-records.md`: a row per `time_field` option under *What each time field catches*", lacks: func(lt *LogType) string {
			if len(lt.TimeFields) == 1 {
				return ""
			}
			var missing []string
			for _, tf := range lt.TimeFields {
				if !strings.Contains(read(t, "docs/log-records.md"), "\n| `"+lt.Key+"` | `"+tf.Option+"` |") {
					missing = append(missing, tf.Option)
				}
			}
			if len(missing) > 0 {
				return "docs/log-records.md's table of time fields has no row for " + strings.Join(missing, ", ")
			}
			return ""
		}},
		line("receiver/wizreceiver/README.md", "a row under *Log types*", "| `<key>` |"),
		line("README.md", "a row in the table of log types", "| `<Name>` |"),
	}
}

// expand fills lt's names in for <key>, <Name> and <EventName>.
func expand(pattern string, lt *LogType) string {
	return strings.NewReplacer("<key>", lt.Key, "<Name>", lt.Name, "<EventName>", lt.EventName).Replace(pattern)
}

// lacking lists what lt lacks of the checklist.
func lacking(t *testing.T, lt *LogType) []string {
	t.Helper()
	var out []string
	for _, a := range artefacts(t) {
		if what := a.lacks(lt); what != "" {
			out = append(out, what)
		}
	}
	return out
}

// Every polled data set has everything the checklist asks, and the
// checklist names everything this test checks.
func TestEveryDataSetIsComplete(t *testing.T) {
	doc := read(t, checklist)
	for _, a := range artefacts(t) {
		if !strings.Contains(doc, "\n- "+a.item+"\n") {
			t.Errorf("%s does not list %s", checklist, a.item)
		}
	}
	keys, names := map[string]bool{}, map[string]bool{}
	for _, lt := range All {
		assert.False(t, keys[lt.Key] || names[lt.Name], "%s (%s) is declared twice", lt.Key, lt.Name)
		keys[lt.Key], names[lt.Name] = true, true
		for _, what := range append(entryLacks(lt), lacking(t, lt)...) {
			t.Errorf("%s: %s (see %s)", lt.Key, what, checklist)
		}
	}
}

// A new entry that brings nothing else is told everything it lacks.
func TestChecklistNamesWhatIsMissing(t *testing.T) {
	widgets := &LogType{Key: "widgets", Name: "Wiz.Widget", EventName: "wiz.widget",
		TimeFields: []TimeField{{Option: "updated_at", Filter: "updatedAt", Node: "updatedAt"}, {Option: "created_at", Filter: "createdAt", Node: "createdAt"}}}
	assert.Equal(t, []string{
		"no registry entry in receiver/wizreceiver/internal/logtype/widgets.go",
		"no receiver/wizreceiver/internal/mapping/testdata/widgets_nodes.json",
		"no receiver/wizreceiver/internal/mapping/testdata/widgets_expected.yaml",
		"the mock Wiz (internal/mockwiz) generates no Wiz.Widget",
		"docs/log-records.md has no line starting ## Wiz.Widget",
		"docs/log-records.md does not name the event name wiz.widget",
		"docs/log-records.md's table of time fields has no row for updated_at, created_at",
		"receiver/wizreceiver/README.md has no line starting | `widgets` |",
		"README.md has no line starting | `Wiz.Widget` |",
	}, lacking(t, widgets))
	assert.Equal(t, []string{
		"no Noun", "no Scope", "its query is not valid GraphQL: expected a query, got none",
		"no NewConfig", "no mapper",
	}, entryLacks(widgets))
}

// entryLacks says what lt's registry entry leaves out.
func entryLacks(lt *LogType) []string {
	var out []string
	for _, f := range []struct{ name, value string }{
		{"Key", lt.Key}, {"Name", lt.Name}, {"EventName", lt.EventName}, {"Noun", lt.Noun}, {"Scope", lt.Scope},
	} {
		if f.value == "" {
			out = append(out, "no "+f.name)
		}
	}
	if err := queryMatches(lt.Query); err != nil {
		out = append(out, "its query "+err.Error())
	}
	if len(lt.TimeFields) == 0 {
		out = append(out, "no time field")
	}
	for _, tf := range lt.TimeFields {
		if tf.Filter == "" || tf.Node == "" || (tf.Option == "" && len(lt.TimeFields) > 1) {
			out = append(out, fmt.Sprintf("time field %+v is incomplete", tf))
		}
	}
	if lt.NewConfig == nil {
		out = append(out, "no NewConfig")
	}
	if lt.newMapper == nil {
		out = append(out, "no mapper")
	}
	return out
}

// queryMatches checks that q's text is one paged query named q.Operation
// whose connection sits at q.ResponseKey and takes the variables every
// stream sends.
func queryMatches(q wiz.Connection) error {
	if strings.TrimSpace(q.Query) == "" {
		return fmt.Errorf("is not valid GraphQL: expected a query, got none")
	}
	doc, err := gqlparser.ParseQuery(&gql.Source{Input: q.Query})
	if err != nil {
		return fmt.Errorf("is not valid GraphQL: %w", err)
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Name != q.Operation {
		return fmt.Errorf("is not one operation named %s", q.Operation)
	}
	op := doc.Operations[0]
	for _, v := range []string{"first", "after", "filterBy"} {
		if op.VariableDefinitions.ForName(v) == nil {
			return fmt.Errorf("does not take $%s", v)
		}
	}
	if len(op.SelectionSet) != 1 {
		return fmt.Errorf("reads %d root fields, not one", len(op.SelectionSet))
	}
	if f, ok := op.SelectionSet[0].(*gql.Field); !ok || f.Alias != q.ResponseKey {
		return fmt.Errorf("does not answer at %s", q.ResponseKey)
	}
	return nil
}

// Every pushed type but the catch-all is one the mock Wiz sends, so that
// the webhook's tests and the golden files cover it.
func TestMockPushesEveryPushedType(t *testing.T) {
	sent := map[*PushedType]bool{}
	for _, kind := range mockwiz.WebhookKinds {
		p, err := MapPushed(mockwiz.WebhookPayload(kind, 1, time.Now()), time.Now(), plog.NewLogRecord())
		require.NoError(t, err, kind)
		sent[p.Type] = true
	}
	for _, typ := range Pushed[:len(Pushed)-1] {
		assert.True(t, sent[typ], "the mock Wiz sends no %s payload: add a webhook kind (see %s)", typ.Name, checklist)
	}
}

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

// read returns the text of a file, by its path from the module's root.
func read(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(path)))
	require.NoError(t, err)
	return string(raw)
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
	var module string
	for line := range strings.SplitSeq(read(t, "go.mod"), "\n") {
		if m, ok := strings.CutPrefix(line, "module "); ok {
			module = strings.TrimSpace(m)
			break
		}
	}
	rel, ok := strings.CutPrefix(reflect.TypeOf(v).PkgPath(), module+"/")
	require.True(t, ok, "%T is not declared in module %s", v, module)
	return filepath.Join(root, filepath.FromSlash(rel))
}
