// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

// defendDataset holds configuration findings and detections only.
func defendDataset(configurationFindings, detections int) *Dataset {
	return GenerateDataset(DatasetOptions{Seed: 7, Start: testEnd.Add(-24 * time.Hour), End: testEnd, Counts: map[string]int{
		configurationFindingCollection.logType: configurationFindings, detectionCollection.logType: detections,
	}})
}

func walkConfigurationFindings(e *env, filter map[string]any) []string {
	e.t.Helper()
	return e.walk(wizreceivertest.PolledByKey("configuration_findings").Query, "configurationFindings", 100, filter, nil)
}

func TestConfigurationFindingNodes(t *testing.T) {
	e := newEnv(t, Options{Dataset: defendDataset(200, 0)})
	p := e.page(wizreceivertest.PolledByKey("configuration_findings").Query, "configurationFindings", map[string]any{"first": 500})
	require.Len(t, p.Nodes, 200)
	kinds, outcomes := map[string]bool{}, map[string]bool{}
	for _, n := range p.Nodes {
		resource := n["resource"].(map[string]any)
		kinds[resource["type"].(string)+"/"+resource["cloudPlatform"].(string)] = true
		outcomes[n["status"].(string)+"/"+n["result"].(string)] = true
		first, updated, analyzed := parsed(t, n["firstSeenAt"]), parsed(t, n["updatedAt"]), parsed(t, n["analyzedAt"])
		assert.False(t, first.Before(testEnd.Add(-24*time.Hour)) || updated.Before(first) || analyzed.Before(updated) || analyzed.After(testEnd),
			"firstSeenAt <= updatedAt <= analyzedAt, all in the dataset's range")
		assert.Len(t, n["updatedAt"], len(timeLayout), "microseconds")
		assert.NotEmpty(t, resource["projects"])
		assert.Equal(t, resource["subscription"], n["subscription"])
		assert.Contains(t, n, "remediation", "null fields are served")
		if n["status"] == "REJECTED" {
			assert.NotEmpty(t, n["ignoreRules"])
		}
	}
	assert.Equal(t, map[string]bool{
		"BUCKET/AWS": true, "USER_ACCOUNT/AWS": true, "FIREWALL/AWS": true, "BUCKET/Azure": true,
		"VIRTUAL_MACHINE/GCP": true, "POD/EKS": true, "SUBSCRIPTION/AWS": true,
	}, kinds, "every kind of resource")
	assert.Len(t, outcomes, 6, "every status with its results")
}

func parsed(t *testing.T, v any) time.Time {
	t.Helper()
	at, ok := parseTime(v)
	require.True(t, ok, "%v is not a time", v)
	return at
}

func TestConfigurationFindingFilters(t *testing.T) {
	e := newEnv(t, Options{Dataset: defendDataset(200, 0)})
	findings := e.srv.Snapshot()[configurationFindingCollection.logType]
	project := e.srv.opts.Dataset.Projects[2]
	inProject := func(n map[string]any) bool {
		return slices.ContainsFunc(n["resource"].(map[string]any)["projects"].([]any), func(p any) bool { return p.(map[string]any)["id"] == project })
	}
	tests := []struct {
		name   string
		filter map[string]any
		want   func(n map[string]any) bool
	}{
		{"no filter serves every status", nil, func(map[string]any) bool { return true }},
		{"status and severity", map[string]any{"status": []any{"OPEN", "RESOLVED"}, "severity": []any{"HIGH", "CRITICAL"}},
			func(n map[string]any) bool {
				return (n["status"] == "OPEN" || n["status"] == "RESOLVED") && (n["severity"] == "HIGH" || n["severity"] == "CRITICAL")
			}},
		{"result", map[string]any{"result": []any{"PASS"}}, func(n map[string]any) bool { return n["result"] == "PASS" }},
		{"project, nested under resource", map[string]any{"resource": map[string]any{"projectId": []any{project}}}, inProject},
		{"cloud platform", map[string]any{"resource": map[string]any{"cloudPlatform": []any{"EKS"}}},
			func(n map[string]any) bool { return n["resource"].(map[string]any)["cloudPlatform"] == "EKS" }},
		{"rule name", map[string]any{"rule": map[string]any{"name": []any{"Pod should not run privileged containers"}}},
			func(n map[string]any) bool { return n["rule"].(map[string]any)["shortId"] == "Pod-32" }},
		{"framework: CIS AWS Foundations", map[string]any{"securityFramework": []any{"wf-id-57"}},
			func(n map[string]any) bool {
				return slices.Contains([]any{"S3-023", "IAM-006", "EC2-021"}, n["rule"].(map[string]any)["shortId"])
			}},
		{"deleted left out", map[string]any{"includeDeleted": false}, func(n map[string]any) bool { return n["deleted"] == false }},
		{"deleted kept", map[string]any{"includeDeleted": true}, func(map[string]any) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := ids(findings, tt.want)
			require.NotEmpty(t, want)
			assert.ElementsMatch(t, want, walkConfigurationFindings(e, tt.filter))
		})
	}
}

