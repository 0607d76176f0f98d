// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Detection maps detections nodes (Wiz Defend's Detections API v2).
// TimeField is the node field the stream polls on: updatedAt or createdAt.
// Wiz writes up to nine fractional digits; the key keeps every one.
type Detection struct {
	Names     Names
	TimeField string
}

// detectionFallbackTime dates a node that lacks the polled time field: a
// detection never updated is dated by its creation.
const detectionFallbackTime = "createdAt"

// KeyFields implements Mapper.
func (d Detection) KeyFields() []string { return []string{"id", d.TimeField, detectionFallbackTime} }

// detectionAttrs is the most attributes Detection sets (TestAttributeCapacity).
const detectionAttrs = 34

// Map implements Mapper.
func (d Detection) Map(node []byte, lr plog.LogRecord) (Mapped, error) {
	res, m, err := common(node, lr, d.Names, d.TimeField, detectionFallbackTime, detectionAttrs)
	if err != nil {
		return Mapped{}, err
	}
	severity := str(m, "severity")
	attrs := versioned(lr, res.Key, severity)
	putStr(attrs, "wiz.detection.id", res.Key.ID)
	putStr(attrs, "wiz.detection.type", str(m, "type"))
	putStr(attrs, "wiz.detection.severity", severity)
	if origins, ok := list(m, "origins"); ok {
		putStrings(attrs, "wiz.detection.origins", origins, strValue)
	}
	putStr(attrs, "wiz.detection.created_at", str(m, "createdAt"))
	putStr(attrs, "wiz.detection.updated_at", str(m, "updatedAt"))
	putStr(attrs, "wiz.detection.started_at", str(m, "startedAt"))
	putStr(attrs, "wiz.detection.ended_at", str(m, "endedAt"))
	if threat, ok := obj(m, "issue"); ok {
		putStr(attrs, "wiz.detection.threat.id", str(threat, "id"))
		putStr(attrs, "wiz.detection.threat.url", str(threat, "url"))
	}
	if rule, ok := ruleMatched(m); ok {
		putStr(attrs, "security_rule.uuid", str(rule, "id"))
		putStr(attrs, "security_rule.name", str(rule, "name"))
		// Where the rule's events come from: WIZ_SENSOR, GUARD_DUTY, ….
		putStr(attrs, "security_rule.category", str(rule, "sourceType"))
		putMITRE(attrs, rule)
	}
	if actor, ok := obj(m, "primaryActor"); ok {
		// Wiz's UNKNOWN actor has the id "", which is left out.
		putStr(attrs, "wiz.detection.actor.id", str(actor, "id"))
		putStr(attrs, "wiz.detection.actor.name", str(actor, "name"))
		putStr(attrs, "wiz.detection.actor.type", str(actor, "type"))
		putStr(attrs, "user.email", str(actor, "email"))
		putStr(attrs, "user_agent.original", str(actor, "userAgent"))
	}
	if events, ok := obj(m, "triggeringEvents"); ok {
		if v, ok := events.Get("totalCount"); ok && v.Type() == pcommon.ValueTypeInt {
			attrs.PutInt("wiz.detection.triggering_events.count", v.Int())
		}
	}
	putStr(attrs, "source.address", actorAddress(m))
	putDetectionProjects(attrs, m)
	if resource, ok := obj(m, "primaryResource"); ok {
		putAsset(attrs, resource)
		loc := cloudLocation{region: str(resource, "region"), resourceID: firstStr(resource, "providerUniqueId", "externalId")}
		// A detection names no platform apart from its account's provider.
		if account, ok := detectionAccount(m, resource); ok {
			loc.platform, loc.accountID = str(account, "cloudProvider"), str(account, "externalId")
		}
		putCloud(attrs, loc)
	}
	return res, nil
}

// ruleMatched returns the rule the detection matched.
func ruleMatched(m pcommon.Map) (pcommon.Map, bool) {
	match, ok := obj(m, "ruleMatch")
	if !ok {
		return pcommon.Map{}, false
	}
	return obj(match, "rule")
}

// putMITRE sets the MITRE ATT&CK tactics (the categories), techniques (the
// sub-categories' titles) and technique ids the rule maps onto.
// Semantic conventions have no MITRE attributes yet; ECS calls them
// threat.tactic.name, threat.technique.name and threat.technique.id.
func putMITRE(attrs pcommon.Map, rule pcommon.Map) {
	var tactics, techniques, ids []string
	for _, e := range frameworkEntries(rule) {
		if isMITRE(e.framework) {
			tactics, techniques, ids = append(tactics, e.category), append(techniques, e.title), append(ids, e.externalID)
		}
	}
	putDistinct(attrs, "wiz.detection.mitre.tactics", tactics)
	putDistinct(attrs, "wiz.detection.mitre.techniques", techniques)
	putDistinct(attrs, "wiz.detection.mitre.technique_ids", ids)
}

// actorAddress is the IP address the detected activity came from: the
// first triggering event's actorIP, else the primary actor's when it is a
// network address (Wiz names such an actor by its address).
func actorAddress(m pcommon.Map) string {
	if events, ok := obj(m, "triggeringEvents"); ok {
		if nodes, ok := list(events, "nodes"); ok {
			for _, e := range nodes.All() {
				if e.Type() == pcommon.ValueTypeMap {
					if ip := str(e.Map(), "actorIP"); ip != "" {
						return ip
					}
				}
			}
		}
	}
	if actor, ok := obj(m, "primaryActor"); ok && str(actor, "type") == "NETWORK_ADDRESS" {
		return str(actor, "externalId")
	}
	return ""
}

// detectionAccount is the cloud account of the detection's primary
// resource, else its first account.
func detectionAccount(m, resource pcommon.Map) (pcommon.Map, bool) {
	if account, ok := obj(resource, "cloudAccount"); ok {
		return account, true
	}
	accounts, ok := list(m, "cloudAccounts")
	if !ok || accounts.Len() == 0 || accounts.At(0).Type() != pcommon.ValueTypeMap {
		return pcommon.Map{}, false
	}
	return accounts.At(0).Map(), true
}

// putDetectionProjects sets wiz.project.ids from the projects its cloud
// accounts are linked to.
func putDetectionProjects(attrs pcommon.Map, m pcommon.Map) {
	accounts, ok := list(m, "cloudAccounts")
	if !ok {
		return
	}
	var ids []string
	for _, a := range accounts.All() {
		if a.Type() != pcommon.ValueTypeMap {
			continue
		}
		projects, ok := list(a.Map(), "linkedProjects")
		if !ok {
			continue
		}
		for _, p := range projects.All() {
			if p.Type() == pcommon.ValueTypeMap {
				ids = append(ids, str(p.Map(), "id"))
			}
		}
	}
	putDistinct(attrs, AttrProjects, ids)
}
