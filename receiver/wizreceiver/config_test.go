// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	return loadConfigFrom(t, "config.yaml", name)
}

// loadConfigFrom loads the named variant of testdata/file and validates it.
func loadConfigFrom(t *testing.T, file, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", file))
	require.NoError(t, err)
	id := component.NewID(metadata.Type)
	if name != "" {
		id = component.NewIDWithName(metadata.Type, name)
	}
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return cfg, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.NoError(t, err)

	assert.Equal(t, "https://api.us1.app.wiz.io/graphql", cfg.Endpoint)
	assert.Equal(t, "https://auth.app.wiz.io/oauth/token", cfg.TokenURL)
	assert.Empty(t, cfg.Audience)
	assert.Equal(t, "wiz-api", cfg.audience())
	assert.Equal(t, "my-client-id", cfg.ClientID)
	assert.Equal(t, "my-client-secret", string(cfg.ClientSecret))
	assert.Empty(t, cfg.ProjectIDs)
	assert.Equal(t, 5*time.Minute, cfg.PollInterval)
	assert.Equal(t, 24*time.Hour, cfg.InitialLookback)
	assert.Equal(t, time.Minute, cfg.Overlap)
	assert.Equal(t, 24*time.Hour, cfg.MaxWindow)
	assert.Equal(t, 500, cfg.PageSize)
	assert.Equal(t, int64(16<<20), cfg.MaxResponseSize)
	assert.Equal(t, 512<<10, cfg.MaxBatchBytes)
	assert.InDelta(t, 3.0, cfg.RequestsPerSecond, 0)
	assert.Equal(t, time.Minute, cfg.Timeout)
	assert.Nil(t, cfg.StorageID)
	assert.True(t, cfg.BackOff.Enabled)
	assert.Equal(t, 5*time.Second, cfg.BackOff.InitialInterval)
	assert.Equal(t, 30*time.Second, cfg.BackOff.MaxInterval)
	assert.Equal(t, 5*time.Minute, cfg.BackOff.MaxElapsedTime)
	assert.Equal(t, 24*time.Hour, cfg.NoEventsTimeout)
	assert.Equal(t, 5*time.Minute, cfg.AuthRetryInterval)
	assert.True(t, cfg.SplitRefusedPages)
	// Each log type's section, by key: a log type without a row fails.
	defaults := map[string]logtype.Config{
		"audit": &logtype.AuditConfig{SectionSettings: logtype.SectionSettings{Enabled: true}},
		"issues": &logtype.IssuesConfig{SectionSettings: logtype.SectionSettings{Enabled: true},
			TimeFieldOption: logtype.TimeFieldOption{TimeField: "status_changed_at"}},
		"vulnerability_findings": &logtype.VulnerabilityFindingsConfig{SectionSettings: logtype.SectionSettings{Enabled: true},
			TimeFieldOption: logtype.TimeFieldOption{TimeField: "updated_at"}, Statuses: []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"},
			Snapshot: logtype.SnapshotConfig{Statuses: []string{"OPEN"}}},
		// Off: existing service accounts lack their scopes.
		"configuration_findings": &logtype.ConfigurationFindingsConfig{
			TimeFieldOption: logtype.TimeFieldOption{TimeField: "updated_at"}, Statuses: []string{"OPEN", "RESOLVED"},
			Snapshot: logtype.SnapshotConfig{Statuses: []string{"OPEN"}}},
		"detections": &logtype.DetectionsConfig{
			TimeFieldOption: logtype.TimeFieldOption{TimeField: "updated_at"}, Types: []string{"GENERATED_THREAT", "MATCH_ONLY"}},
	}
	for _, lt := range logtype.All {
		assert.Equal(t, defaults[lt.Key], cfg.logType(lt), lt.Key)
	}
	assert.Equal(t, "https://api.us1.app.wiz.io/graphql", cfg.graphQLURL())
}