// Wiz serves a walk at most its result cap of findings, and says so in
// maxCountReached when the query matched more.
func TestConfigurationFindingResultCap(t *testing.T) {
	e := newEnv(t, Options{Dataset: defendDataset(60, 0), ConfigurationFindingResultCap: 25})
	walk := func(filter map[string]any) (got []string, sizes []int, reached bool) {
		vars := map[string]any{"first": 10, "filterBy": filter}
		for {
			r := e.query(wizreceivertest.PolledByKey("configuration_findings").Query, vars)
			var out struct {
				Data struct {
					Connection struct {
						page
						MaxCountReached bool `json:"maxCountReached"`
					} `json:"configurationFindings"`
				} `json:"data"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.body), &out), r.body)
			p := out.Data.Connection
			got = append(got, ids(p.Nodes, nil)...)
			sizes = append(sizes, len(p.Nodes))
			if !p.PageInfo.HasNextPage {
				return got, sizes, p.MaxCountReached
			}
			assert.False(t, p.MaxCountReached, "the walk goes on")
			vars["after"] = *p.PageInfo.EndCursor
		}
	}
	_, sizes, reached := walk(nil)
	assert.Equal(t, []int{10, 10, 5}, sizes)
	assert.True(t, reached)

	// A query that fits the cap is served whole, and not reported capped.
	findings := e.srv.Snapshot()[configurationFindingCollection.logType]
	high := ids(findings, func(n map[string]any) bool { return n["severity"] == "HIGH" })
	require.NotEmpty(t, high)
	require.Less(t, len(high), 25)
	got, _, reached := walk(map[string]any{"severity": []any{"HIGH"}})
	assert.ElementsMatch(t, high, got)
	assert.False(t, reached)

	// first is required, as for audit logs.
	code, msg := firstError(t, e.query(wizreceivertest.PolledByKey("configuration_findings").Query, nil))
	assert.Equal(t, "BAD_USER_INPUT", code)
	assert.Equal(t, "first is required", msg)
}

// A status change moves updatedAt; a re-analysis that finds nothing new
// moves only analyzedAt.
func TestConfigurationFindingChanges(t *testing.T) {
	e := newEnv(t, Options{Dataset: defendDataset(40, 0), Now: wiztest.NewClock(testEnd).Now})
	findings := e.srv.Snapshot()[configurationFindingCollection.logType]
	open := ids(findings, func(n map[string]any) bool { return n["status"] == "OPEN" })
	require.GreaterOrEqual(t, len(open), 2)
	at := testEnd.Add(time.Minute)
	e.srv.ChangeConfigurationFindingStatus(open[0], "RESOLVED", at)
	e.srv.ReanalyzeConfigurationFinding(open[1], at)
	e.srv.ChangeConfigurationFindingStatus("no-such-finding", "RESOLVED", at)

	since := func(field string) map[string]any {
		return map[string]any{field: map[string]any{"after": formatTime(at.Add(-time.Microsecond))}}
	}
	assert.Equal(t, []string{open[0]}, walkConfigurationFindings(e, since("updatedAt")))
	assert.ElementsMatch(t, open[:2], walkConfigurationFindings(e, since("analyzedAt")))
	resolved := e.srv.Snapshot()[configurationFindingCollection.logType][slices.Index(ids(findings, nil), open[0])]
	assert.Equal(t, "PASS", resolved["result"])
	assert.Equal(t, "ISSUE_FIXED", resolved["resolutionReason"])

	e.srv.ChangeConfigurationFindingStatus(open[0], "REJECTED", at.Add(time.Second))
	rejected := e.srv.Snapshot()[configurationFindingCollection.logType][slices.Index(ids(findings, nil), open[0])]
	assert.Equal(t, "FAIL", rejected["result"])
	assert.Len(t, rejected["ignoreRules"], 1)
}
