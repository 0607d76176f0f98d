// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// optInKeys are the log types off by default (cloud configuration findings
// and Wiz Defend detections): existing service accounts lack their scopes.
var optInKeys = func() []string {
	var keys []string
	for _, lt := range logtype.All {
		if !lt.NewConfig().Settings().Enabled {
			keys = append(keys, lt.Key)
		}
	}
	return keys
}()

// enableOptIn enables the opt-in log types and the others with the given
// keys. Configuration findings are read in every status, as the mock's
// expected records (wiztest.Expected) are every node it holds.
func enableOptIn(cfg *Config, keys ...string) {
	enableOnly(cfg, append(keys, optInKeys...)...)
	cfg.logType(&logtype.ConfigurationFindings).(*logtype.ConfigurationFindingsConfig).Statuses = []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}
}

// optInDataset holds n configuration findings and n detections, and
// nothing else.
func optInDataset(n int) *mockwiz.Dataset {
	return polltest.DatasetOf(42, map[string]int{logtype.ConfigurationFindings.Name: n, logtype.Detections.Name: n})
}

// A status change of a configuration finding and a detection's new event
// are new records, each delivered once; a re-analysis that changed nothing
// is not.
func TestOptInStreamsPickUpChanges(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: optInDataset(40)})
	cfg := testConfig(url)
	cfg.PageSize = 15
	enableOptIn(cfg)
	sink := &consumertest.LogsSink{}
	rcv, err := newWizReceiver(receivertestSettings(), cfg, sink)
	require.NoError(t, err)
	streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())
	first := wiztest.Expected(t, srv)
	polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(first, wiztest.Received(sink)) })

	snapshot := srv.Snapshot()
	findings, detections := snapshot[logtype.ConfigurationFindings.Name], snapshot[logtype.Detections.Name]
	now := time.Now()
	srv.ChangeConfigurationFindingStatus(findings[0]["id"].(string), "REJECTED", now)
	srv.ReanalyzeConfigurationFinding(findings[1]["id"].(string), now)
	srv.UpdateDetection(detections[0]["id"].(string), now)
	all := wiztest.Expected(t, srv)
	for typ, uids := range first {
		all[typ] = polltest.Dedupe(append(all[typ], uids...))
	}
	polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(all, wiztest.Received(sink)) })

	got := wiztest.Received(sink)
	wiztest.RequireExactlyOnce(t, all, got)
	assert.Len(t, got[logtype.ConfigurationFindings.Name], len(findings)+1, "the status change is a new record, the re-analysis none")
	assert.Len(t, got[logtype.Detections.Name], len(detections)+1, "the detection's update is a new record")
}

// Turned on without their scopes, the two streams stop, each naming the
// scope it needs; the other streams go on.
func TestOptInStreamsWithoutTheirScopes(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{
		Dataset: polltest.DatasetOf(42, map[string]int{logtype.Audit.Name: 20, logtype.ConfigurationFindings.Name: 10, logtype.Detections.Name: 10}),
		Clients: []mockwiz.Client{{ID: polltest.ClientID, Secret: polltest.ClientSecret, Scopes: []string{"admin:audit", "read:issues", "read:vulnerabilities"}}},
	})
	cfg := testConfig(url)
	enableOptIn(cfg, "audit")
	host := newStatusHost()
	sink := &consumertest.LogsSink{}
	_, pacer := startReceiver(t, cfg, sink, host, nil)

	want := wiztest.Expected(t, srv)
	delete(want, logtype.ConfigurationFindings.Name)
	delete(want, logtype.Detections.Name)
	// Audit runs; the two stop.
	pacer.Until(t, 1, 5, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
	msg := host.awaitLast(t, func(ev *componentstatus.Event) bool {
		return permanent(ev) && strings.Contains(ev.Err().Error(), "configuration_findings stream stopped") && strings.Contains(ev.Err().Error(), "detections stream stopped")
	}).Err().Error()
	assert.Contains(t, msg, "configuration_findings stream stopped: the service account lacks the read:cloud_configuration scope that Wiz.CloudConfigurationFinding needs")
	assert.Contains(t, msg, "set configuration_findings.enabled: false")
	assert.Contains(t, msg, "detections stream stopped: the service account lacks the read:detections scope that Wiz.DefendDetection needs")
	assert.Contains(t, msg, "set detections.enabled: false")
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
}

// project_ids restricts both. Wiz's detection filter takes one project id,
// so a config with two and detections enabled fails at start, naming the
// fix; configuration findings read both projects.
func TestOptInStreamsProjectFilters(t *testing.T) {
	ds := optInDataset(60)
	for _, projects := range [][]string{ds.Projects[:1], ds.Projects[:2]} {
		srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: ds})
		cfg := testConfig(url)
		cfg.ProjectIDs = projects
		enableOptIn(cfg)
		if len(projects) > 1 {
			require.ErrorContains(t, cfg.Validate(), "project_ids lists 2 projects, but Wiz filters detections by one: "+
				"list one project, or run a wiz receiver per project (wiz/<name>) with detections enabled in each, or set detections.enabled: false")
			enableOnly(cfg, logtype.ConfigurationFindings.Key)
		}
		require.NoError(t, cfg.Validate())
		sink := &consumertest.LogsSink{}
		rcv, err := newWizReceiver(receivertestSettings(), cfg, sink)
		require.NoError(t, err)
		streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())

		want := wiztest.UIDs{}
		wiztest.EachExpected(t, srv, func(typ, uid string, node map[string]any) {
			path := map[string]string{logtype.ConfigurationFindings.Name: "resource.projects", logtype.Detections.Name: "cloudAccounts.linkedProjects"}[typ]
			if cfg.logType(logtype.ByName(typ)).Settings().Enabled && polltest.InProjects(node, path, projects) {
				want[typ] = append(want[typ], uid)
			}
		})
		require.NotEmpty(t, want[logtype.ConfigurationFindings.Name])
		require.Equal(t, len(projects) == 1, len(want[logtype.Detections.Name]) > 0)
		polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
		wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
	}
}

// Configuration findings reach Wiz's result cap (50 here, 10,000 in Wiz):
// the engine's cap narrows the windows and nothing is lost or repeated,
// though the mock, like Wiz, does not serve them in updatedAt order.
func TestConfigurationFindingsResultCap(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.DatasetOf(42, map[string]int{logtype.ConfigurationFindings.Name: 230}), ConfigurationFindingResultCap: 50})
	cfg := testConfig(url)
	cfg.PageSize = 20
	enableOptIn(cfg)
	sink := &consumertest.LogsSink{}
	rcv, err := newWizReceiver(receivertestSettings(), cfg, sink)
	require.NoError(t, err)
	rcv.resultCaps[logtype.ConfigurationFindings.Key] = 50
	s, _ := firstStream(t, rcv, componenttest.NewNopHost())
	require.NoError(t, s.Poll(context.Background()))
	wiztest.RequireExactlyOnce(t, wiztest.Expected(t, srv), wiztest.Received(sink))
}
