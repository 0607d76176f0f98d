package mockwiz

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateDataset(t *testing.T) {
	o := DatasetOptions{Seed: 3, Start: testEnd.Add(-6 * time.Hour), End: testEnd, Audit: 300, Issues: 200, Findings: 300}
	ds := GenerateDataset(o)
	assert.Equal(t, ds, GenerateDataset(o), "deterministic")
	require.Len(t, ds.Projects, 3)

	inRange := func(n map[string]any, field string) time.Time {
		t.Helper()
		s, ok := n[field].(string)
		require.True(t, ok, "%s of %v", field, n["id"])
		at, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		assert.False(t, at.Before(o.Start) || at.After(o.End), "%s %s outside the range", field, s)
		return at
	}
	unique := func(nodes []map[string]any) {
		seen := map[string]bool{}
		for _, n := range nodes {
			id := n["id"].(string)
			assert.False(t, seen[id], "duplicate id %s", id)
			seen[id] = true
		}
	}
	unique(ds.audit)
	unique(ds.issues)
	unique(ds.findings)

	for _, n := range ds.audit {
		inRange(n, "timestamp")
		assert.Len(t, n["timestamp"], len("2006-01-02T15:04:05.000000Z"))
		assert.True(t, (n["user"] == nil) != (n["serviceAccount"] == nil), "user XOR serviceAccount")
	}
	statuses := map[string]int{}
	for _, n := range ds.issues {
		created, changed, updated := inRange(n, "createdAt"), inRange(n, "statusChangedAt"), inRange(n, "updatedAt")
		assert.False(t, changed.Before(created) || updated.Before(changed), "createdAt <= statusChangedAt <= updatedAt")
		statuses[n["status"].(string)]++
		if n["status"] == "RESOLVED" {
			inRange(n, "resolvedAt")
			assert.NotNil(t, n["resolutionReason"])
		} else {
			assert.Nil(t, n["resolvedAt"])
		}
	}
	assert.Len(t, statuses, 4)
	for _, n := range ds.findings {
		first, last, updated := inRange(n, "firstDetectedAt"), inRange(n, "lastDetectedAt"), inRange(n, "updatedAt")
		assert.False(t, last.Before(first) || updated.Before(last), "firstDetectedAt <= lastDetectedAt <= updatedAt")
		if n["status"] == "RESOLVED" {
			inRange(n, "resolvedAt")
			assert.NotNil(t, n["resolutionReason"])
		}
	}
}

func TestMutationsAndHiding(t *testing.T) {
	clk := &clock{now: testEnd}
	e := newEnv(t, Options{Now: clk.Now})
	audit, issues, findings := e.srv.Snapshot()
	at := testEnd.Add(time.Minute) // after every generated time

	added := e.srv.AddAuditEntries(3, at)
	require.Len(t, added, 3)
	after := map[string]any{"timestamp": map[string]any{"after": formatTime(at.Add(-time.Microsecond))}}
	assert.ElementsMatch(t, added, e.walk(auditQuery, "auditLogEntries", 10, after, nil))

	id := issues[0]["id"].(string)
	e.srv.ChangeIssueStatus(id, "RESOLVED", at)
	changed := map[string]any{"statusChangedAt": map[string]any{"after": formatTime(at.Add(-time.Microsecond))}}
	assert.Equal(t, []string{id}, e.walk(issuesQuery, "issues", 10, changed, nil))
	_, issuesNow, _ := e.srv.Snapshot()
	assert.Equal(t, formatTime(at), issuesNow[0]["resolvedAt"])
	assert.Equal(t, "RESOLVED", issuesNow[0]["status"])

	fid := findings[0]["id"].(string)
	e.srv.RedetectFinding(fid, at)
	updated := map[string]any{"updatedAt": map[string]any{"after": formatTime(at.Add(-time.Microsecond))}}
	assert.Equal(t, []string{fid}, e.walk(findingsQuery, "vulnerabilityFindings", 10, updated, nil))

	hidden := audit[0]["id"].(string)
	e.srv.HideUntil(hidden, testEnd.Add(time.Minute))
	assert.NotContains(t, e.walk(auditQuery, "auditLogEntries", 500, nil, nil), hidden)
	clk.Add(time.Minute)
	assert.Contains(t, e.walk(auditQuery, "auditLogEntries", 500, nil, nil), hidden)

	// Snapshot returns copies.
	audit[1]["id"] = "changed"
	a2, _, _ := e.srv.Snapshot()
	assert.NotEqual(t, "changed", a2[1]["id"])
}
