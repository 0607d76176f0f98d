// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf_test

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// validator checks events against the definitions the way ocsf-server's
// /api/v2/validate does (lib/schema/validator2.ex): the attributes of the
// event's class and of every object in it, with the profiles the event
// names in metadata.profiles; required attributes present, no attribute
// the class or object does not define, each value of its type (an integer
// is not a float, a timestamp is an integer), enum values defined and
// their siblings' captions right, constraints held, type_uid consistent.
// What the server only warns about (deprecated attributes, a sibling that
// does not match) is a problem here too.
type validator struct {
	defs    *definitions
	regexes map[string]*regexp.Regexp
	// saneTimes also holds every timestamp to this century, which catches
	// seconds or nanoseconds written where OCSF wants milliseconds.
	saneTimes bool
}

func newValidator(defs *definitions, saneTimes bool) *validator {
	v := &validator{defs: defs, regexes: map[string]*regexp.Regexp{}, saneTimes: saneTimes}
	for name, td := range defs.Types {
		if td.Regex != "" {
			v.regexes[name] = regexp.MustCompile(td.Regex)
		}
	}
	return v
}

// problems returns what is wrong with event; none when it is a valid OCSF
// 1.5.0 event of its class.
func (v *validator) problems(event pcommon.Map) []string {
	var out []string
	report := func(path, format string, args ...any) {
		out = append(out, path+": "+fmt.Sprintf(format, args...))
	}
	uid, ok := event.Get("class_uid")
	if !ok || uid.Type() != pcommon.ValueTypeInt {
		return []string{"class_uid: missing, or not an integer"}
	}
	var class *structDef
	for _, c := range v.defs.Classes {
		if int64(c.UID) == uid.Int() {
			class = c
		}
	}
	if class == nil {
		return []string{fmt.Sprintf("class_uid: %d is none of the defined classes", uid.Int())}
	}
	profiles := v.profiles(event, class, report)
	v.check(event, class, "", profiles, report)
	activity, _ := event.Get("activity_id")
	typeUID, _ := event.Get("type_uid")
	if typeUID.Int() != uid.Int()*100+activity.Int() {
		report("type_uid", "%d is not class_uid*100+activity_id (%d)", typeUID.Int(), uid.Int()*100+activity.Int())
	}
	if version := text(event, "metadata", "version"); version != "1.5.0" {
		report("metadata.version", "%q, not 1.5.0", version)
	}
	return out
}

// profiles returns the profiles the event names, each one its class has.
func (v *validator) profiles(event pcommon.Map, class *structDef, report func(path, format string, args ...any)) []string {
	var names []string
	metadata, ok := event.Get("metadata")
	if !ok || metadata.Type() != pcommon.ValueTypeMap {
		return nil
	}
	list, ok := metadata.Map().Get("profiles")
	if !ok || list.Type() != pcommon.ValueTypeSlice {
		return nil
	}
	for i, p := range list.Slice().All() {
		if !slices.Contains(class.Profiles, p.Str()) {
			report(fmt.Sprintf("metadata.profiles[%d]", i), "%q is not a profile of %s", p.AsString(), class.Caption)
			continue
		}
		names = append(names, p.Str())
	}
	return names
}

