// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
)

// The receiver README's configuration table documents every key the default
// config has, so the two cannot drift apart.
func TestReadmeDocumentsEveryConfigKey(t *testing.T) {
	section := readmeSection(t, "## Configuration")
	documented := map[string]bool{}
	firstColumn := regexp.MustCompile(`(?m)^\| ([^|]+) \|`)
	name := regexp.MustCompile("`([a-z0-9_.]+)`")
	for _, row := range firstColumn.FindAllStringSubmatch(section, -1) {
		for _, key := range name.FindAllStringSubmatch(row[1], -1) {
			documented[key[1]] = true
		}
	}

	conf := confmap.New()
	require.NoError(t, conf.Marshal(createDefaultConfig()))
	keys := append(conf.AllKeys(), "endpoint")
	for _, key := range keys {
		dotted := strings.ReplaceAll(key, confmap.KeyDelimiter, ".")
		assert.True(t, documented[dotted], "config key %q is missing from the README's configuration table", dotted)
	}
}

// The README's configuration table states each key's default as
// createDefaultConfig has it: a row of one key whose default cell starts
// with a value in backquotes must name that value (durations as Go writes
// them, lists in brackets); a key whose default is unset must not show one.
func TestReadmeDefaultsMatchConfig(t *testing.T) {
	conf := confmap.New()
	require.NoError(t, conf.Marshal(createDefaultConfig()))
	defaults := map[string]any{}
	for _, key := range conf.AllKeys() {
		defaults[strings.ReplaceAll(key, confmap.KeyDelimiter, ".")] = conf.Get(key)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9_.]+)` \\| ([^|]*) \\|")
	stated := regexp.MustCompile("^`([^`]*)`")
	checked := 0
	for _, m := range row.FindAllStringSubmatch(readmeSection(t, "## Configuration"), -1) {
		key, cell := m[1], strings.TrimSpace(m[2])
		value, known := defaults[key]
		if !known {
			continue
		}
		literal := stated.FindStringSubmatch(cell)
		// Unset: nothing, an empty string, or an empty opaque one (which
		// configopaque prints redacted all the same).
		if value == nil || value == "" || value == "[REDACTED]" {
			assert.Nil(t, literal, "%s has no default, but the README states %q", key, cell)
			continue
		}
		if !assert.NotNil(t, literal, "the README states no default for %s (%v)", key, value) {
			continue
		}
		assert.Equal(t, literal[1], readmeValue(value, literal[1]), "the README's default of %s", key)
		checked++
	}
	assert.Greater(t, checked, 40, "the table's rows were not read")
}

// readmeValue writes a default config value as the README writes it: a
// duration compared by its length, not its spelling (1m30s, not 1m30s0ms).
func readmeValue(value any, stated string) string {
	switch v := value.(type) {
	case []any:
		items := make([]string, len(v))
		for i, item := range v {
			items[i] = fmt.Sprint(item)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case time.Duration:
		if d, err := time.ParseDuration(stated); err == nil && v == d {
			return stated
		}
	}
	return fmt.Sprint(value)
}

// The README's log-types table has a row for every log type of the
// registry, saying what the registry says.
func TestReadmeListsEveryLogType(t *testing.T) {
	rows := map[string][]string{}
	for line := range strings.SplitSeq(readmeSection(t, "## Log types"), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) > 2 {
			rows[strings.TrimSpace(cells[1])] = cells[1 : len(cells)-1]
		}
	}
	for _, lt := range logtype.All {
		row := rows["`"+lt.Key+"`"]
		if !assert.Len(t, row, 5, "the Log types table has no row for %s", lt.Key) {
			continue
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: lt.Query.Query})
		require.NoError(t, err)
		root := doc.Operations[0].SelectionSet[0].(*ast.Field).Name
		var options []string
		for _, tf := range lt.TimeFields {
			options = append(options, "`"+tf.Option+"`")
		}
		timeFields := strings.Join(options, ", ")
		if len(lt.TimeFields) == 1 {
			timeFields = "none: always `" + lt.TimeFields[0].Filter + "`"
		}
		want := []string{"`" + lt.Key + "`", "`" + root + "`", "`" + lt.Scope + "`", timeFields, "`" + lt.Name + "`"}
		for i := range row {
			row[i] = strings.TrimSpace(row[i])
		}
		assert.Equal(t, want, row, "the Log types row of %s", lt.Key)
	}
}

// The README's table of pushed log types has a row for every type of the
// registry, saying what the registry says.
func TestReadmeListsEveryPushedType(t *testing.T) {
	rows := map[string][]string{}
	for line := range strings.SplitSeq(readmeSection(t, "## Log types"), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) > 2 {
			rows[strings.TrimSpace(cells[1])] = cells[1 : len(cells)-1]
		}
	}
	quoted := func(items []string, none string) string {
		if len(items) == 0 {
			return none
		}
		q := make([]string, len(items))
		for i, item := range items {
			q[i] = "`" + item + "`"
		}
		return strings.Join(q, ", ")
	}
	for _, typ := range logtype.Pushed {
		row := rows["`"+typ.Name+"`"]
		if !assert.Len(t, row, 5, "the pushed log types table has no row for %s", typ.Name) {
			continue
		}
		var source []string
		if typ.TriggerSource != "" {
			source = []string{typ.TriggerSource}
		}
		want := []string{"`" + typ.Name + "`", quoted(source, "any other"), quoted(typ.Shape, "any other"),
			quoted(typ.TimeFields, "arrival"), "`" + typ.EventName + "`"}
		for i := range row {
			row[i] = strings.TrimSpace(row[i])
		}
		assert.Equal(t, want, row, "the pushed log types row of %s", typ.Name)
	}
}

