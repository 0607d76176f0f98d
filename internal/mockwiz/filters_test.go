// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

func TestFilters(t *testing.T) {
	e := newEnv(t, Options{})
	snapshot := e.srv.Snapshot()
	audit, issues, findings := snapshot[auditCollection.logType], snapshot[issueCollection.logType], snapshot[findingCollection.logType]
	walkAudit := func(filter map[string]any) []string {
		return e.walk(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", 500, filter, nil)
	}

	t.Run("exclusive bounds", func(t *testing.T) {
		target := audit[10]
		ts := target["timestamp"].(string)
		at, err := time.Parse(time.RFC3339Nano, ts)
		require.NoError(t, err)
		id := target["id"].(string)
		assert.NotContains(t, walkAudit(map[string]any{"timestamp": map[string]any{"after": ts}}), id)
		assert.NotContains(t, walkAudit(map[string]any{"timestamp": map[string]any{"before": ts}}), id)
		assert.Equal(t, []string{id}, walkAudit(map[string]any{"timestamp": map[string]any{
			"after": formatTime(at.Add(-time.Microsecond)), "before": formatTime(at.Add(time.Microsecond)),
		}}))
		want := ids(audit, func(n map[string]any) bool { return n["timestamp"].(string) > ts })
		assert.ElementsMatch(t, want, walkAudit(map[string]any{"timestamp": map[string]any{"after": ts}}))
	})
	t.Run("audit status, action, userType", func(t *testing.T) {
		assert.ElementsMatch(t, ids(audit, func(n map[string]any) bool { return n["status"] == "FAILED" || n["status"] == "INVALID" }),
			walkAudit(map[string]any{"status": []any{"FAILED", "INVALID"}}))
		assert.ElementsMatch(t, ids(audit, func(n map[string]any) bool { return n["action"] == "Login" }),
			walkAudit(map[string]any{"action": "login"}))
		sa := ids(audit, func(n map[string]any) bool { return n["serviceAccount"] != nil })
		require.NotEmpty(t, sa)
		assert.ElementsMatch(t, sa, walkAudit(map[string]any{"userType": []any{"SERVICE_ACCOUNT"}}))
	})
	t.Run("issues", func(t *testing.T) {
		project := e.srv.opts.Dataset.Projects[1]
		inProject := func(n map[string]any) bool {
			return slices.ContainsFunc(n["projects"].([]any), func(p any) bool { return p.(map[string]any)["id"] == project })
		}
		filter := map[string]any{"project": project, "status": []any{"OPEN", "RESOLVED"}, "severity": []any{"HIGH", "CRITICAL", "MEDIUM"}}
		want := ids(issues, func(n map[string]any) bool {
			return inProject(n) && (n["status"] == "OPEN" || n["status"] == "RESOLVED") && n["severity"] != "LOW" && n["severity"] != "INFORMATIONAL"
		})
		require.NotEmpty(t, want)
		assert.ElementsMatch(t, want, e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 50, filter, nil))

		ts := issues[3]["statusChangedAt"].(string)
		assert.ElementsMatch(t, ids(issues, func(n map[string]any) bool { return n["statusChangedAt"].(string) > ts }),
			e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 50, map[string]any{"statusChangedAt": map[string]any{"after": ts}}, nil))
		assert.ElementsMatch(t, ids(issues, func(n map[string]any) bool { return n["type"] == "THREAT_DETECTION" }),
			e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 50, map[string]any{"type": []any{"THREAT_DETECTION"}}, nil))
	})
	t.Run("findings", func(t *testing.T) {
		all := e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 500, nil, nil)
		assert.Len(t, all, len(findings), "no status filter returns every status")
		assert.ElementsMatch(t, ids(findings, func(n map[string]any) bool { return n["status"] == "RESOLVED" }),
			e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 500, map[string]any{"status": []any{"RESOLVED"}}, nil))
		ts := findings[5]["firstDetectedAt"].(string)
		assert.ElementsMatch(t, ids(findings, func(n map[string]any) bool { return n["firstDetectedAt"].(string) < ts }),
			e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 500, map[string]any{"firstSeenAt": map[string]any{"before": ts}}, nil))
		project := e.srv.opts.Dataset.Projects[0]
		got := e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 500, map[string]any{"projectId": []any{project}}, nil)
		assert.ElementsMatch(t, ids(findings, func(n map[string]any) bool {
			return slices.ContainsFunc(n["projects"].([]any), func(p any) bool { return p.(map[string]any)["id"] == project })
		}), got)
	})
	t.Run("bad DateTime", func(t *testing.T) {
		code, _ := firstError(t, e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 5, "filterBy": map[string]any{"timestamp": map[string]any{"after": "yesterday"}}}))
		assert.Equal(t, "BAD_USER_INPUT", code)
	})
}

// Every filter the schema declares must be implemented.
func TestSchemaFiltersImplemented(t *testing.T) {
	for input, impl := range map[string]map[string]filterField{
		"AuditLogEntryFilters": auditFilters, "IssueFilters": issueFilters, "VulnerabilityFindingFilters": findingFilters,
		"ConfigurationFindingFilters":         configurationFindingFilters,
		"ConfigurationFindingRuleFilters":     configurationFindingRuleFilters,
		"ConfigurationFindingResourceFilters": configurationFindingResourceFilters,
		"DetectionFilters":                    detectionFilters,
		"DetectionResourceFilter":             detectionResourceFilters,
		"DetectionMatchedRuleFilter":          detectionMatchedRuleFilters,
	} {
		var declared []string
		for _, f := range schema.Types[input].Fields {
			declared = append(declared, f.Name)
		}
		var implemented []string
		for name := range impl {
			implemented = append(implemented, name)
		}
		assert.ElementsMatch(t, declared, implemented, input)
	}
}
