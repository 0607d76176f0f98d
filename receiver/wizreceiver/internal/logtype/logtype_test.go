// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// filterJSON is the fixed filterBy a log type polls with, as sent.
func filterJSON(t *testing.T, lt *LogType, cfg Config, projectIDs ...string) string {
	t.Helper()
	raw, err := json.Marshal(lt.Poll(cfg, projectIDs).Filter)
	require.NoError(t, err)
	return string(raw)
}

func TestConfigurationFindingsPoll(t *testing.T) {
	cfg := ConfigurationFindings.NewConfig().(*ConfigurationFindingsConfig)
	assert.False(t, cfg.Enabled, "opt-in: existing service accounts lack the scope")
	require.NoError(t, ConfigurationFindings.Validate(cfg, nil))
	assert.JSONEq(t, `{"status":["OPEN","RESOLVED"]}`, filterJSON(t, &ConfigurationFindings, cfg), "every severity: none sent")
	assert.JSONEq(t, `{"status":["OPEN","RESOLVED"],"resource":{"projectId":["p1","p2"]}}`, filterJSON(t, &ConfigurationFindings, cfg, "p1", "p2"),
		"the project filter is nested")

	cfg.Severities, cfg.TimeField = []string{"HIGH", "CRITICAL"}, "analyzed_at"
	assert.JSONEq(t, `{"status":["OPEN","RESOLVED"],"severity":["HIGH","CRITICAL"]}`, filterJSON(t, &ConfigurationFindings, cfg))
	poll := ConfigurationFindings.Poll(cfg, nil)
	assert.Equal(t, TimeField{Option: "analyzed_at", Filter: "analyzedAt", Node: "analyzedAt"}, poll.TimeField)
}

func TestDetectionsPoll(t *testing.T) {
	cfg := Detections.NewConfig().(*DetectionsConfig)
	assert.False(t, cfg.Enabled, "opt-in: existing service accounts lack the scope")
	require.NoError(t, Detections.Validate(cfg, nil))
	// Both types, always: with any filter and no type, Wiz keeps only
	// GENERATED_THREAT.
	assert.JSONEq(t, `{"type":{"equals":["GENERATED_THREAT","MATCH_ONLY"]}}`, filterJSON(t, &Detections, cfg))
	assert.JSONEq(t, `{"type":{"equals":["GENERATED_THREAT","MATCH_ONLY"]},"projectId":"p1"}`, filterJSON(t, &Detections, cfg, "p1"),
		"Wiz's detection filter takes one project id")
	assert.JSONEq(t, `{"type":{"equals":["GENERATED_THREAT","MATCH_ONLY"]},"projectId":["p1","p2"]}`, filterJSON(t, &Detections, cfg, "p1", "p2"),
		"several are sent as they are, for Wiz to refuse")

	cfg.Types, cfg.Severities, cfg.TimeField = []string{"MATCH_ONLY"}, []string{"CRITICAL"}, "created_at"
	assert.JSONEq(t, `{"type":{"equals":["MATCH_ONLY"]},"severity":{"equals":["CRITICAL"]}}`, filterJSON(t, &Detections, cfg))
	assert.Equal(t, "createdAt", Detections.Poll(cfg, nil).TimeField.Node)
}

// Every error names its option by its full key, one per line, however many
// options are wrong.
func TestValidateNamesEveryOption(t *testing.T) {
	cfg := &DetectionsConfig{TimeFieldOption: TimeFieldOption{TimeField: "started_at"}, Types: []string{"THREAT"}, Severities: []string{"SEVERE"}}
	err := Detections.Validate(cfg, nil)
	require.Error(t, err)
	assert.Equal(t, `detections.time_field "started_at" is not supported: use updated_at or created_at
detections.types: "THREAT" is not a detection type: use GENERATED_THREAT, MATCH_ONLY
detections.severities: "SEVERE" is not a severity: use INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL`, err.Error())

	findings := &ConfigurationFindingsConfig{TimeFieldOption: TimeFieldOption{TimeField: "updated_at"}, Statuses: []string{}, Severities: []string{"INFORMATIONAL"}}
	assert.EqualError(t, ConfigurationFindings.Validate(findings, nil), `configuration_findings.statuses must not be empty: list some of OPEN, IN_PROGRESS, RESOLVED, REJECTED, or remove it for the default
configuration_findings.severities: "INFORMATIONAL" is not a severity: use NONE, LOW, MEDIUM, HIGH, CRITICAL`)
	assert.EqualError(t, Detections.Validate(&DetectionsConfig{TimeFieldOption: TimeFieldOption{TimeField: "updated_at"}}, nil),
		"detections.types must not be empty: list some of GENERATED_THREAT, MATCH_ONLY, or remove it for the default")
}
