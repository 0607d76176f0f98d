// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"slices"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

//go:embed schema.graphql
var schemaSDL string

// schema is parsed once and shared by every server that serves it as it is;
// a server whose schema changes (RemoveSchemaField) parses its own copy.
var schema = loadSchema()

func loadSchema() *ast.Schema {
	return gqlparser.MustLoadSchema(&ast.Source{Name: "schema.graphql", Input: schemaSDL})
}

// orderedObject is a JSON object that keeps its keys in insertion order.
// GraphQL responses list fields in selection order; a Go map would sort them.
type orderedObject []member

type member struct {
	key   string
	value any
}

// MarshalJSON writes the members in order.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	err := writeJSON(&b, o)
	return b.Bytes(), err
}

// writeJSON encodes v, walking ordered objects and lists itself: leaving
// them to json.Marshal would re-validate every nested object's output once
// per level of nesting, which made large pages slow to render.
func writeJSON(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case orderedObject:
		b.WriteByte('{')
		for i, m := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, m.key); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := writeJSON(b, m.value); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, item); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		leaf, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(leaf)
	}
	return nil
}

// executor resolves a validated selection over plain data: objects are
// map[string]any whose keys are schema field names, lists are []any, and
// objects of an abstract type (union or interface) carry their concrete type
// name under "__typename".
type executor struct {
	schema *ast.Schema
	vars   map[string]any
}

// fieldGroup is every field selected under one response key; the GraphQL
// spec merges their sub-selections (e.g. a field selected both directly and
// through a fragment).
type fieldGroup struct {
	key    string
	fields []*ast.Field
}

// collect flattens a selection set for an object of concrete type typeName,
// applying fragments whose type condition matches and @skip/@include.
func (e *executor) collect(set ast.SelectionSet, typeName string, groups []fieldGroup) []fieldGroup {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !e.included(s.Directives) {
				continue
			}
			i := slices.IndexFunc(groups, func(g fieldGroup) bool { return g.key == s.Alias })
			if i < 0 {
				groups = append(groups, fieldGroup{key: s.Alias, fields: []*ast.Field{s}})
			} else {
				groups[i].fields = append(groups[i].fields, s)
			}
		case *ast.InlineFragment:
			if e.included(s.Directives) && e.applies(s.TypeCondition, typeName) {
				groups = e.collect(s.SelectionSet, typeName, groups)
			}
		case *ast.FragmentSpread:
			if e.included(s.Directives) && e.applies(s.Definition.TypeCondition, typeName) {
				groups = e.collect(s.Definition.SelectionSet, typeName, groups)
			}
		}
	}
	return groups
}

func (e *executor) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		cond := d.ArgumentMap(e.vars)["if"] == true
		if (d.Name == "skip" && cond) || (d.Name == "include" && !cond) {
			return false
		}
	}
	return true
}

// applies reports whether a fragment with type condition cond applies to an
// object of concrete type typeName: the same type, or an interface or union
// that includes it. This keeps VM-only fields off a container image.
func (e *executor) applies(cond, typeName string) bool {
	if cond == "" || cond == typeName {
		return true
	}
	def := e.schema.Types[cond]
	if def == nil || !def.IsAbstractType() {
		return false
	}
	return slices.ContainsFunc(e.schema.GetPossibleTypes(def), func(d *ast.Definition) bool { return d.Name == typeName })
}

// object resolves a selection set against data of concrete type typeName.
func (e *executor) object(set ast.SelectionSet, typeName string, data map[string]any) orderedObject {
	groups := e.collect(set, typeName, nil)
	out := make(orderedObject, 0, len(groups))
	for _, g := range groups {
		f := g.fields[0]
		if f.Name == "__typename" {
			out = append(out, member{g.key, typeName})
			continue
		}
		out = append(out, member{g.key, e.value(g.fields, f.Definition.Type, data[f.Name])})
	}
	return out
}

// selects reports whether the merged selection of fields, on their object
// type, asks for the field called name.
func (e *executor) selects(fields []*ast.Field, name string) bool {
	var set ast.SelectionSet
	for _, f := range fields {
		set = append(set, f.SelectionSet...)
	}
	return slices.ContainsFunc(e.collect(set, fields[0].Definition.Type.Name(), nil), func(g fieldGroup) bool {
		return g.fields[0].Name == name
	})
}

// value completes one field value of the given schema type.
func (e *executor) value(fields []*ast.Field, typ *ast.Type, v any) any {
	if v == nil || len(fields[0].SelectionSet) == 0 {
		// Leaves (scalars, enums, JSON, and lists of them) are stored ready
		// to encode.
		return v
	}
	if typ.Elem != nil {
		items, _ := v.([]any)
		out := make([]any, len(items))
		for i, item := range items {
			out[i] = e.value(fields, typ.Elem, item)
		}
		return out
	}
	obj, _ := v.(map[string]any)
	typeName := typ.Name()
	if e.schema.Types[typeName].IsAbstractType() {
		typeName, _ = obj["__typename"].(string)
	}
	var set ast.SelectionSet
	for _, f := range fields {
		set = append(set, f.SelectionSet...)
	}
	return e.object(set, typeName, obj)
}
