// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"errors"
	"slices"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

var (
	// detectionTypes: GENERATED_THREAT detections produced or joined a
	// threat, MATCH_ONLY ones matched a rule alone.
	detectionTypes      = []string{"GENERATED_THREAT", "MATCH_ONLY"}
	detectionSeverities = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
)

// Detections polls Wiz Defend's detections (Detections API v2). The
// default, updatedAt, moves when a detection changes after it was created
// (new triggering events); createdAt reports each detection once, as it
// was first seen. Off by default: existing service accounts lack the
// scope.
var Detections = LogType{
	Key:       "detections",
	Name:      "Wiz.DefendDetection",
	EventName: "wiz.detection",
	Noun:      "detections",
	Scope:     "read:detections",
	Query:     wiz.Connection{Operation: "DetectionsTableV2", ResponseKey: "detections", Query: detectionsQuery},
	// The node field is also the filterBy key.
	TimeFields: []TimeField{
		{Option: "updated_at", Filter: "updatedAt", Node: "updatedAt"},
		{Option: "created_at", Filter: "createdAt", Node: "createdAt"},
	},
	ProjectFilter:    "projectId",
	ProjectFilterOne: true,
	NewConfig: func() Config {
		return &DetectionsConfig{
			TimeFieldOption: TimeFieldOption{TimeField: "updated_at"},
			Types:           slices.Clone(detectionTypes),
		}
	},
	newMapper: func(names mapping.Names, tf TimeField) mapping.Mapper {
		return mapping.Detection{Names: names, TimeField: tf.Node}
	},
}

// detectionsQuery selects a detection with its threat, matched rule and its
// MITRE mapping, actors, resources, accounts and the newest ten triggering
// events with the count of all of them. totalCount is the name Sekoia and
// Cribl read; Elastic reads totalCountV2, and which one Wiz keeps is not
// known.
const detectionsQuery = `query DetectionsTableV2($first: Int, $after: String, $filterBy: DetectionFilters) {
  detections(first: $first, after: $after, filterBy: $filterBy) {
    nodes {
      id type origins severity description(format: MARKDOWN)
      createdAt updatedAt startedAt endedAt
      issue { id url dueAt resolutionReason projects { id name } notes { text } }
      ruleMatch {
        rule {
          id name builtin sourceType origins
          ` + securitySubCategoryFields + `
        }
      }
      actors { ` + detectionActorFields + ` }
      primaryActor { ` + detectionActorFields + ` }
      resources { ` + detectionResourceFields + ` }
      primaryResource { ` + detectionResourceFields + ` }
      cloudAccounts { id name externalId cloudProvider linkedProjects { id name } }
      cloudOrganizations { id name externalId cloudProvider }
      triggeringEvents(first: 10) {
        totalCount
        nodes {
          ... on CloudEvent {
            id name description origin source category status cloudPlatform cloudProviderUrl timestamp
            actor { id name type }
            actorIP
            actorIPMeta {
              country autonomousSystemNumber autonomousSystemOrganization reputation
              reputationDescription reputationSource relatedAttackGroupNames isForeign customIPRanges
            }
            resources { id name type }
            rawAuditLogRecord commandLine
            runtimeProgram { name }
            parentRuntimeProgram { name }
            extraDetails {
              ... on CloudEventRuntimeDetails {
                processTree {
                  command path hash size executionTime runtimeProgramId userId userName
                  container { id externalId name image { id externalId } }
                }
              }
            }
          }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// detectionActorFields selects an actor of a detection: an IP address, a
// user, a service account and what it acted as, or Wiz's UNKNOWN.
const detectionActorFields = `id name externalId providerUniqueId type nativeType email userAgent MFA federated
        friendlyName accessKeyId hasHighPrivileges hasAdminPrivileges hasHighKubernetesPrivileges
        hasAdminKubernetesPrivileges inactiveInLast90Days
        actingAs { id name type nativeType }
        cloudAccount { id name externalId cloudProvider }`

// detectionResourceFields selects a resource of a detection.
const detectionResourceFields = `id name externalId providerUniqueId type nativeType region
        cloudAccount { id name externalId cloudProvider }
        kubernetesNamespace { id providerUniqueId name }
        kubernetesCluster { id providerUniqueId name }`

// DetectionsConfig configures the Wiz.DefendDetection log type.
type DetectionsConfig struct {
	SectionSettings `mapstructure:",squash"`
	TimeFieldOption `mapstructure:",squash"`
	// Types restricts detections to these types.
	Types []string `mapstructure:"types"`
	// Severities restricts detections to these severities; empty, every
	// severity is read and no severity filter is sent.
	Severities []string `mapstructure:"severities"`
}

// Filter selects the types, always: sent any filter without a type, Wiz
// keeps only GENERATED_THREAT detections and drops MATCH_ONLY ones without
// a word. Detection filters wrap their values in {equals: [...]}.
func (c *DetectionsConfig) Filter() map[string]any {
	filter := map[string]any{"type": map[string]any{"equals": c.Types}}
	if len(c.Severities) > 0 {
		filter["severity"] = map[string]any{"equals": c.Severities}
	}
	return filter
}

// Validate checks the types and severities.
func (c *DetectionsConfig) Validate() error {
	return errors.Join(
		validateList("types", "detection type", c.Types, detectionTypes),
		validateValues("severities", "severity", c.Severities, detectionSeverities),
	)
}
