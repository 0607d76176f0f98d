// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

// detectionCollection serves detections (Wiz Defend's Detections API v2),
// newest createdAt first.
var detectionCollection = collection{
	logType: "Wiz.DefendDetection", flag: "detections", defaultCount: 150,
	generate: (*generator).detection,
	scope:    "read:detections", sortField: "createdAt", cursorField: "CreatedAt",
	filters: detectionFilters, projectIDs: "cloudAccounts.linkedProjects.id",
	// Sent any filter but no type, Wiz keeps only the detections that
	// generated a threat (Elastic's defend_v2 notes it and sends both
	// types): MATCH_ONLY ones vanish without an error.
	implied: map[string]any{"type": map[string]any{"equals": []any{"GENERATED_THREAT"}}},
}

// Detection filters wrap their values in {equals: [...]}, except the
// scalar issueId and projectId and the nested resource and matchedRule.
var (
	detectionFilters = map[string]filterField{
		"id":                                equals("id"),
		"issueId":                           oneOf("issue.id"),
		"type":                              equals("type"),
		"severity":                          equals("severity"),
		"origin":                            equals("origins"),
		"cloudPlatform":                     equals("cloudAccounts.cloudProvider"),
		"cloudAccountOrCloudOrganizationId": equals("cloudAccounts.id", "cloudAccounts.externalId", "cloudOrganizations.id", "cloudOrganizations.externalId"),
		"resource":                          nested(detectionResourceFilters),
		"matchedRule":                       nested(detectionMatchedRuleFilters),
		"matchedRuleName":                   equals("ruleMatch.rule.name"),
		"projectId":                         oneOf("cloudAccounts.linkedProjects.id"),
		"createdAt":                         timeWindow("createdAt"),
		"updatedAt":                         timeWindow("updatedAt"),
	}
	detectionResourceFilters    = map[string]filterField{"id": equals("resources.id", "primaryResource.id")}
	detectionMatchedRuleFilters = map[string]filterField{"id": oneOf("ruleMatch.rule.id")}
)
