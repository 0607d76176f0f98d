// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// fieldAt is the location of the first occurrence of `name` in query after
// the text after, as Wiz reports a rejected field.
func fieldAt(t *testing.T, query, after, name string) wiz.RejectedField {
	t.Helper()
	offset := strings.Index(query, after)
	require.GreaterOrEqual(t, offset, 0)
	at := offset + strings.Index(query[offset:], name+" ")
	if i := strings.Index(query[offset:], name+" {"); i >= 0 && offset+i < at {
		at = offset + i
	}
	line := strings.Count(query[:at], "\n") + 1
	column := at - strings.LastIndex(query[:at], "\n")
	return wiz.RejectedField{Name: name, Line: line, Column: column}
}

func TestDropField(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		field    wiz.RejectedField
		wantPath []string
		gone     string // text that must no longer be in the query
		kept     []string
	}{
		{
			name:  "a deprecated union field, by its location",
			query: logtype.Issues.Query.Query,
			field: func() wiz.RejectedField {
				f := fieldAt(t, logtype.Issues.Query.Query, "nodes {", "sourceRule")
				f.Type = "Issue"
				return f
			}(),
			wantPath: []string{"issuesV2", "nodes", "sourceRule"},
			gone:     "sourceRule {",
			kept:     []string{"sourceRules {", "controlDescription: description", "statusChangedAt"},
		},
		{
			name:     "a field inside one fragment, by its type",
			query:    logtype.Issues.Query.Query,
			field:    wiz.RejectedField{Name: "serviceType", Type: "CloudConfigurationRule"},
			wantPath: []string{"issuesV2", "nodes", "sourceRule", "serviceType"},
			kept:     []string{"remediationInstructions", "sourceRules {"},
		},
		{
			name:     "a unique field without a location",
			query:    logtype.VulnerabilityFindings.Query.Query,
			field:    wiz.RejectedField{Name: "epssPercentile", Type: "VulnerabilityFinding"},
			wantPath: []string{"vulnerabilityFindings", "nodes", "epssPercentile"},
			gone:     "epssPercentile",
			kept:     []string{"epssProbability", "vulnerableAsset {"},
		},
		{
			name:  "a nested field by its location",
			query: logtype.Audit.Query.Query,
			field: func() wiz.RejectedField {
				f := fieldAt(t, logtype.Audit.Query.Query, "serviceAccount {", "id")
				f.Type = "ServiceAccount"
				return f
			}(),
			wantPath: []string{"auditLogEntries", "nodes", "serviceAccount", "id"},
			kept:     []string{"serviceAccount {", "user {"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, path, err := wiz.DropField(tt.query, tt.field)
			require.NoError(t, err)
			assert.Equal(t, tt.wantPath, path)
			_, err = parser.ParseQuery(&ast.Source{Input: got})
			require.NoError(t, err, "the new query parses:\n%s", got)
			if tt.gone != "" {
				assert.NotContains(t, got, tt.gone)
			}
			for _, k := range tt.kept {
				assert.Contains(t, got, k)
			}
			assertDropped(t, tt.query, got, path)
		})
	}

	t.Run("an object whose only field goes", func(t *testing.T) {
		query := "query Q { a { nodes { id b { c } } pageInfo { hasNextPage } } }"
		got, path, err := wiz.DropField(query, wiz.RejectedField{Name: "c", Type: "B"})
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "nodes", "b"}, path, "the emptied object is what was dropped")
		assertDropped(t, query, got, path)
	})
	t.Run("an ambiguous name without a location", func(t *testing.T) {
		_, _, err := wiz.DropField(logtype.Audit.Query.Query, wiz.RejectedField{Name: "name", Type: "User"})
		require.Error(t, err, "user.name and serviceAccount.name: Wiz must say which")
	})
	t.Run("a field the query does not select", func(t *testing.T) {
		_, _, err := wiz.DropField(logtype.Audit.Query.Query, wiz.RejectedField{Name: "nope", Type: "AuditLogEntry", Line: 1, Column: 1})
		require.Error(t, err)
	})
}

// assertDropped checks that after is before with one field at path (and
// what it selects) gone, and nothing else changed.
func assertDropped(t *testing.T, before, after string, path []string) {
	t.Helper()
	prefix := strings.Join(path, ".")
	was, is := fieldPaths(t, before), fieldPaths(t, after)
	assert.Equal(t, was[prefix]-1, is[prefix], "one %s less", prefix)
	for p, n := range was {
		if strings.HasPrefix(p, prefix+".") {
			assert.LessOrEqual(t, is[p], n, "%s", p)
			continue
		}
		if p != prefix {
			assert.Equal(t, n, is[p], "%s is untouched", p)
		}
	}
	for p := range is {
		assert.Contains(t, was, p, "%s is new", p)
	}
}

// fieldPaths counts the dotted field paths of a query; a path selected in
// several fragments counts once for each.
func fieldPaths(t *testing.T, query string) map[string]int {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	require.NoError(t, err)
	paths := map[string]int{}
	var walk func(set ast.SelectionSet, parent string)
	walk = func(set ast.SelectionSet, parent string) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				p := strings.TrimPrefix(parent+"."+s.Name, ".")
				paths[p]++
				walk(s.SelectionSet, p)
			case *ast.InlineFragment:
				walk(s.SelectionSet, parent)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet, "")
	}
	return paths
}
