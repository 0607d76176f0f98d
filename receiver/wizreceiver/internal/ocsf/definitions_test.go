// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// definitionsFile holds the OCSF 1.5.0 definitions the events are checked
// against: the five classes the converter writes and the objects it fills,
// each flattened as the schema compiler flattens them (profiles included,
// extends resolved, dictionary entries merged under the class's own).
// TestDefinitionsFromSchema derives it from a checkout of ocsf-schema.
var definitionsFile = filepath.Join("testdata", "ocsf-1.5.0-definitions.json")

// definitions is the content of definitionsFile.
type definitions struct {
	// Source names the schema repository, tag and commit the file was
	// derived from, and how.
	Source  string `json:"source"`
	Version string `json:"version"`
	// Types are the dictionary's data types: string_t, timestamp_t, ip_t, ….
	Types   map[string]*typeDef   `json:"types"`
	Classes map[string]*structDef `json:"classes"`
	Objects map[string]*structDef `json:"objects"`
}

// typeDef is a dictionary type: its primitive (string_t, integer_t,
// long_t, float_t, boolean_t or json_t) and the checks on its values.
type typeDef struct {
	Primitive string   `json:"primitive"`
	Regex     string   `json:"regex,omitempty"`
	MaxLen    int      `json:"max_len,omitempty"`
	Range     []int64  `json:"range,omitempty"`
	Values    []string `json:"values,omitempty"`
}

// structDef is a class or an object.
type structDef struct {
	// UID and CategoryUID are a class's class_uid and category_uid.
	UID         int    `json:"uid,omitempty"`
	CategoryUID int    `json:"category_uid,omitempty"`
	Caption     string `json:"caption"`
	// Profiles are the profiles a class's events may name in
	// metadata.profiles.
	Profiles    []string            `json:"profiles,omitempty"`
	Constraints map[string][]string `json:"constraints,omitempty"`
	Attributes  map[string]*attrDef `json:"attributes"`
}

// attrDef is an attribute of a class or an object.
type attrDef struct {
	// Type is a dictionary type (a key of Types), or "object_t" with the
	// object's name in Object.
	Type        string `json:"type"`
	Object      string `json:"object,omitempty"`
	Array       bool   `json:"array,omitempty"`
	Requirement string `json:"requirement"`
	// Profiles, when set, are the profiles the attribute belongs to: it is
	// part of an event only when metadata.profiles names one of them.
	Profiles []string `json:"profiles,omitempty"`
	// Enum maps each value (as text) to its caption; Sibling is the
	// attribute that may carry the caption.
	Enum       map[string]string `json:"enum,omitempty"`
	Sibling    string            `json:"sibling,omitempty"`
	Deprecated bool              `json:"deprecated,omitempty"`
}

func readDefinitions(t testing.TB) *definitions {
	t.Helper()
	raw, err := os.ReadFile(definitionsFile)
	require.NoError(t, err)
	var defs definitions
	require.NoError(t, json.Unmarshal(raw, &defs))
	require.Equal(t, "1.5.0", defs.Version)
	return &defs
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

// The definitions hold the classes as the OCSF 1.5.0 documentation states
// them: their ids, activities and what each requires.
func TestDefinitionsHoldTheClasses(t *testing.T) {
	defs := readDefinitions(t)
	tests := []struct {
		class         string
		uid, category int
		activities    []string
		required      []string
	}{
		{"detection_finding", 2004, 2, []string{"0", "1", "2", "3", "99"}, []string{"finding_info"}},
		{"vulnerability_finding", 2002, 2, []string{"0", "1", "2", "3", "99"}, []string{"finding_info", "vulnerabilities"}},
		{"compliance_finding", 2003, 2, []string{"0", "1", "2", "3", "99"}, []string{"finding_info", "compliance"}},
		{"authentication", 3002, 3, []string{"0", "1", "2", "3", "4", "5", "6", "99"}, []string{"user"}},
		{"api_activity", 6003, 6, []string{"0", "1", "2", "3", "4", "99"}, []string{"actor", "api", "src_endpoint"}},
	}
	require.Len(t, defs.Classes, len(tests))
	for _, tt := range tests {
		c := defs.Classes[tt.class]
		require.NotNil(t, c, tt.class)
		assert.Equal(t, tt.uid, c.UID, tt.class)
		assert.Equal(t, tt.category, c.CategoryUID, tt.class)
		assert.ElementsMatch(t, tt.activities, sortedKeys(c.Attributes["activity_id"].Enum), tt.class)
		var typeUIDs []string
		for _, a := range tt.activities {
			typeUIDs = append(typeUIDs, itoa(tt.uid*100+atoi(t, a)))
		}
		assert.ElementsMatch(t, typeUIDs, sortedKeys(c.Attributes["type_uid"].Enum), tt.class)
		for _, name := range append([]string{"class_uid", "category_uid", "activity_id", "type_uid", "time", "severity_id", "metadata"}, tt.required...) {
			require.Contains(t, c.Attributes, name, tt.class)
			assert.Equal(t, "required", c.Attributes[name].Requirement, "%s.%s", tt.class, name)
			assert.Nil(t, c.Attributes[name].Profiles, "%s.%s belongs to no profile", tt.class, name)
		}
		// The cloud profile makes cloud required.
		assert.Equal(t, []string{"cloud"}, c.Attributes["cloud"].Profiles, tt.class)
		assert.Equal(t, "required", c.Attributes["cloud"].Requirement, tt.class)
		assert.Equal(t, "timestamp_t", c.Attributes["time"].Type, tt.class)
	}
	assert.Equal(t, map[string][]string{"at_least_one": {"service", "dst_endpoint"}}, defs.Classes["authentication"].Constraints)
	assert.Equal(t, "long_t", defs.Types["timestamp_t"].Primitive)
	assert.Equal(t, "required", defs.Objects["finding_info"].Attributes["uid"].Requirement)
	assert.Equal(t, "required", defs.Objects["cve"].Attributes["uid"].Requirement)
	assert.Equal(t, map[string][]string{"just_one": {"advisory", "cve", "cwe"}}, defs.Objects["vulnerability"].Constraints)
	for _, name := range []string{"product", "version"} {
		assert.Equal(t, "required", defs.Objects["metadata"].Attributes[name].Requirement, "metadata.%s", name)
	}
}
