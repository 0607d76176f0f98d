// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// ConfigurationFinding maps configurationFindings nodes: one rule evaluated
// on one resource. TimeField is the node field the stream polls on:
// updatedAt, analyzedAt or firstSeenAt.
type ConfigurationFinding struct {
	Names     Names
	TimeField string
}

// configurationFindingFallbackTime dates a node that lacks the polled time
// field: when it was first seen.
const configurationFindingFallbackTime = "firstSeenAt"

// KeyFields implements Mapper.
func (f ConfigurationFinding) KeyFields() []string {
	return []string{"id", f.TimeField, configurationFindingFallbackTime}
}

// configurationFindingAttrs is the most attributes ConfigurationFinding
// sets (TestAttributeCapacity).
const configurationFindingAttrs = 25

// Map implements Mapper.
func (f ConfigurationFinding) Map(node []byte, lr plog.LogRecord) (Mapped, error) {
	// firstSeenAt is the one time every finding has.
	res, m, err := common(node, lr, f.Names, f.TimeField, configurationFindingFallbackTime, configurationFindingAttrs)
	if err != nil {
		return Mapped{}, err
	}
	severity := str(m, "severity")
	attrs := versioned(lr, res.Key, severity)
	putStr(attrs, "wiz.configuration_finding.id", res.Key.ID)
	putStr(attrs, "wiz.configuration_finding.status", str(m, "status"))
	putStr(attrs, "wiz.configuration_finding.severity", severity)
	putStr(attrs, "wiz.configuration_finding.result", str(m, "result"))
	putStr(attrs, "wiz.configuration_finding.first_seen_at", str(m, "firstSeenAt"))
	putStr(attrs, "wiz.configuration_finding.analyzed_at", str(m, "analyzedAt"))
	putStr(attrs, "wiz.configuration_finding.updated_at", str(m, "updatedAt"))
	putStr(attrs, "wiz.configuration_finding.status_changed_at", str(m, "statusChangedAt"))
	putStr(attrs, "wiz.configuration_finding.resolution_reason", str(m, "resolutionReason"))

	mapped := []pcommon.Map{m}
	if rule, ok := obj(m, "rule"); ok {
		putStr(attrs, "security_rule.uuid", str(rule, "id"))
		putStr(attrs, "security_rule.name", str(rule, "name"))
		// The service the rule checks, as Wiz classifies it: AWS,
		// Kubernetes, ….
		putStr(attrs, "security_rule.category", str(rule, "serviceType"))
		putStr(attrs, "wiz.configuration_finding.rule.short_id", str(rule, "shortId"))
		mapped = append(mapped, rule)
	}
	var frameworks []string
	for _, e := range frameworkEntries(mapped...) {
		frameworks = append(frameworks, e.framework)
	}
	putDistinct(attrs, "wiz.configuration_finding.frameworks", frameworks)

	if resource, ok := obj(m, "resource"); ok {
		putAsset(attrs, resource)
		putProjectIDs(attrs, resource)
		loc := cloudLocation{platform: str(resource, "cloudPlatform"), region: str(resource, "region"), resourceID: str(resource, "providerId")}
		// The account: the resource's, else the finding's own.
		account, ok := obj(resource, "subscription")
		if !ok {
			account, ok = obj(m, "subscription")
		}
		if ok {
			loc.provider, loc.accountID = str(account, "cloudProvider"), str(account, "externalId")
		}
		putCloud(attrs, loc)
	}
	return res, nil
}
