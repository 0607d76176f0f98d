// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf

import (
	"errors"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// detectionAttributes is the most attributes a Detection Finding has at
// its top level, raw_data among them.
const detectionAttributes = 24

// convertIssue converts an issuesV2 node.
func convertIssue(native pcommon.Map, rec record, ev pcommon.Map) error {
	id := str(native, "id")
	if id == "" {
		return errors.New("no id")
	}
	status := str(native, "status")
	activity := findingActivity(status, rec.time, str(native, "createdAt"))
	rule, _ := issueRule(native)
	entity, _ := obj(native, "entitySnapshot")
	loc := location{provider: str(entity, "cloudPlatform"), region: str(entity, "region"),
		accountUID: str(entity, "subscriptionExternalId"), accountName: str(entity, "subscriptionName")}

	detectionFinding.put(ev, activity, "")
	putSeverity(ev, str(native, "severity"))
	putFindingStatus(ev, status, str(native, "resolutionReason"))
	ev.PutInt("time", rec.time)
	putMetadata(ev, rec, "", "", loc.provider != "")
	f := finding{
		uid: id, title: str(rule, "name"),
		// The three kinds of rule declare their description each its own
		// way; the query aliases them apart.
		desc: firstStr(rule, "controlDescription", "cloudEventRuleDescription", "cloudConfigurationRuleDescription"),
		kind: "Issue", wizType: str(native, "type"),
		created: str(native, "createdAt"), modified: str(native, "updatedAt"),
	}
	fi := f.put(ev)
	putRule(fi, str(rule, "id"), str(rule, "name"), str(rule, "__typename"))
	putMITRE(fi, rule)
	ev.PutBool("is_alert", activity != activityClose)
	putRemediation(ev, firstStr(rule, "resolutionRecommendation", "remediationInstructions"))
	var resources pcommon.Slice
	tags, _ := get(entity, "tags")
	appendResource(ev, &resources, resource{
		uid: firstStr(entity, "providerId", "externalId"), uidAlt: str(entity, "id"),
		name: str(entity, "name"), typ: str(entity, "type"), region: loc.region, tags: tags,
	}, loc.provider != "")
	putCloud(ev, &loc)
	return nil
}

// issueRule returns the issue's rule or control: sourceRule, or the first
// of sourceRules where Wiz has moved to the list.
func issueRule(native pcommon.Map) (pcommon.Map, bool) {
	if rule, ok := obj(native, "sourceRule"); ok {
		return rule, true
	}
	return first(native, "sourceRules")
}

// convertPushedIssue converts an issue a Wiz automation rule pushed, in
// the shape of Wiz's issue template: issue, control and resource objects,
// any of which a user's edited template may lack.
func convertPushedIssue(payload pcommon.Map, rec record, ev pcommon.Map) error {
	issue, _ := obj(payload, "issue")
	id := text(issue, "id")
	if id == "" {
		return errors.New("no issue.id")
	}
	status := text(issue, "status")
	activity := findingActivity(status, rec.time, text(issue, "created"))
	trigger, _ := obj(payload, "trigger")
	// The record is dated at the issue's creation whatever changed: the
	// trigger says what did.
	if event := text(trigger, "type"); event != "" && activity != activityClose {
		activity = activityUpdate
		if wizIs(event, "CREATED") {
			activity = activityCreate
		}
	}
	control, _ := obj(payload, "control")
	res, _ := obj(payload, "resource")
	loc := location{provider: text(res, "cloudPlatform"), region: text(res, "region"),
		accountUID: text(res, "subscriptionId"), accountName: text(res, "subscriptionName")}

	detectionFinding.put(ev, activity, "")
	putSeverity(ev, text(issue, "severity"))
	putFindingStatus(ev, status, "")
	ev.PutInt("time", rec.time)
	putMetadata(ev, rec, text(trigger, "type"), "", loc.provider != "")
	f := finding{uid: id, title: text(control, "name"), desc: text(control, "description"), kind: "Issue", created: text(issue, "created")}
	fi := f.put(ev)
	putRule(fi, text(control, "id"), text(control, "name"), "")
	ev.PutBool("is_alert", activity != activityClose)
	var resources pcommon.Slice
	// The template's resource.id is the provider's id, its type the
	// native type.
	appendResource(ev, &resources, resource{uid: text(res, "id"), name: text(res, "name"), typ: text(res, "type"), region: loc.region},
		loc.provider != "")
	putCloud(ev, &loc)
	return nil
}
