// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata, and with -ocsf-schema the definitions")

var ocsfSchema = flag.String("ocsf-schema", "",
	"a checkout of github.com/ocsf/ocsf-schema at tag "+schemaTag+": TestDefinitionsFromSchema derives "+definitionsFile+
		" from it and compares (with -update, rewrites)")

// The schema release the definitions come from. version.json at the tag
// already says 1.6.0-dev, so the tag and its commit are named here.
const (
	schemaTag    = "1.5.0"
	schemaCommit = "78bf68a24b38c0d6441ddd13b9028c1b1eb53f07"
)

// definedClasses are the classes the converter writes; definedObjects the
// objects it fills. An event holding an object not listed fails
// validation, naming the object to add here before deriving the file again.
var (
	definedClasses = []string{"detection_finding", "vulnerability_finding", "compliance_finding", "authentication", "api_activity"}
	definedObjects = []string{
		"metadata", "product", "finding_info", "analytic", "attack", "tactic", "technique", "sub_technique", "related_event",
		"vulnerability", "cve", "cvss", "epss", "advisory", "affected_package", "remediation", "compliance", "evidences",
		"resource_details", "key_value_object", "cloud", "account", "organization",
		"actor", "user", "process", "network_endpoint", "api", "request", "service", "http_request",
	}
)

// TestDefinitionsFromSchema derives definitionsFile from the schema's
// source files as ocsf-schema-compiler compiles them: a class or object is
// its extends chain merged parent first, each item's $include of a profile
// merged under its own attributes (which then belong to the profile unless
// the item says "profile": null), every attribute merged over its
// dictionary entry, class_uid = category uid * 1000 + class uid, and the
// type_uid enum class_uid * 100 + each activity_id.
func TestDefinitionsFromSchema(t *testing.T) {
	if *ocsfSchema == "" {
		t.Skip("needs -ocsf-schema=<a checkout of github.com/ocsf/ocsf-schema at tag " + schemaTag + ">")
	}
	s := loadSchema(t, *ocsfSchema)
	defs := &definitions{
		Source: "github.com/ocsf/ocsf-schema tag " + schemaTag + " (commit " + schemaCommit + "): dictionary.json, categories.json, " +
			"events/, objects/, profiles/; derived by TestDefinitionsFromSchema (definitions_gen_test.go)",
		Version: schemaTag,
		Types:   s.types(),
		Classes: map[string]*structDef{},
		Objects: map[string]*structDef{},
	}
	for _, name := range definedClasses {
		defs.Classes[name] = s.class(t, name)
	}
	for _, name := range definedObjects {
		defs.Objects[name] = s.object(t, name)
	}
	got := formatDefinitions(t, defs)
	if *update {
		require.NoError(t, os.WriteFile(definitionsFile, got, 0o600))
	}
	want, err := os.ReadFile(definitionsFile)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "run with -update to rewrite "+definitionsFile)
}

// jsonObject is a JSON object of the schema's files.
type jsonObject = map[string]any

// schema is the source of an OCSF schema release.
type schema struct {
	dictionary, dictionaryTypes, categories jsonObject
	// classes and objects are the items by name, as their files say;
	// resolved holds them once their includes and extends are resolved.
	classes, objects map[string]jsonObject
	resolved         map[string]jsonObject
	dir              string
}

func loadSchema(t *testing.T, dir string) *schema {
	t.Helper()
	dictionary := readJSON(t, filepath.Join(dir, "dictionary.json"))
	s := &schema{
		dictionary:      dictionary["attributes"].(jsonObject),
		dictionaryTypes: dictionary["types"].(jsonObject)["attributes"].(jsonObject),
		categories:      readJSON(t, filepath.Join(dir, "categories.json"))["attributes"].(jsonObject),
		classes:         readItems(t, filepath.Join(dir, "events")),
		objects:         readItems(t, filepath.Join(dir, "objects")),
		resolved:        map[string]jsonObject{},
		dir:             dir,
	}
	return s
}

func readJSON(t *testing.T, path string) jsonObject {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var v jsonObject
	require.NoError(t, json.Unmarshal(raw, &v), path)
	return v
}

// readItems reads every class or object file under dir by its name.
func readItems(t *testing.T, dir string) map[string]jsonObject {
	t.Helper()
	items := map[string]jsonObject{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		item := readJSON(t, path)
		items[item["name"].(string)] = item
		return nil
	}))
	return items
}

// types returns the dictionary's types, each with its primitive.
func (s *schema) types() map[string]*typeDef {
	out := map[string]*typeDef{}
	for name, v := range s.dictionaryTypes {
		def := v.(jsonObject)
		td := &typeDef{Primitive: name}
		for base := def; base["type"] != nil; base = s.dictionaryTypes[td.Primitive].(jsonObject) {
			td.Primitive = base["type"].(string)
		}
		if r, ok := def["regex"].(string); ok {
			td.Regex = r
		}
		if n, ok := def["max_len"].(float64); ok {
			td.MaxLen = int(n)
		}
		if r, ok := def["range"].([]any); ok {
			td.Range = []int64{int64(r[0].(float64)), int64(r[1].(float64))}
		}
		out[name] = td
	}
	return out
}

