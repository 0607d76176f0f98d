// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

// checklist lists what a new data set needs, the mock's collection among
// them.
const checklist = "docs/design/adding-a-data-set.md"

// The mock keeps its own model of Wiz, but it models the data sets the
// receiver reads as the registry declares them: a collection under the
// log type's name at the root field its query reads, which asks the same
// scope, refuses the same service accounts and caps a walk at the same
// count.
func TestCollectionsMatchRegistry(t *testing.T) {
	defaults := New(Options{Dataset: &Dataset{}}).opts
	for _, lt := range wizreceivertest.Polled() {
		root := queriedRoot(t, lt.Query)
		c, ok := collections[root]
		if !assert.True(t, ok, "the mock serves no %s, the root field of %s's query: add a collection (see %s)", root, lt.Key, checklist) {
			continue
		}
		assert.Equal(t, lt.Name, c.logType, "the name of %s's collection", root)
		assert.Equal(t, lt.Scope, c.scope, "the scope %s asks for %s", lt.Key, root)
		resultCap := 0
		if c.resultCap != nil {
			resultCap = c.resultCap(defaults)
		}
		assert.Equal(t, lt.ResultCap, resultCap, "the result cap of %s", lt.Key)
		assert.Equal(t, lt.DeniedToProjectScoped, c.deniedToProjectScoped, "whether project-scoped service accounts may read %s", lt.Key)
		assert.True(t, slices.ContainsFunc(served, func(s *collection) bool { return s.logType == lt.Name }),
			"%s's collection is not in served, so the mock generates none of it", lt.Key)
	}
	for _, c := range served {
		_, declared := wizreceivertest.PolledByName(c.logType)
		assert.True(t, declared, "the mock serves %s, which the registry does not declare", c.logType)
	}
}

// Each data set's scope, and no other, opens its query as the receiver
// sends it by default, and the mock has nodes for it.
func TestEachScopeOpensItsQuery(t *testing.T) {
	counts := map[string]int{}
	for _, lt := range wizreceivertest.Polled() {
		counts[lt.Name] = 20
	}
	ds := GenerateDataset(DatasetOptions{Seed: 5, Start: testEnd.Add(-24 * time.Hour), End: testEnd, Counts: counts})
	for _, lt := range wizreceivertest.Polled() {
		t.Run(lt.Key, func(t *testing.T) {
			vars := map[string]any{"first": 5, "filterBy": lt.DefaultFilter}
			only := newEnv(t, Options{Dataset: ds, Clients: []Client{{ID: "only", Secret: "s", Scopes: []string{lt.Scope}}}})
			assert.NotEmpty(t, only.page(lt.Query, lt.ResponseKey, vars).Nodes, "%s's scope reads its nodes", lt.Key)

			others := slices.DeleteFunc(AllScopes(), func(s string) bool { return s == lt.Scope })
			without := newEnv(t, Options{Dataset: ds, Clients: []Client{{ID: "without", Secret: "s", Scopes: others}}})
			code, msg := firstError(t, without.query(lt.Query, vars))
			assert.Equal(t, "UNAUTHORIZED", code)
			assert.Contains(t, msg, "lacks the required scope "+lt.Scope)
		})
	}
}

// queriedRoot is the root field a query reads, not its alias, as the mock
// routes it.
func queriedRoot(t *testing.T, query string) string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	require.NoError(t, err)
	require.Len(t, doc.Operations, 1)
	return rootField(doc.Operations[0])
}
