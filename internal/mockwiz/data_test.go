// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

func TestGenerateDataset(t *testing.T) {
	o := DatasetOptions{Seed: 3, Start: testEnd.Add(-6 * time.Hour), End: testEnd, Counts: map[string]int{}}
	for _, lt := range wizreceivertest.Polled() {
		o.Counts[lt.Name] = 250
	}
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
	for _, lt := range wizreceivertest.Polled() {
		nodes := ds.nodes[lt.Name]
		assert.Len(t, nodes, 250, "the mock generates %s", lt.Name)
		seen := map[string]bool{}
		for _, n := range nodes {
			id := n["id"].(string)
			assert.False(t, seen[id], "%s: duplicate id %s", lt.Name, id)
			seen[id] = true
		}
	}

	for _, n := range ds.nodes[auditCollection.logType] {
		inRange(n, "timestamp")
		assert.Len(t, n["timestamp"], len("2006-01-02T15:04:05.000000Z"))
		assert.True(t, (n["user"] == nil) != (n["serviceAccount"] == nil), "user XOR serviceAccount")
	}
	statuses := map[string]int{}
	for _, n := range ds.nodes[issueCollection.logType] {
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
	for _, n := range ds.nodes[findingCollection.logType] {
		first, last, updated := inRange(n, "firstDetectedAt"), inRange(n, "lastDetectedAt"), inRange(n, "updatedAt")
		assert.False(t, last.Before(first) || updated.Before(last), "firstDetectedAt <= lastDetectedAt <= updatedAt")
		if n["status"] == "RESOLVED" {
			inRange(n, "resolvedAt")
			assert.NotNil(t, n["resolutionReason"])
		}
	}
}

func TestMutationsAndHiding(t *testing.T) {
	clk := wiztest.NewClock(testEnd)
	e := newEnv(t, Options{Now: clk.Now})
	snapshot := e.srv.Snapshot()
	audit, issues, findings := snapshot[auditCollection.logType], snapshot[issueCollection.logType], snapshot[findingCollection.logType]
	at := testEnd.Add(time.Minute) // after every generated time

	added := e.srv.AddAuditEntries(3, at)
	require.Len(t, added, 3)
	after := map[string]any{"timestamp": map[string]any{"after": formatTime(at.Add(-time.Microsecond))}}
	assert.ElementsMatch(t, added, e.walk(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", 10, after, nil))

	id := issues[0]["id"].(string)
	e.srv.ChangeIssueStatus(id, "RESOLVED", at)
	changed := map[string]any{"statusChangedAt": map[string]any{"after": formatTime(at.Add(-time.Microsecond))}}
	assert.Equal(t, []string{id}, e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 10, changed, nil))
	issuesNow := e.srv.Snapshot()[issueCollection.logType]
	assert.Equal(t, formatTime(at), issuesNow[0]["resolvedAt"])
	assert.Equal(t, "RESOLVED", issuesNow[0]["status"])

	// A re-detection moves lastDetectedAt; updatedAt moves only when it
	// reopens a resolved finding.
	var open, resolved string
	for _, f := range findings {
		switch f["status"] {
		case "OPEN":
			open = f["id"].(string)
		case "RESOLVED":
			resolved = f["id"].(string)
		}
	}
	require.NotEmpty(t, open)
	require.NotEmpty(t, resolved)
	e.srv.RedetectVulnerabilityFinding(open, at)
	e.srv.RedetectVulnerabilityFinding(resolved, at)
	updated := map[string]any{"updatedAt": map[string]any{"after": formatTime(at.Add(-time.Microsecond))}}
	assert.Equal(t, []string{resolved}, e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 10, updated, nil))
	for _, f := range e.srv.Snapshot()[findingCollection.logType] {
		if f["id"] == open || f["id"] == resolved {
			assert.Equal(t, formatTime(at), f["lastDetectedAt"])
		}
		if f["id"] == resolved {
			assert.Equal(t, "OPEN", f["status"])
		}
	}

	hidden := audit[0]["id"].(string)
	e.srv.HideUntil(hidden, testEnd.Add(time.Minute))
	assert.NotContains(t, e.walk(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", 500, nil, nil), hidden)
	clk.Advance(time.Minute)
	assert.Contains(t, e.walk(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", 500, nil, nil), hidden)

	// Snapshot returns copies.
	audit[1]["id"] = "changed"
	a2 := e.srv.Snapshot()[auditCollection.logType]
	assert.NotEqual(t, "changed", a2[1]["id"])
}
