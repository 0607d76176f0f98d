// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// finding is what every finding class's finding_info and message say.
type finding struct {
	uid, title, desc, srcURL string
	// kind is what the Wiz object is (Issue, Threat, Detection,
	// Vulnerability Finding, Cloud Configuration Finding): the first of
	// finding_info.types, as one class holds several; wizType is Wiz's
	// own type of it, the second, where Wiz has one.
	kind, wizType string
	// Wiz's times.
	created, modified, firstSeen, lastSeen string
}

// put writes message and finding_info and returns finding_info for the
// class's own additions.
func (f *finding) put(ev pcommon.Map) pcommon.Map {
	putStr(ev, "message", f.title)
	fi := ev.PutEmptyMap("finding_info")
	fi.EnsureCapacity(12)
	fi.PutStr("uid", f.uid)
	putStr(fi, "title", f.title)
	putStr(fi, "desc", f.desc)
	types := fi.PutEmptySlice("types")
	types.AppendEmpty().SetStr(f.kind)
	if f.wizType != "" {
		types.AppendEmpty().SetStr(f.wizType)
	}
	putTime(fi, "created_time", f.created)
	putTime(fi, "modified_time", f.modified)
	putTime(fi, "first_seen_time", f.firstSeen)
	putTime(fi, "last_seen_time", f.lastSeen)
	putStr(fi, "src_url", f.srcURL)
	return fi
}

// putRule writes finding_info.analytic: the Wiz rule (control, cloud
// event rule, configuration rule, threat detection rule) that raised the
// finding. category is Wiz's class of the rule, where it has one.
func putRule(fi pcommon.Map, uid, name, category string) {
	if uid == "" && name == "" {
		return
	}
	a := fi.PutEmptyMap("analytic")
	a.EnsureCapacity(5)
	putStr(a, "uid", uid)
	putStr(a, "name", name)
	putStr(a, "category", category)
	a.PutInt("type_id", 1)
	a.PutStr("type", "Rule")
}

// putMITRE writes finding_info.attacks from the MITRE ATT&CK entries of
// Wiz's securitySubCategories: each entry's category is its tactic, its
// title and externalId the technique, or the sub-technique (and its
// technique's id) where the id has a dot. Wiz maps rules onto frameworks
// of its own too; those are left out.
func putMITRE(fi pcommon.Map, owners ...pcommon.Map) {
	var attacks pcommon.Slice
	for _, owner := range owners {
		subs, ok := list(owner, "securitySubCategories")
		if !ok {
			continue
		}
		for _, v := range subs.All() {
			if v.Type() != pcommon.ValueTypeMap {
				continue
			}
			sub := v.Map()
			category, _ := obj(sub, "category")
			framework, _ := obj(category, "framework")
			if !isMITRE(str(framework, "name")) {
				continue
			}
			tactic, title, id := str(category, "name"), str(sub, "title"), str(sub, "externalId")
			if tactic == "" && title == "" && id == "" {
				continue
			}
			if attacks == (pcommon.Slice{}) {
				attacks = fi.PutEmptySlice("attacks")
			}
			attack := attacks.AppendEmpty().SetEmptyMap()
			if tactic != "" {
				attack.PutEmptyMap("tactic").PutStr("name", tactic)
			}
			if dot := strings.IndexByte(id, '.'); dot > 0 {
				attack.PutEmptyMap("technique").PutStr("uid", id[:dot])
				st := attack.PutEmptyMap("sub_technique")
				st.PutStr("uid", id)
				putStr(st, "name", title)
				continue
			}
			if id != "" || title != "" {
				t := attack.PutEmptyMap("technique")
				putStr(t, "uid", id)
				putStr(t, "name", title)
			}
		}
	}
}

// isMITRE reports whether Wiz's framework name is MITRE ATT&CK's ("MITRE
// ATT&CK Matrix", "MITRE ATT&CK Cloud Matrix"), in any letter case.
func isMITRE(framework string) bool {
	const prefix = "MITRE ATT&CK"
	return len(framework) >= len(prefix) && strings.EqualFold(framework[:len(prefix)], prefix)
}

// putMITREIDs writes finding_info.attacks from the lists of MITRE ATT&CK
// tactic and technique ids pushed payloads carry; Wiz does not pair them,
// so each is an attack of its own, a sub-technique with its technique.
func putMITREIDs(fi pcommon.Map, payload pcommon.Map) {
	var attacks pcommon.Slice
	for _, ids := range []struct{ field, key string }{{"mitreTactics", "tactic"}, {"mitreTechniques", "technique"}} {
		l, ok := list(payload, ids.field)
		if !ok {
			continue
		}
		for _, v := range l.All() {
			if v.Type() != pcommon.ValueTypeStr || v.Str() == "" {
				continue
			}
			if attacks == (pcommon.Slice{}) {
				attacks = fi.PutEmptySlice("attacks")
			}
			attack := attacks.AppendEmpty().SetEmptyMap()
			if dot := strings.IndexByte(v.Str(), '.'); ids.key == "technique" && dot > 0 {
				attack.PutEmptyMap("technique").PutStr("uid", v.Str()[:dot])
				attack.PutEmptyMap("sub_technique").PutStr("uid", v.Str())
				continue
			}
			attack.PutEmptyMap(ids.key).PutStr("uid", v.Str())
		}
	}
}

