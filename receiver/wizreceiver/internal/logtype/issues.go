// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// Issues polls issuesV2. The default, statusChangedAt (Wiz's delta-pull
// tutorial recommends it), moves on every status change (new, resolved,
// reopened, rejected); updatedAt also moves on note and ticket changes, but
// no public client filters issues on it, so it is the less proven choice;
// createdAt would miss all but the first.
var Issues = LogType{
	Key:       "issues",
	Name:      "Wiz.Issues",
	EventName: "wiz.issue",
	Noun:      "issues",
	Scope:     "read:issues",
	// issuesV2 is aliased to "issues", as Wiz's own examples do; the
	// unversioned root field is deprecated.
	Query: wiz.Connection{Operation: "IssuesTable", ResponseKey: "issues", Query: issuesQuery},
	// The node field is also the filterBy key.
	TimeFields: []TimeField{
		{Option: "status_changed_at", Filter: "statusChangedAt", Node: "statusChangedAt"},
		{Option: "updated_at", Filter: "updatedAt", Node: "updatedAt"},
		{Option: "created_at", Filter: "createdAt", Node: "createdAt"},
	},
	ProjectFilter: "project",
	NewConfig: func() Config {
		return &IssuesConfig{SectionSettings: SectionSettings{Enabled: true}, TimeFieldOption: TimeFieldOption{TimeField: "status_changed_at"}}
	},
	newMapper: func(names mapping.Names, tf TimeField) mapping.Mapper {
		return mapping.Issue{Names: names, TimeField: tf.Node}
	},
}

// issuesQuery selects an issue with its rule, resource snapshot, projects,
// tickets and notes.
const issuesQuery = `query IssuesTable($first: Int, $after: String, $filterBy: IssueFilters) {
  issues: issuesV2(first: $first, after: $after, filterBy: $filterBy) {
    nodes {
      id
      sourceRule { ` + sourceRuleFields + ` }
      sourceRules { ` + sourceRuleFields + ` }
      createdAt updatedAt dueAt resolvedAt statusChangedAt
      type status severity resolutionReason
      projects { id name slug businessUnit riskProfile { businessImpact } }
      entitySnapshot {
        id type nativeType name status cloudPlatform cloudProviderURL providerId region
        resourceGroupExternalId subscriptionExternalId subscriptionName subscriptionTags tags
        externalId createdAt
      }
      serviceTickets { externalId name url }
      notes { id createdAt updatedAt text user { name email } serviceAccount { name } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// sourceRuleFields is the selection of the IssueSourceRule union. The three
// members declare description with different nullability, so each is aliased.
const sourceRuleFields = `__typename
      ... on Control {
        id name controlDescription: description resolutionRecommendation
        securitySubCategories { title category { name framework { name } } }
        risks
      }
      ... on CloudEventRule {
        id name cloudEventRuleDescription: description sourceType type
        securitySubCategories { title category { name framework { name } } }
        risks
      }
      ... on CloudConfigurationRule {
        id name cloudConfigurationRuleDescription: description remediationInstructions serviceType
        securitySubCategories { title category { name framework { name } } }
        risks
      }`

// IssuesConfig configures the Wiz.Issues log type.
type IssuesConfig struct {
	SectionSettings `mapstructure:",squash"`
	TimeFieldOption `mapstructure:",squash"`
}