// readmeSection is the README's section under heading, up to the next one.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(raw)
	start := strings.Index(readme, heading+"\n")
	require.GreaterOrEqual(t, start, 0, "README has no %q section", heading)
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	return section
}

// The README's status table is the one mdatagen writes between its markers
// (`make generate` rewrites it): it must say what metadata.yaml says about
// the component's type, class, stability, distributions and code owners.
func TestReadmeStatusMatchesMetadata(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(raw)
	const begin, end = "<!-- status autogenerated section -->", "<!-- end autogenerated section -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	require.GreaterOrEqual(t, i, 0, "README has no %q marker", begin)
	require.Greater(t, j, i, "README has no %q marker after %q", end, begin)
	status := readme[i+len(begin) : j]

	md := readMetadata(t)
	class, typ := md.Get("status::class").(string), md.Get("type").(string)
	require.NotEmpty(t, class)
	require.NotEmpty(t, typ)
	// mdatagen labels issues with the folder name less the class, and
	// codecov components with the class and the type.
	require.Equal(t, typ+class, filepath.Base(mustGetwd(t)), "the folder name mdatagen's issue label is built from")

	var rows []string
	for line := range strings.SplitSeq(status, "\n") {
		if strings.HasPrefix(line, "|") {
			rows = append(rows, line)
		}
	}

	// Stability: one row per level, in mdatagen's order, the first one
	// labelled, each with its signals in metadata.yaml's order.
	stability, ok := md.Get("status::stability").(map[string]any)
	require.True(t, ok, "metadata.yaml has no status.stability map")
	levels := make([]component.StabilityLevel, 0, len(stability))
	signals := map[component.StabilityLevel][]string{}
	for name, value := range stability {
		var level component.StabilityLevel
		require.NoError(t, level.UnmarshalText([]byte(name)))
		levels = append(levels, level)
		for _, s := range value.([]any) {
			signals[level] = append(signals[level], s.(string))
		}
	}
	slices.Sort(levels)
	var wantStability, gotStability []string
	for k, level := range levels {
		label := "Stability"
		if k > 0 {
			label = strings.Repeat(" ", len(label))
		}
		name := strings.ToLower(level.String())
		wantStability = append(wantStability, fmt.Sprintf("| %s     | [%s]: %s   |", label, name, strings.Join(signals[level], ", ")))
		assert.Contains(t, status, fmt.Sprintf("\n[%s]: https://github.com/open-telemetry/opentelemetry-collector/blob/main/docs/component-stability.md#%s\n", name, name),
			"the status table has no link for stability %q", name)
	}
	for _, row := range rows {
		// A level after the first has an empty label cell.
		if strings.HasPrefix(row, "| Stability ") || (len(gotStability) > 0 && strings.HasPrefix(row, "|          ")) {
			gotStability = append(gotStability, row)
		}
	}
	assert.Equal(t, wantStability, gotStability, "stability rows of the README's status table")

	var distributions []string
	if d, ok := md.Get("status::distributions").([]any); ok {
		for _, v := range d {
			distributions = append(distributions, v.(string))
		}
	}
	slices.Sort(distributions)
	assert.Contains(t, rows, "| Distributions | ["+strings.Join(distributions, "], [")+"] |")

	label := "label%3A" + class + "%2F" + typ
	project, _ := md.Get("github_project").(string)
	require.NotEmpty(t, project, "metadata.yaml names no github_project, so the Issues row would point at contrib")
	assert.True(t, slices.ContainsFunc(rows, func(r string) bool {
		return strings.HasPrefix(r, "| Issues ") && strings.Count(r, label) == 4 && strings.Contains(r, "https://github.com/"+project+"/issues")
	}), "the Issues row does not label issues %s in %s", label, project)
	hasCodecov := slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, "| Code coverage ") })
	assert.Equal(t, md.Get("status::disable_codecov_badge") != true, hasCodecov, "the Code coverage row follows status.disable_codecov_badge")

	var owners []string
	if active, ok := md.Get("status::codeowners::active").([]any); ok {
		for _, o := range active {
			owners = append(owners, fmt.Sprintf("[@%s](https://www.github.com/%s)", o, o))
		}
	}
	ownerRow := slices.IndexFunc(rows, func(r string) bool { return strings.HasPrefix(r, "| [Code Owners]") })
	if assert.GreaterOrEqual(t, ownerRow, 0, "the status table has no Code Owners row") {
		row := strings.Replace(rows[ownerRow], `\| Seeking more code owners! `, "", 1)
		cells := strings.Split(row, "|")
		require.GreaterOrEqual(t, len(cells), 3)
		assert.Equal(t, strings.Join(owners, ", "), strings.TrimSpace(cells[2]), "code owners")
	}
}

// readMetadata loads metadata.yaml the way the collector loads YAML.
func readMetadata(t *testing.T) *confmap.Conf {
	t.Helper()
	raw, err := os.ReadFile("metadata.yaml")
	require.NoError(t, err)
	retrieved, err := confmap.NewRetrievedFromYAML(raw)
	require.NoError(t, err)
	conf, err := retrieved.AsConf()
	require.NoError(t, err)
	return conf
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	return wd
}

// docs/operations.md lists every metric metadata.yaml declares, by the name
// the collector exports it under, as documentation.md does.
func TestOperationsListsEveryMetric(t *testing.T) {
	raw, err := os.ReadFile("metadata.yaml")
	require.NoError(t, err)
	ops, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	require.NoError(t, err)
	metric := regexp.MustCompile(`(?m)^    (wiz_[a-z_]+):$`)
	names := metric.FindAllStringSubmatch(string(raw), -1)
	require.NotEmpty(t, names)
	for _, m := range names {
		assert.Contains(t, string(ops), "`otelcol_"+m[1]+"`", "docs/operations.md does not list the metric %s", m[1])
	}
}