func TestConfigFull(t *testing.T) {
	cfg, err := loadConfig(t, "full")
	require.NoError(t, err)

	storageID := component.MustNewIDWithName("file_storage", "wiz")
	assert.Equal(t, "https://api.eu2.app.wiz.io/graphql", cfg.graphQLURL(), "a URL without a path gets /graphql")
	assert.Equal(t, "wiz-api", cfg.audience())
	assert.Equal(t, []string{"project-a"}, cfg.ProjectIDs)
	assert.Equal(t, time.Minute, cfg.PollInterval)
	assert.Equal(t, 168*time.Hour, cfg.InitialLookback)
	assert.Equal(t, 2*time.Minute, cfg.Overlap)
	assert.Equal(t, 6*time.Hour, cfg.MaxWindow)
	assert.Equal(t, 250, cfg.PageSize)
	assert.Equal(t, int64(8<<20), cfg.MaxResponseSize)
	assert.Equal(t, 1<<20, cfg.MaxBatchBytes)
	assert.InDelta(t, 1.5, cfg.RequestsPerSecond, 0)
	assert.Equal(t, &storageID, cfg.StorageID)
	assert.Equal(t, 30*time.Second, cfg.Timeout)
	assert.Equal(t, "http://proxy.internal:3128", cfg.ProxyURL)
	assert.Equal(t, 2*time.Second, cfg.BackOff.InitialInterval)
	assert.Equal(t, time.Minute, cfg.BackOff.MaxInterval)
	assert.Equal(t, 10*time.Minute, cfg.BackOff.MaxElapsedTime)
	audit := cfg.logType(&logtype.Audit).(*logtype.AuditConfig)
	issues := cfg.logType(&logtype.Issues).(*logtype.IssuesConfig)
	findings := cfg.logType(&logtype.VulnerabilityFindings).(*logtype.VulnerabilityFindingsConfig)
	configurationFindings := cfg.logType(&logtype.ConfigurationFindings).(*logtype.ConfigurationFindingsConfig)
	detections := cfg.logType(&logtype.Detections).(*logtype.DetectionsConfig)
	assert.False(t, audit.Enabled)
	assert.Equal(t, 48*time.Hour, cfg.NoEventsTimeout)
	assert.Equal(t, 10*time.Minute, cfg.AuthRetryInterval)
	assert.False(t, cfg.SplitRefusedPages)
	assert.Nil(t, audit.NoEventsTimeout)
	require.NotNil(t, issues.NoEventsTimeout)
	assert.Equal(t, time.Duration(0), *issues.NoEventsTimeout)
	assert.Equal(t, "updated_at", issues.TimeField)
	assert.Equal(t, "first_seen_at", findings.TimeField)
	assert.Equal(t, []string{"OPEN", "RESOLVED"}, findings.Statuses)
	assert.True(t, configurationFindings.Enabled)
	assert.Equal(t, "analyzed_at", configurationFindings.TimeField)
	assert.Equal(t, []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}, configurationFindings.Statuses)
	assert.Equal(t, []string{"HIGH", "CRITICAL"}, configurationFindings.Severities)
	assert.Equal(t, logtype.SnapshotConfig{Interval: 24 * time.Hour, Statuses: []string{"OPEN", "RESOLVED"}}, configurationFindings.Snapshot)
	assert.Equal(t, logtype.SnapshotConfig{Interval: 12 * time.Hour, Statuses: []string{"OPEN"}}, findings.Snapshot)
	assert.True(t, detections.Enabled)
	assert.Equal(t, "created_at", detections.TimeField)
	assert.Equal(t, []string{"MATCH_ONLY"}, detections.Types)
	assert.Equal(t, []string{"CRITICAL"}, detections.Severities)
}

