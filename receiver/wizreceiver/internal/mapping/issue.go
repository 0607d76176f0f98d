// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Issue maps issuesV2 nodes. TimeField is the node field the stream polls
// on: statusChangedAt, updatedAt or createdAt.
type Issue struct {
	Names     Names
	TimeField string
}

// issueFallbackTime dates a node that lacks the polled time field: a
// never-changed issue may carry no statusChangedAt, as it changed status
// when it was created.
const issueFallbackTime = "createdAt"

// KeyFields implements Mapper.
func (i Issue) KeyFields() []string { return []string{"id", i.TimeField, issueFallbackTime} }

// issueAttrs is the most attributes Issue sets (TestAttributeCapacity).
const issueAttrs = 25

// Map implements Mapper.
func (i Issue) Map(node []byte, lr plog.LogRecord) (Mapped, error) {
	res, m, err := common(node, lr, i.Names, i.TimeField, issueFallbackTime, issueAttrs)
	if err != nil {
		return Mapped{}, err
	}
	severity := str(m, "severity")
	attrs := versioned(lr, res.Key, severity)
	putStr(attrs, "wiz.issue.id", res.Key.ID)
	putStr(attrs, "wiz.issue.status", str(m, "status"))
	putStr(attrs, "wiz.issue.severity", severity)
	putStr(attrs, "wiz.issue.type", str(m, "type"))
	putStr(attrs, "wiz.issue.created_at", str(m, "createdAt"))
	putStr(attrs, "wiz.issue.updated_at", str(m, "updatedAt"))
	putStr(attrs, "wiz.issue.status_changed_at", str(m, "statusChangedAt"))
	putStr(attrs, "wiz.issue.due_at", str(m, "dueAt"))
	putStr(attrs, "wiz.issue.resolved_at", str(m, "resolvedAt"))
	putStr(attrs, "wiz.issue.resolution_reason", str(m, "resolutionReason"))
	putProjectIDs(attrs, m)

	if rule, ok := issueRule(m); ok {
		putStr(attrs, "security_rule.uuid", str(rule, "id"))
		putStr(attrs, "security_rule.name", str(rule, "name"))
		putStr(attrs, "security_rule.category", str(rule, "__typename"))
	}
	if entity, ok := obj(m, "entitySnapshot"); ok {
		putStr(attrs, "wiz.issue.entity.id", str(entity, "id"))
		putStr(attrs, "wiz.issue.entity.type", str(entity, "type"))
		putStr(attrs, "wiz.issue.entity.name", str(entity, "name"))
		putStr(attrs, "wiz.issue.entity.native_type", str(entity, "nativeType"))
		putCloud(attrs, cloudLocation{
			platform: str(entity, "cloudPlatform"), region: str(entity, "region"),
			accountID: str(entity, "subscriptionExternalId"), resourceID: firstStr(entity, "providerId", "externalId"),
		})
	}
	return res, nil
}

// issueRule returns the issue's rule or control: sourceRule, or the first of
// sourceRules where Wiz has moved to the list.
func issueRule(m pcommon.Map) (pcommon.Map, bool) {
	if rule, ok := obj(m, "sourceRule"); ok {
		return rule, true
	}
	rules, ok := list(m, "sourceRules")
	if !ok || rules.Len() == 0 || rules.At(0).Type() != pcommon.ValueTypeMap {
		return pcommon.Map{}, false
	}
	return rules.At(0).Map(), true
}
