package ocsf

import (
	"errors"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// complianceAttributes is the most attributes a Compliance Finding has at
// its top level, raw_data among them.
const complianceAttributes = 24

// convertConfigurationFinding converts a configurationFindings node: one
// rule evaluated on one resource, a pass as well as a failure.
func convertConfigurationFinding(native pcommon.Map, rec record, ev pcommon.Map) error {
	id := str(native, "id")
	if id == "" {
		return errors.New("no id")
	}
	status := str(native, "status")
	activity := findingActivity(status, rec.time, str(native, "firstSeenAt"))
	rule, _ := obj(native, "rule")
	res, _ := obj(native, "resource")
	// The account: the resource's, else the finding's own.
	account, ok := obj(res, "subscription")
	if !ok {
		account, _ = obj(native, "subscription")
	}
	loc := location{provider: str(account, "cloudProvider"), region: str(res, "region"),
		accountUID: str(account, "externalId"), accountName: str(account, "name")}
	if loc.provider == "" {
		loc.provider = str(res, "cloudPlatform")
	}

	complianceFinding.put(ev, activity, "")
	putSeverity(ev, str(native, "severity"))
	putFindingStatus(ev, status, str(native, "resolutionReason"))
	ev.PutInt("time", rec.time)
	putMetadata(ev, rec, "", "", loc.provider != "")
	f := finding{
		uid: id, title: firstStr(native, "name"), desc: str(rule, "description"), kind: "Cloud Configuration Finding",
		created: str(native, "firstSeenAt"), modified: str(native, "updatedAt"),
		firstSeen: str(native, "firstSeenAt"), lastSeen: str(native, "analyzedAt"),
	}
	if f.title == "" {
		f.title = str(rule, "name")
	}
	fi := f.put(ev)
	putRule(fi, str(rule, "id"), str(rule, "name"), str(rule, "serviceType"))
	putCompliance(ev, native, rule)
	if evidence, ok := obj(native, "evidence"); ok && evidence.Len() > 0 {
		// What Wiz saw and expected, at which configuration path.
		evidence.CopyTo(ev.PutEmptySlice("evidences").AppendEmpty().SetEmptyMap().PutEmptyMap("data"))
	}
	putRemediation(ev, firstNonEmpty(str(native, "remediation"), str(rule, "remediationInstructions")))
	var resources pcommon.Slice
	tags, _ := get(res, "tags")
	appendResource(ev, &resources, resource{
		uid: str(res, "providerId"), uidAlt: str(res, "id"),
		name: str(res, "name"), typ: str(res, "type"), region: loc.region, tags: tags,
	}, loc.provider != "")
	putCloud(ev, &loc)
	return nil
}

// putCompliance writes the compliance object: the result (PASS, FAIL;
// anything else, such as ERROR, is Other), the rule as the control, and
// the frameworks (standards) and their entries (requirements) Wiz maps the
// finding and its rule onto.
func putCompliance(ev, native, rule pcommon.Map) {
	c := ev.PutEmptyMap("compliance")
	c.EnsureCapacity(6)
	switch result := str(native, "result"); {
	case result == "":
	case wizIs(result, "PASS"):
		c.PutInt("status_id", 1)
		c.PutStr("status", "Pass")
		c.PutStr("status_code", result)
	case wizIs(result, "FAIL"):
		c.PutInt("status_id", 3)
		c.PutStr("status", "Fail")
		c.PutStr("status_code", result)
	default:
		c.PutInt("status_id", 99)
		c.PutStr("status", result)
		c.PutStr("status_code", result)
	}
	putStr(c, "control", firstStr(rule, "shortId", "name"))
	var standards, requirements pcommon.Slice
	for _, owner := range []pcommon.Map{native, rule} {
		subs, ok := list(owner, "securitySubCategories")
		if !ok {
			continue
		}
		for _, v := range subs.All() {
			if v.Type() != pcommon.ValueTypeMap {
				continue
			}
			category, _ := obj(v.Map(), "category")
			framework, _ := obj(category, "framework")
			appendDistinct(c, &standards, "standards", str(framework, "name"))
			appendDistinct(c, &requirements, "requirements", str(v.Map(), "title"))
		}
	}
}

// appendDistinct appends a non-empty value to the array at key of m,
// created on first use, unless it holds it already.
func appendDistinct(m pcommon.Map, s *pcommon.Slice, key, value string) {
	if value == "" {
		return
	}
	if *s == (pcommon.Slice{}) {
		*s = m.PutEmptySlice(key)
	}
	for _, e := range s.All() {
		if e.Str() == value {
			return
		}
	}
	s.AppendEmpty().SetStr(value)
}
