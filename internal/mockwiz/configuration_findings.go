// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

// configurationFindingCollection serves configurationFindings. Wiz's own
// cursors order by analysis time, which moves on every re-analysis; the
// mock orders by firstSeenAt, which never moves, so its keyset cursors stay
// valid while findings change. Neither is the time the receiver polls on.
var configurationFindingCollection = collection{
	logType: "Wiz.CloudConfigurationFinding", flag: "configuration-findings", defaultCount: 300,
	generate: (*generator).configurationFinding,
	scope:    "read:cloud_configuration", sortField: "firstSeenAt", cursorField: "FirstSeenAt",
	filters: configurationFindingFilters, projectIDs: "resource.projects.id", requireFirst: true,
	resultCap: func(o Options) int { return o.ConfigurationFindingResultCap },
}

// Without a status filter every status is returned, as for vulnerability
// findings.
var (
	configurationFindingFilters = map[string]filterField{
		"id":                oneOf("id"),
		"source":            oneOf("source"),
		"rule":              nested(configurationFindingRuleFilters),
		"resource":          nested(configurationFindingResourceFilters),
		"status":            oneOf("status"),
		"severity":          oneOf("severity"),
		"result":            oneOf("result"),
		"frameworkCategory": oneOf("securitySubCategories.category.id", "rule.securitySubCategories.category.id"),
		"securityFramework": oneOf("securitySubCategories.category.framework.id", "rule.securitySubCategories.category.framework.id"),
		"includeDeleted":    includeFlagged("deleted"),
		"updatedAt":         timeWindow("updatedAt"),
		"analyzedAt":        timeWindow("analyzedAt"),
		"firstSeenAt":       timeWindow("firstSeenAt"),
	}
	configurationFindingRuleFilters = map[string]filterField{
		"id":          oneOf("rule.id"),
		"name":        oneOf("rule.name"),
		"description": oneOf("rule.description"),
	}
	// The project filter sits on the resource: filterBy.resource.projectId.
	configurationFindingResourceFilters = map[string]filterField{
		"projectId":     oneOf("resource.projects.id"),
		"cloudPlatform": oneOf("resource.cloudPlatform"),
	}
)