// class returns the class named name, flattened.
func (s *schema) class(t *testing.T, name string) *structDef {
	t.Helper()
	item := s.resolve(t, s.classes, "class:", name)
	category := s.categories[item["category"].(string)].(jsonObject)
	categoryUID := int(category["uid"].(float64))
	uid := categoryUID*1000 + int(item["uid"].(float64))
	def := s.finish(t, item)
	def.UID, def.CategoryUID = uid, categoryUID
	for _, p := range item["profiles"].([]any) {
		def.Profiles = append(def.Profiles, p.(string))
	}
	slices.Sort(def.Profiles)
	// The compiler replaces these three enums with the class's own values.
	def.Attributes["class_uid"].Enum = map[string]string{itoa(uid): def.Caption}
	def.Attributes["category_uid"].Enum = map[string]string{itoa(categoryUID): category["caption"].(string)}
	typeUIDs := map[string]string{itoa(uid * 100): def.Caption + ": Unknown"}
	for activity, caption := range def.Attributes["activity_id"].Enum {
		typeUIDs[itoa(uid*100+atoi(t, activity))] = def.Caption + ": " + caption
	}
	def.Attributes["type_uid"].Enum = typeUIDs
	return def
}

// object returns the object named name, flattened.
func (s *schema) object(t *testing.T, name string) *structDef {
	t.Helper()
	return s.finish(t, s.resolve(t, s.objects, "object:", name))
}

// resolve returns the item named name of items with its includes and
// extends resolved.
func (s *schema) resolve(t *testing.T, items map[string]jsonObject, kind, name string) jsonObject {
	t.Helper()
	if r, ok := s.resolved[kind+name]; ok {
		return r
	}
	source, ok := items[name]
	require.True(t, ok, "the schema has no %s%s", kind, name)
	item := deepCopy(source).(jsonObject)
	attributes, _ := item["attributes"].(jsonObject)
	if attributes == nil {
		attributes = jsonObject{}
	}
	for attrName, a := range attributes {
		if attr, ok := a.(jsonObject); ok {
			require.NotContains(t, attr, "$include", "%s%s.%s: an attribute's $include is not supported", kind, name, attrName)
			upgradeProfile(attr)
		}
	}
	if include, ok := attributes["$include"]; ok {
		delete(attributes, "$include")
		merged := jsonObject{}
		for _, path := range include.([]any) {
			profile := readJSON(t, filepath.Join(s.dir, path.(string)))
			require.Equal(t, "profile", profile["meta"], "%s%s includes %s, which is not a profile", kind, name, path)
			for attrName, a := range deepCopy(profile["attributes"]).(jsonObject) {
				attr := a.(jsonObject)
				attr["profiles"] = []any{profile["name"]}
				mergeAttributes(merged, jsonObject{attrName: attr})
			}
		}
		mergeAttributes(merged, attributes)
		attributes = merged
	}
	item["attributes"] = attributes
	if parentName, ok := item["extends"].(string); ok {
		parent := deepCopy(s.resolve(t, items, kind, parentName)).(jsonObject)
		for key, v := range item {
			switch key {
			case "attributes":
				mergeAttributes(parent["attributes"].(jsonObject), attributes)
			case "profiles":
				parent["profiles"] = union(parent["profiles"], v)
			default:
				parent[key] = v
			}
		}
		item = parent
	}
	s.resolved[kind+name] = item
	return item
}

// upgradeProfile turns an attribute's "profile" into "profiles": null,
// the attribute belongs to no profile, even where its parent's did.
func upgradeProfile(attr jsonObject) {
	p, ok := attr["profile"]
	if !ok {
		return
	}
	delete(attr, "profile")
	if p == nil {
		attr["profiles"] = nil
		return
	}
	attr["profiles"] = []any{p}
}

// mergeAttributes merges source's attributes over dest's.
func mergeAttributes(dest, source jsonObject) {
	for name, v := range source {
		d, ok := dest[name].(jsonObject)
		if !ok {
			dest[name] = v
			continue
		}
		src := v.(jsonObject)
		for key, sv := range src {
			dv, ok := d[key]
			switch {
			case !ok:
				d[key] = sv
			case reflect.DeepEqual(dv, sv):
			case key == "profiles":
				if sv == nil {
					d[key] = nil
				} else {
					d[key] = union(dv, sv)
				}
			case key == "requirement" && src["profiles"] != nil && d["profiles"] != nil:
				// An attribute two profiles bring keeps the stronger
				// requirement.
				if requirementRank(sv.(string)) > requirementRank(dv.(string)) {
					d[key] = sv
				}
			default:
				dm, dIsMap := dv.(jsonObject)
				sm, sIsMap := sv.(jsonObject)
				if dIsMap && sIsMap {
					deepMerge(dm, sm)
				} else {
					d[key] = sv
				}
			}
		}
	}
}