// check checks item, at path, against def.
func (v *validator) check(item pcommon.Map, def *structDef, path string, profiles []string, report func(path, format string, args ...any)) {
	applies := func(a *attrDef) bool {
		return a.Profiles == nil || slices.ContainsFunc(a.Profiles, func(p string) bool { return slices.Contains(profiles, p) })
	}
	for key := range item.All() {
		if a, ok := def.Attributes[key]; !ok || !applies(a) {
			report(join(path, key), "%s defines no such attribute (with profiles %v)", def.Caption, profiles)
		}
	}
	for name, a := range def.Attributes {
		if !applies(a) {
			continue
		}
		value, ok := item.Get(name)
		if !ok {
			if a.Requirement == "required" {
				report(join(path, name), "required by %s, missing", def.Caption)
			}
			continue
		}
		if a.Deprecated {
			report(join(path, name), "deprecated")
		}
		if !a.Array {
			v.value(value, a, join(path, name), profiles, report)
			continue
		}
		if value.Type() != pcommon.ValueTypeSlice {
			report(join(path, name), "is a %s, not an array", value.Type())
			continue
		}
		if value.Slice().Len() == 0 {
			report(join(path, name), "is an empty array: leave it out")
		}
		for i, e := range value.Slice().All() {
			v.value(e, a, fmt.Sprintf("%s[%d]", join(path, name), i), profiles, report)
		}
	}
	// An enum's sibling carries its caption; with 99 (Other) it carries
	// the source's own word, which may be anything.
	for _, name := range sortedKeys(def.Attributes) {
		a := def.Attributes[name]
		value, hasValue := item.Get(name)
		sibling, hasSibling := item.Get(a.Sibling)
		if a.Enum == nil || !hasValue || !hasSibling || value.AsString() == "99" {
			continue
		}
		if caption := a.Enum[value.AsString()]; sibling.AsString() != caption {
			report(join(path, a.Sibling), "%q, not %q, the caption of %s %s", sibling.AsString(), caption, name, value.AsString())
		}
	}
	for kind, names := range def.Constraints {
		n := 0
		for _, name := range names {
			if _, ok := item.Get(name); ok {
				n++
			}
		}
		switch {
		case kind == "at_least_one" && n == 0:
			report(path, "%s needs at least one of %v", def.Caption, names)
		case kind == "just_one" && n != 1:
			report(path, "%s needs exactly one of %v, has %d", def.Caption, names, n)
		case kind != "at_least_one" && kind != "just_one":
			report(path, "unknown constraint %s", kind)
		}
	}
}

// value checks one value (an array's element for an array attribute).
func (v *validator) value(value pcommon.Value, a *attrDef, path string, profiles []string, report func(path, format string, args ...any)) {
	if a.Type == "object_t" {
		if value.Type() != pcommon.ValueTypeMap {
			report(path, "is a %s, not a %s object", value.Type(), a.Object)
			return
		}
		if a.Object == "object" {
			// unmapped, and the like: any object.
			return
		}
		def, ok := v.defs.Objects[a.Object]
		if !ok {
			report(path, "object %s is not in %s: add it to definedObjects and derive the file again", a.Object, definitionsFile)
			return
		}
		v.check(value.Map(), def, path, profiles, report)
		return
	}
	td := v.defs.Types[a.Type]
	want := map[string]pcommon.ValueType{
		"string_t": pcommon.ValueTypeStr, "integer_t": pcommon.ValueTypeInt, "long_t": pcommon.ValueTypeInt,
		"float_t": pcommon.ValueTypeDouble, "boolean_t": pcommon.ValueTypeBool,
	}[td.Primitive]
	if td.Primitive != "json_t" && value.Type() != want {
		report(path, "is a %s, not a %s (%s)", value.Type(), a.Type, td.Primitive)
		return
	}
	switch td.Primitive {
	case "integer_t":
		if value.Int() < math.MinInt32 || value.Int() > math.MaxInt32 {
			report(path, "%d is out of integer_t's range", value.Int())
		}
	case "string_t":
		if re := v.regexes[a.Type]; re != nil && !re.MatchString(value.Str()) {
			report(path, "%q is not a %s", value.Str(), a.Type)
		}
		if td.MaxLen > 0 && len(value.Str()) > td.MaxLen {
			report(path, "%q is longer than %s's %d", value.Str(), a.Type, td.MaxLen)
		}
	}
	if td.Range != nil && (value.Int() < td.Range[0] || value.Int() > td.Range[1]) {
		report(path, "%d is outside %s's range %v", value.Int(), a.Type, td.Range)
	}
	if a.Type == "timestamp_t" && v.saneTimes {
		if t := time.UnixMilli(value.Int()); t.Year() < 2000 || t.Year() > 2100 {
			report(path, "%d ms is %s: not milliseconds since the epoch?", value.Int(), t.UTC())
		}
	}
	if a.Enum != nil {
		if _, ok := a.Enum[value.AsString()]; !ok {
			report(path, "%s is not a value of its enum", value.AsString())
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// text returns the string at a path of nested objects, or "".
func text(m pcommon.Map, path ...string) string {
	for i, key := range path {
		v, ok := m.Get(key)
		if !ok {
			return ""
		}
		if i == len(path)-1 {
			if v.Type() == pcommon.ValueTypeInt {
				return strconv.FormatInt(v.Int(), 10)
			}
			return v.Str()
		}
		if v.Type() != pcommon.ValueTypeMap {
			return ""
		}
		m = v.Map()
	}
	return ""
}
