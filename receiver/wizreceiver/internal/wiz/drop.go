// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
)

// DropField removes the field f from query, so the query can go on without
// a field Wiz no longer has. It returns the new query text and the path of
// field names from the root field down to the removed field (a selection
// set left empty takes its field with it, and the path is the outermost
// field removed). The field is found at f's location where Wiz gives one,
// else by name inside fragments on f's type.
func DropField(query string, f RejectedField) (string, []string, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return "", nil, fmt.Errorf("parsing the query: %w", err)
	}
	// Without a location, a field outside fragments is known only by its
	// name, which must then be unique.
	byName := f.Line == 0 && countFields(doc, f.Name) == 1
	var path []string
	for _, op := range doc.Operations {
		if p := dropIn(&op.SelectionSet, nil, "", f, byName); p != nil {
			path = p
			break
		}
	}
	if path == nil {
		return "", nil, fmt.Errorf("the query selects no field %s on %s to drop", f.Name, f.Type)
	}
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatQueryDocument(doc)
	return buf.String(), path, nil
}

// dropIn removes the first selection of f in set, whose fields sit at
// parent under a fragment on typeCondition (empty when none is known), and
// returns the removed field's path, or nil. byName matches any field of f's
// name.
func dropIn(set *ast.SelectionSet, parent []string, typeCondition string, f RejectedField, byName bool) []string {
	for i, sel := range *set {
		switch s := sel.(type) {
		case *ast.Field:
			path := append(slices.Clone(parent), s.Name)
			if s.Name == f.Name && (byName || matches(s.Position, typeCondition, f)) {
				*set = slices.Delete(*set, i, i+1)
				return path
			}
			if p := dropIn(&s.SelectionSet, path, "", f, byName); p != nil {
				if len(s.SelectionSet) == 0 {
					// A field with no selection left is invalid too.
					*set = slices.Delete(*set, i, i+1)
					return path
				}
				return p
			}
		case *ast.InlineFragment:
			if p := dropIn(&s.SelectionSet, parent, s.TypeCondition, f, byName); p != nil {
				if len(s.SelectionSet) == 0 {
					*set = slices.Delete(*set, i, i+1)
				}
				return p
			}
		}
	}
	return nil
}

// matches reports whether a field named like f, at pos under a fragment on
// typeCondition, is the one Wiz rejected: at its location where Wiz gives
// one, else on its type.
func matches(pos *ast.Position, typeCondition string, f RejectedField) bool {
	if f.Line > 0 {
		return pos != nil && pos.Line == f.Line && pos.Column == f.Column
	}
	return typeCondition == f.Type
}

// countFields counts the fields called name anywhere in doc.
func countFields(doc *ast.QueryDocument, name string) int {
	n := 0
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name == name {
					n++
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	return n
}