func requirementRank(r string) int {
	return slices.Index([]string{"optional", "recommended", "required"}, r)
}

// deepMerge merges source into dest: objects key by key, anything else
// replaced.
func deepMerge(dest, source jsonObject) {
	for key, sv := range source {
		dm, dIsMap := dest[key].(jsonObject)
		sm, sIsMap := sv.(jsonObject)
		if dIsMap && sIsMap {
			deepMerge(dm, sm)
		} else {
			dest[key] = sv
		}
	}
}

// union is the sorted union of two lists of names; nil where both are.
func union(a, b any) any {
	var names []string
	for _, l := range []any{a, b} {
		list, _ := l.([]any)
		for _, n := range list {
			if !slices.Contains(names, n.(string)) {
				names = append(names, n.(string))
			}
		}
	}
	if names == nil {
		return nil
	}
	slices.Sort(names)
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case jsonObject:
		out := make(jsonObject, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// finish merges each attribute of a resolved item over its dictionary entry
// and returns the item's definition.
func (s *schema) finish(t *testing.T, item jsonObject) *structDef {
	t.Helper()
	def := &structDef{Caption: item["caption"].(string), Attributes: map[string]*attrDef{}}
	if constraints, ok := item["constraints"].(jsonObject); ok && len(constraints) > 0 {
		def.Constraints = map[string][]string{}
		for kind, names := range constraints {
			for _, n := range names.([]any) {
				def.Constraints[kind] = append(def.Constraints[kind], n.(string))
			}
		}
	}
	for name, a := range item["attributes"].(jsonObject) {
		entry, ok := s.dictionary[name].(jsonObject)
		require.True(t, ok, "%s: attribute %s is not in the dictionary", item["name"], name)
		attr := deepCopy(entry).(jsonObject)
		deepMerge(attr, a.(jsonObject))
		ad := &attrDef{Type: attr["type"].(string), Requirement: "optional"}
		if _, isType := s.dictionaryTypes[ad.Type]; !isType {
			ad.Type, ad.Object = "object_t", ad.Type
		}
		ad.Array, _ = attr["is_array"].(bool)
		if r, ok := attr["requirement"].(string); ok {
			ad.Requirement = r
		}
		if profiles, ok := attr["profiles"].([]any); ok {
			for _, p := range profiles {
				ad.Profiles = append(ad.Profiles, p.(string))
			}
		}
		if enum, ok := attr["enum"].(jsonObject); ok {
			ad.Enum = map[string]string{}
			for value, e := range enum {
				ad.Enum[value], _ = e.(jsonObject)["caption"].(string)
			}
		}
		ad.Sibling, _ = attr["sibling"].(string)
		_, ad.Deprecated = attr["@deprecated"]
		def.Attributes[name] = ad
	}
	return def
}

// formatDefinitions writes defs as JSON with one line per type and per
// attribute, every object's keys sorted.
func formatDefinitions(t *testing.T, defs *definitions) []byte {
	t.Helper()
	compact := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	b.WriteString(`  "source": ` + compact(defs.Source) + ",\n")
	b.WriteString(`  "version": ` + compact(defs.Version) + ",\n")
	b.WriteString(`  "types": {` + "\n")
	for i, name := range sortedKeys(defs.Types) {
		b.WriteString("    " + compact(name) + ": " + compact(defs.Types[name]) + separator(i, len(defs.Types)))
	}
	b.WriteString("  },\n")
	writeStructs := func(key string, structs map[string]*structDef, last bool) {
		b.WriteString("  " + compact(key) + ": {\n")
		for i, name := range sortedKeys(structs) {
			def := structs[name]
			head := *def
			head.Attributes = nil
			// The struct's own fields on one line, its attributes below.
			fields := strings.TrimSuffix(compact(head), `,"attributes":null}`)
			b.WriteString("    " + compact(name) + ": " + fields + `, "attributes": {` + "\n")
			for j, attr := range sortedKeys(def.Attributes) {
				b.WriteString("      " + compact(attr) + ": " + compact(def.Attributes[attr]) + separator(j, len(def.Attributes)))
			}
			b.WriteString("    }}" + separator(i, len(structs)))
		}
		if last {
			b.WriteString("  }\n")
		} else {
			b.WriteString("  },\n")
		}
	}
	writeStructs("classes", defs.Classes, false)
	writeStructs("objects", defs.Objects, true)
	b.WriteString("}\n")
	return b.Bytes()
}

func separator(i, n int) string {
	if i == n-1 {
		return "\n"
	}
	return ",\n"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
