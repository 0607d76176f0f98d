// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import "go.opentelemetry.io/collector/pdata/pcommon"

// DetectionAttributes reads a Wiz.Detections payload (Wiz Defend): the
// threat detection rule, the primary resource and the first triggering
// event's actor address.
func DetectionAttributes(payload, attrs pcommon.Map) {
	putStr(attrs, "wiz.detection.id", text(payload, "id"))
	putStr(attrs, "wiz.detection.threat.id", text(payload, "threatId"))
	// tdrSource is the rule's source type (WIZ_SENSOR, GUARD_DUTY, …): a
	// polled detection's ruleMatch.rule.sourceType.
	putStr(attrs, "security_rule.category", text(payload, "tdrSource"))
	putStr(attrs, "wiz.detection.severity", text(payload, "severity"))
	// tdrId is the rule's id and title its name.
	putStr(attrs, "security_rule.uuid", text(payload, "tdrId"))
	putStr(attrs, "security_rule.name", text(payload, "title"))
	if resource, ok := obj(payload, "primaryResource"); ok {
		resourceID := text(resource, "providerUniqueId")
		if resourceID == "" {
			resourceID = text(resource, "externalId")
		}
		putCloud(attrs, cloudLocation{platform: text(resource, "cloudAccount.cloudPlatform"), region: text(resource, "region"),
			accountID: text(resource, "cloudAccount.externalId"), resourceID: resourceID})
	}
	if event, ok := firstTriggeringEvent(payload); ok {
		putStr(attrs, "source.address", text(event, "actorIP"))
	}
}

// firstTriggeringEvent is the first of triggeringEvents, or the single
// triggeringEvent some deliveries carry instead.
func firstTriggeringEvent(payload pcommon.Map) (pcommon.Map, bool) {
	if events, ok := list(payload, "triggeringEvents"); ok && events.Len() > 0 && events.At(0).Type() == pcommon.ValueTypeMap {
		return events.At(0).Map(), true
	}
	return obj(payload, "triggeringEvent")
}