func TestConfigAudience(t *testing.T) {
	cfg, err := loadConfig(t, "auth0")
	require.NoError(t, err)
	assert.Equal(t, wiz.AudienceAuth0, cfg.audience())

	cfg, err = loadConfig(t, "loopback")
	require.NoError(t, err, "plain http is allowed for loopback hosts")
	assert.Equal(t, wiz.AudienceCognito, cfg.audience(), "unknown hosts get wiz-api")

	for url, want := range map[string]string{
		"https://auth.app.wiz.io/oauth/token":   "wiz-api",
		"https://auth.gov.wiz.io/oauth/token":   "wiz-api",
		"https://auth.app.wiz.us/oauth/token":   "wiz-api",
		"https://auth.wiz.io/oauth/token":       "beyond-api",
		"https://auth0.gov.wiz.io/oauth/token":  "beyond-api",
		"https://auth0.test.wiz.io/oauth/token": "beyond-api",
		"https://proxy.example.com/token":       "wiz-api",
	} {
		assert.Equal(t, want, wiz.DefaultAudience(url), url)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		want []string // every substring must appear in the error
	}{
		{"missing_required", []string{
			"endpoint is required", "client_id is required", "client_secret is required",
		}},
		{"relative_endpoint", []string{`endpoint "api.us1.app.wiz.io/graphql" is not an absolute URL`}},
		{"http_endpoint", []string{`endpoint "http://api.us1.app.wiz.io/graphql" uses plain http: use https`}},
		{"http_token_url", []string{`token_url "http://auth.app.wiz.io/oauth/token" uses plain http: use https`}},
		{"empty_token_url", []string{"token_url must not be empty"}},
		{"page_size_zero", []string{"page_size must be between 1 and 500, got 0"}},
		{"page_size_too_big", []string{"page_size must be between 1 and 500, got 501"}},
		{"bad_durations", []string{
			"poll_interval must be positive", "initial_lookback must be positive",
			"max_window must be positive", "overlap must not be negative",
			"no_events_timeout must not be negative", "audit.no_events_timeout must not be negative",
			"auth_retry_interval must be positive",
		}},
		{"bad_rate", []string{"requests_per_second must be positive"}},
		{"bad_format", []string{`format must be "native" (Wiz's own objects) or "ocsf" (OCSF 1.5.0 events), got "OCSF-1.5"`}},
		{"max_response_size_zero", []string{"max_response_size must be positive, got 0: it bounds the bytes of one answer from Wiz, 16777216 by default"}},
		{"max_batch_bytes_zero", []string{"max_batch_bytes must be positive, got 0: it bounds the records handed to the next consumer at once, in bytes of Wiz's JSON, 524288 by default"}},
		{"no_streams", []string{"no stream is enabled: set enabled: true under at least one of audit, issues, vulnerability_findings, configuration_findings or detections"}},
		{"detections_projects", []string{"project_ids lists 2 projects, but Wiz filters detections by one"}},
		{"bad_streams", []string{
			"project_ids[0] is empty",
			`issues.time_field "first_seen_at" is not supported: use status_changed_at, updated_at or created_at`,
			`vulnerability_findings.time_field "created_at" is not supported: use updated_at or first_seen_at`,
			`vulnerability_findings.statuses: "FIXED" is not a status`,
			`configuration_findings.time_field "last_seen_at" is not supported: use updated_at, analyzed_at or first_seen_at`,
			`configuration_findings.severities: "INFORMATIONAL" is not a severity: use NONE, LOW, MEDIUM, HIGH, CRITICAL`,
			"configuration_findings.statuses must not be empty",
			"vulnerability_findings.snapshot.interval must not be negative, got -24h0m0s: use 0 to take no snapshots, or a period such as 24h",
			`vulnerability_findings.snapshot.statuses: "CLOSED" is not a status: use OPEN, IN_PROGRESS, RESOLVED, REJECTED`,
			"configuration_findings.snapshot.interval 10s is shorter than a minute",
			"configuration_findings.snapshot.statuses must not be empty",
			`detections.types: "THREAT" is not a detection type: use GENERATED_THREAT, MATCH_ONLY`,
			`detections.severities: "NONE" is not a severity: use INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL`,
		}},
		{"unknown_key", []string{"pol_interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.name)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}