// resource is a resource a finding is about.
type resource struct {
	// uid is the provider's id where Wiz has one, uidAlt Wiz's own id.
	uid, uidAlt, name, typ, region string
	// tags are Wiz's tags: an object of names and values, or a list of
	// {key, value} objects; the zero Value for none.
	tags pcommon.Value
}

// appendResource appends r to resources, the event's resources array
// created on first use; a resource with neither id nor name is left out.
// region belongs to the cloud profile: it is written with cloud only.
func appendResource(ev pcommon.Map, resources *pcommon.Slice, r resource, cloud bool) {
	if r.uid == "" {
		r.uid, r.uidAlt = r.uidAlt, ""
	}
	if r.uid == "" && r.name == "" {
		return
	}
	if *resources == (pcommon.Slice{}) {
		*resources = ev.PutEmptySlice("resources")
	}
	m := resources.AppendEmpty().SetEmptyMap()
	m.EnsureCapacity(6)
	putStr(m, "uid", r.uid)
	if r.uidAlt != r.uid {
		putStr(m, "uid_alt", r.uidAlt)
	}
	putStr(m, "name", r.name)
	putStr(m, "type", r.typ)
	if cloud {
		putStr(m, "region", r.region)
	}
	putTags(m, r.tags)
}

// putTags writes tags as OCSF's key_value_object list: every tag with a
// name and a string value.
func putTags(m pcommon.Map, tags pcommon.Value) {
	if tags == (pcommon.Value{}) {
		return
	}
	type tag struct{ name, value string }
	each := func(yield func(tag) bool) {
		switch tags.Type() {
		case pcommon.ValueTypeMap:
			for k, v := range tags.Map().All() {
				if v.Type() == pcommon.ValueTypeStr && !yield(tag{k, v.Str()}) {
					return
				}
			}
		case pcommon.ValueTypeSlice:
			for _, e := range tags.Slice().All() {
				if e.Type() == pcommon.ValueTypeMap && !yield(tag{str(e.Map(), "key"), str(e.Map(), "value")}) {
					return
				}
			}
		default:
		}
	}
	n := 0
	for t := range each {
		if t.name != "" && t.value != "" {
			n++
		}
	}
	if n == 0 {
		return
	}
	out := m.PutEmptySlice("tags")
	out.EnsureCapacity(n)
	for t := range each {
		if t.name != "" && t.value != "" {
			kv := out.AppendEmpty().SetEmptyMap()
			kv.PutStr("name", t.name)
			kv.PutStr("value", t.value)
		}
	}
}

// location is the cloud a finding's resource lives in.
type location struct {
	// provider is the account's cloud provider where Wiz gives one (an
	// EKS resource lives in an AWS account), else Wiz's cloudPlatform.
	provider, region        string
	accountUID, accountName string
	orgUID, orgName         string
}

// putCloud writes the event's cloud object; OCSF requires its provider,
// so without one there is none.
func putCloud(ev pcommon.Map, l *location) {
	if l.provider == "" {
		return
	}
	c := ev.PutEmptyMap("cloud")
	c.EnsureCapacity(4)
	c.PutStr("provider", l.provider)
	putStr(c, "region", l.region)
	if l.accountUID != "" || l.accountName != "" {
		a := c.PutEmptyMap("account")
		a.EnsureCapacity(4)
		putStr(a, "uid", l.accountUID)
		putStr(a, "name", l.accountName)
		if id, caption := accountType(l.provider); id != 0 {
			a.PutInt("type_id", id)
			a.PutStr("type", caption)
		}
	}
	if l.orgUID != "" || l.orgName != "" {
		o := c.PutEmptyMap("org")
		putStr(o, "uid", l.orgUID)
		putStr(o, "name", l.orgName)
	}
}

// accountType is the OCSF account type of what Wiz calls a subscription
// of the provider: 0 where OCSF has none, or Wiz's name for it is not
// known to be that type.
func accountType(provider string) (int64, string) {
	switch {
	case wizIs(provider, "AWS"):
		return 10, "AWS Account"
	case wizIs(provider, "GCP"):
		return 11, "GCP Project"
	case wizIs(provider, "AZURE"):
		return 13, "Azure Subscription"
	default:
		return 0, ""
	}
}

// putRemediation writes remediation, when Wiz says how.
func putRemediation(ev pcommon.Map, desc string) {
	if desc != "" {
		ev.PutEmptyMap("remediation").PutStr("desc", desc)
	}
}
