// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// A project-scoped service account: issues and findings keep flowing
// (restricted to its projects), while audit stops with an error that says
// why and what to do.
func TestProjectScopedAccount(t *testing.T) {
	ds := polltest.SmallDataset(20, 60, 60)
	srv, url := polltest.NewMock(t, mockwiz.Options{
		Dataset: ds,
		Clients: []mockwiz.Client{{
			ID: polltest.ClientID, Secret: polltest.ClientSecret,
			Scopes:     []string{"admin:audit", "read:issues", "read:vulnerabilities"},
			ProjectIDs: ds.Projects[:1],
		}},
	})
	cfg := testConfig(url)
	cfg.ProjectIDs = ds.Projects[:1]
	host := newStatusHost()
	sink := &consumertest.LogsSink{}
	_, pacer := startReceiver(t, cfg, sink, host, nil)

	want := wiztest.UIDs{}
	wiztest.EachExpected(t, srv, func(typ, uid string, node map[string]any) {
		if typ != "Wiz.Audit" && polltest.InProjects(node, "projects", ds.Projects[:1]) {
			want[typ] = append(want[typ], uid)
		}
	})
	require.NotEmpty(t, want["Wiz.Issues"])
	require.NotEmpty(t, want["Wiz.VulnerabilityFinding"])
	// Issues and findings run; audit stops.
	pacer.Until(t, 2, 5, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
	got := wiztest.Received(sink)
	wiztest.RequireExactlyOnce(t, want, got)
	assert.Empty(t, got["Wiz.Audit"])

	msg := host.awaitLast(t, permanent).Err().Error()
	assert.Contains(t, msg, "this service account is limited to projects; Wiz does not serve audit logs to it; disable `audit` or use an unscoped account")

	// The project filter reached the queries.
	for _, req := range srv.Requests() {
		filter, _ := req.Variables["filterBy"].(map[string]any)
		switch req.RootField {
		case "issuesV2":
			assert.Equal(t, []any{ds.Projects[0]}, filter["project"])
		case "vulnerabilityFindings":
			assert.Equal(t, []any{ds.Projects[0]}, filter["projectId"])
		}
	}
	// The audit stream stopped: it asked once and gave up.
	audits := 0
	for _, req := range srv.Requests() {
		if req.RootField == "auditLogEntries" {
			audits++
		}
	}
	assert.Equal(t, 1, audits)
}

// A missing scope stops only the stream that needs it, naming the scope.
func TestMissingScope(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{
		Dataset: polltest.SmallDataset(10, 10, 10),
		Clients: []mockwiz.Client{{ID: polltest.ClientID, Secret: polltest.ClientSecret, Scopes: []string{"admin:audit", "read:issues"}}},
	})
	host := newStatusHost()
	sink := &consumertest.LogsSink{}
	_, pacer := startReceiver(t, testConfig(url), sink, host, nil)

	want := wiztest.Expected(t, srv)
	delete(want, "Wiz.VulnerabilityFinding")
	// Audit and issues run; findings stop.
	pacer.Until(t, 2, 5, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
	msg := host.awaitLast(t, permanent).Err().Error()
	assert.Contains(t, msg, "vulnerability_findings stream stopped: the service account lacks the read:vulnerabilities scope")
	assert.Contains(t, msg, "vulnerability_findings.enabled: false")
}
