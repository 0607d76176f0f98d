// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

func TestPaginationWalkWhileDataChanges(t *testing.T) {
	e := newEnv(t, Options{Dataset: testDataset(95, 53, 71)})
	snapshot := e.srv.Snapshot()
	audit, issues, findings := snapshot[auditCollection.logType], snapshot[issueCollection.logType], snapshot[findingCollection.logType]

	got := e.walk(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", 10, nil, func(int) {
		// Newer entries sort before the cursor, so the walk does not see them.
		e.srv.AddAuditEntries(2, testEnd.Add(time.Hour))
	})
	assert.ElementsMatch(t, ids(audit, nil), got)

	i := 0
	got = e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 7, nil, func(int) {
		e.srv.ChangeIssueStatus(issues[i]["id"].(string), "RESOLVED", testEnd.Add(time.Hour))
		i++
	})
	assert.ElementsMatch(t, ids(issues, nil), got)

	got = e.walk(wizreceivertest.PolledByKey("vulnerability_findings").Query, "vulnerabilityFindings", 9, nil, func(n int) {
		e.srv.RedetectVulnerabilityFinding(findings[n]["id"].(string), testEnd.Add(time.Hour))
	})
	assert.ElementsMatch(t, ids(findings, nil), got)

	// Order: newest first.
	p := e.page(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", map[string]any{"first": 500})
	assert.True(t, slices.IsSortedFunc(p.Nodes, func(a, b map[string]any) int {
		return strings.Compare(b["timestamp"].(string), a["timestamp"].(string))
	}))
}

func TestPagingErrors(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name, query, message string
		vars                 map[string]any
	}{
		{"first too large", wizreceivertest.PolledByKey("audit").Query, "first must be <= 500", map[string]any{"first": 501}},
		{"first too large for issues", wizreceivertest.PolledByKey("issues").Query, "first must be <= 500", map[string]any{"first": 1000}},
		{"audit without first", wizreceivertest.PolledByKey("audit").Query, "first is required", nil},
		{"undecodable cursor", wizreceivertest.PolledByKey("vulnerability_findings").Query, `invalid cursor "bm90IGEgY3Vyc29y"`, map[string]any{"first": 5, "after": "bm90IGEgY3Vyc29y"}},
		{"garbage cursor", wizreceivertest.PolledByKey("audit").Query, `invalid cursor "%%%"`, map[string]any{"first": 5, "after": "%%%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.query(tt.query, tt.vars)
			assert.Equal(t, http.StatusOK, r.status)
			code, msg := firstError(t, r)
			assert.Equal(t, "BAD_USER_INPUT", code)
			assert.Equal(t, tt.message, msg)
			assert.Nil(t, r.json(t)["data"])
		})
	}
	t.Run("cursor of another query", func(t *testing.T) {
		p := e.page(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", map[string]any{"first": 1})
		code, _ := firstError(t, e.query(wizreceivertest.PolledByKey("issues").Query, map[string]any{"first": 1, "after": *p.PageInfo.EndCursor}))
		assert.Equal(t, "BAD_USER_INPUT", code)
	})
}

func TestAuditResultCap(t *testing.T) {
	e := newEnv(t, Options{AuditResultCap: 25})
	var sizes []int
	vars := map[string]any{"first": 10}
	for {
		p := e.page(wizreceivertest.PolledByKey("audit").Query, "auditLogEntries", vars)
		sizes = append(sizes, len(p.Nodes))
		if !p.PageInfo.HasNextPage {
			break
		}
		vars["after"] = *p.PageInfo.EndCursor
	}
	assert.Equal(t, []int{10, 10, 5}, sizes)
	// Issues are not capped.
	assert.Len(t, e.walk(wizreceivertest.PolledByKey("issues").Query, "issues", 10, nil, nil), 40)
}
