// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

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
	if evidence, ok := obj(native, "evidence"); ok {
		putEvidenceData(ev, evidence)
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

// evidenceFields are the strings of a configuration finding's evidence:
// what Wiz saw and expected, at which configuration path.
var evidenceFields = [...]string{"configurationPath", "currentValue", "expectedValue", "cloudConfigurationLink"}

// putEvidenceData writes the evidence's strings as evidences[0].data. Only
// they are copied: anything else a body holds there could nest the event
// deeper than OTLP allows.
func putEvidenceData(ev, evidence pcommon.Map) {
	n := 0
	for _, f := range evidenceFields {
		if str(evidence, f) != "" {
			n++
		}
	}
	if n == 0 {
		return
	}
	data := ev.PutEmptySlice("evidences").AppendEmpty().SetEmptyMap().PutEmptyMap("data")
	data.EnsureCapacity(n)
	for _, f := range evidenceFields {
		putStr(data, f, str(evidence, f))
	}
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
	standards, requirements := distinct{m: c, key: "standards"}, distinct{m: c, key: "requirements"}
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
			standards.add(str(framework, "name"))
			requirements.add(str(v.Map(), "title"))
		}
	}
}

// distinct writes the distinct non-empty values it is given, in the
// order they come, to the array at key of m, created on first use. Past
// distinctScan values it keeps them in a set as well, so that a finding
// mapped onto very many framework entries costs linear time.
type distinct struct {
	m    pcommon.Map
	key  string
	s    pcommon.Slice
	seen map[string]struct{}
}

const distinctScan = 16

func (d *distinct) add(value string) {
	if value == "" {
		return
	}
	if d.s == (pcommon.Slice{}) {
		d.s = d.m.PutEmptySlice(d.key)
	}
	if d.seen != nil {
		if _, ok := d.seen[value]; ok {
			return
		}
		d.seen[value] = struct{}{}
		d.s.AppendEmpty().SetStr(value)
		return
	}
	for _, e := range d.s.All() {
		if e.Str() == value {
			return
		}
	}
	d.s.AppendEmpty().SetStr(value)
	if d.s.Len() > distinctScan {
		d.seen = make(map[string]struct{}, 2*d.s.Len())
		for _, e := range d.s.All() {
			d.seen[e.Str()] = struct{}{}
		}
	}
}
