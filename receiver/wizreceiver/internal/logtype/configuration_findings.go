// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"errors"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

var (
	// configurationFindingStatuses are the statuses Wiz knows for a
	// configuration finding.
	configurationFindingStatuses = []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}
	// configurationFindingSeverities: NONE rates informational rules; no
	// INFORMATIONAL value has been seen on configuration findings.
	configurationFindingSeverities = []string{"NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
)

// ConfigurationFindings polls configurationFindings: one record per rule
// evaluated on one resource, PASS results included. The default, updatedAt
// (Wiz's tutorial recommends it, and Elastic moved to it), moves when the
// finding or its resource changes: a new finding, a status change
// (resolved, reopened, rejected), a severity, ignore-rule or framework
// mapping change, the resource's deletion. analyzedAt moves on every
// re-analysis, so it delivers unchanged findings again every scan cycle;
// firstSeenAt moves only for new findings. Wiz serves at most 10,000
// findings per query and says so in maxCountReached. Off by default:
// existing service accounts lack the scope.
var ConfigurationFindings = LogType{
	Key:       "configuration_findings",
	Name:      "Wiz.CloudConfigurationFinding",
	EventName: "wiz.configuration_finding",
	Noun:      "cloud configuration findings",
	Scope:     "read:cloud_configuration",
	Query: wiz.Connection{
		Operation: "CloudConfigurationFindingsPage", ResponseKey: "configurationFindings", Query: configurationFindingsQuery,
	},
	// The node field is also the filterBy key.
	TimeFields: []TimeField{
		{Option: "updated_at", Filter: "updatedAt", Node: "updatedAt"},
		{Option: "analyzed_at", Filter: "analyzedAt", Node: "analyzedAt"},
		{Option: "first_seen_at", Filter: "firstSeenAt", Node: "firstSeenAt"},
	},
	// Nested: a filter spelled like the other log types' returns nothing
	// at all rather than an error.
	ProjectFilter: "resource.projectId",
	ResultCap:     10000,
	// Snapshots are partitioned on when Wiz first saw a finding, which
	// never changes.
	Snapshots: &Snapshots{Partition: TimeField{Filter: "firstSeenAt", Node: "firstSeenAt"}, Statuses: configurationFindingStatuses},
	NewConfig: func() Config {
		return &ConfigurationFindingsConfig{
			Snapshot:        defaultSnapshot(),
			TimeFieldOption: TimeFieldOption{TimeField: "updated_at"},
			// Wiz's tutorial: new and resolved findings.
			Statuses: []string{"OPEN", "RESOLVED"},
		}
	},
	newMapper: func(names mapping.Names, tf TimeField) mapping.Mapper {
		return mapping.ConfigurationFinding{Names: names, TimeField: tf.Node}
	},
}

// configurationFindingsQuery selects a cloud configuration finding with its
// rule, resource, account, projects, framework mappings, ignore rules and
// evidence, and the connection's maxCountReached, Wiz's word on whether a
// walk hit its result cap. The rule's opaPolicy, a Rego program peers
// rarely read, is left out.
const configurationFindingsQuery = `query CloudConfigurationFindingsPage($first: Int, $after: String, $filterBy: ConfigurationFindingFilters) {
  configurationFindings(first: $first, after: $after, filterBy: $filterBy) {
    nodes {
      id name targetExternalId targetObjectProviderUniqueId deleted
      firstSeenAt analyzedAt updatedAt statusChangedAt
      severity result status resolutionReason remediation source
      note { text }
      resource {
        id providerId name nativeType type region cloudPlatform status
        subscription { id name externalId cloudProvider }
        projects { id name slug businessUnit riskProfile { businessImpact } }
        tags { key value }
      }
      subscription { id name externalId cloudProvider }
      rule {
        id shortId graphId name description remediationInstructions serviceType
        functionAsControl builtin risks threats
        tags { key value }
        ` + securitySubCategoryFields + `
      }
      ` + securitySubCategoryFields + `
      ignoreRules { id name enabled expiredAt }
      evidence { currentValue expectedValue configurationPath cloudConfigurationLink }
    }
    pageInfo { hasNextPage endCursor }
    maxCountReached
  }
}`

// ConfigurationFindingsConfig configures the Wiz.CloudConfigurationFinding
// log type.
type ConfigurationFindingsConfig struct {
	SectionSettings `mapstructure:",squash"`
	TimeFieldOption `mapstructure:",squash"`
	// Statuses restricts findings to these statuses.
	Statuses []string `mapstructure:"statuses"`
	// Severities restricts findings to these severities; empty, every
	// severity is read and no severity filter is sent.
	Severities []string `mapstructure:"severities"`
	// Snapshot takes posture snapshots: every finding in its statuses,
	// read whole every interval.
	Snapshot SnapshotConfig `mapstructure:"snapshot"`
}

func (c *ConfigurationFindingsConfig) snapshot() *SnapshotConfig { return &c.Snapshot }

// Filter selects the statuses, and the severities when any are listed.
func (c *ConfigurationFindingsConfig) Filter() map[string]any {
	filter := map[string]any{"status": c.Statuses}
	if len(c.Severities) > 0 {
		filter["severity"] = c.Severities
	}
	return filter
}

// Validate checks the statuses and severities.
func (c *ConfigurationFindingsConfig) Validate() error {
	return errors.Join(
		validateList("statuses", "status", c.Statuses, configurationFindingStatuses),
		validateValues("severities", "severity", c.Severities, configurationFindingSeverities),
	)
}
