// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// Wiz retires fields (Issue.sourceRule is deprecated) and may add or remove
// others. When a field the query selects disappears from Wiz's schema mid-run,
// records keep flowing, exactly once, without that field; each dropped field
// is logged once and counted.
func TestSchemaDriftDropsRetiredFields(t *testing.T) {
	polltest.EachRequestErrorStatus(t, testSchemaDriftDropsRetiredFields)
}

func testSchemaDriftDropsRetiredFields(t *testing.T, requestErrorStatus int) {
	srv, url := polltest.NewMock(t, mockwiz.Options{RequestErrorStatus: requestErrorStatus, Dataset: polltest.SmallDataset(0, 30, 30)})
	e := newEnv(t, url)
	e.PageSize = 10
	e.enableOnly("issues", "vulnerability_findings")
	core, logs := observer.New(zapcore.WarnLevel)
	e.Logger = zap.New(core)
	sink := &consumertest.LogsSink{}
	e.Next = sink
	streams, _ := e.streams(t)

	before := wiztest.Expected(t, srv)
	polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(before, wiztest.Received(sink)) })
	seen := sink.LogRecordCount()

	srv.RemoveSchemaField("Issue", "sourceRule")
	srv.RemoveSchemaField("VulnerabilityFinding", "epssPercentile")
	snapshot := srv.Snapshot()
	now := time.Now()
	for _, issue := range snapshot[logtype.Issues.Name][:5] {
		srv.ChangeIssueStatus(issue["id"].(string), "IN_PROGRESS", now)
	}
	// A resolved finding seen again reopens: a new version.
	resolved := polltest.WithStatus(snapshot[logtype.VulnerabilityFindings.Name], "RESOLVED")
	require.GreaterOrEqual(t, len(resolved), 5)
	for _, finding := range resolved[:5] {
		srv.RedetectVulnerabilityFinding(finding["id"].(string), now)
	}
	after := wiztest.Expected(t, srv)
	polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(after, wiztest.Received(sink)) })

	all := wiztest.UIDs{}
	for typ := range after {
		all[typ] = polltest.Dedupe(append(before[typ], after[typ]...))
	}
	wiztest.RequireExactlyOnce(t, all, wiztest.Received(sink))

	// Records from before the drift carry the fields, those after do not.
	var records []plog.LogRecord
	for _, l := range sink.AllLogs() {
		polltest.ForEachRecord(l, func(lr plog.LogRecord) { records = append(records, lr) })
	}
	require.Len(t, records, seen+10)
	for i, lr := range records {
		_, hasRule := lr.Body().Map().Get("sourceRule")
		_, hasEPSS := lr.Body().Map().Get("epssPercentile")
		typ, _ := lr.Attributes().Get("wiz.log_type")
		switch {
		case typ.Str() == logtype.Issues.Name:
			assert.Equal(t, i < seen, hasRule, "record %d: sourceRule", i)
			_, hasRules := lr.Body().Map().Get("sourceRules")
			assert.True(t, hasRules, "record %d: the rest of the issue stays", i)
		default:
			assert.Equal(t, i < seen, hasEPSS, "record %d: epssPercentile", i)
		}
	}

	for field, logType := range map[string]string{"Issue.sourceRule": logtype.Issues.Name, "VulnerabilityFinding.epssPercentile": logtype.VulnerabilityFindings.Name} {
		warned := logs.FilterMessage("Wiz no longer has a field the query selects; polling without it").FilterField(zap.String("field", field))
		assert.Equal(t, 1, warned.Len(), "one WARN for %s", field)
		assert.Equal(t, map[string]int{field: 1}, e.telemetryOf(logType).fieldsDropped, "wiz_query_fields_dropped counts %s once for %s", field, logType)
	}
}

// A field the receiver cannot poll without (here the issues' polled time)
// stops only its own stream, with an error that names the field; the
// other streams go on.
func TestSchemaDriftInANeededField(t *testing.T) {
	polltest.EachRequestErrorStatus(t, testSchemaDriftInANeededField)
}

func testSchemaDriftInANeededField(t *testing.T, requestErrorStatus int) {
	srv, url := polltest.NewMock(t, mockwiz.Options{RequestErrorStatus: requestErrorStatus, Dataset: polltest.SmallDataset(0, 10, 10)})
	e := newEnv(t, url)
	e.enableOnly("issues", "vulnerability_findings")
	sink := &consumertest.LogsSink{}
	e.Next = sink
	streams, _ := e.streams(t)
	issues, findings := streams[0], streams[1]
	require.Equal(t, "issues", issues.logType.Key)

	srv.RemoveSchemaField("Issue", "statusChangedAt")
	err := issues.Poll(context.Background())
	require.Error(t, err)
	assert.True(t, issues.stopped(err, "retry"), "the issues stream stops")
	status := e.statuses.Last()
	require.True(t, status.Permanent)
	assert.Contains(t, status.Err.Error(), "issues stream stopped: wiz no longer has the field Issue.statusChangedAt, which the receiver needs to poll Wiz.Issues (issuesV2.nodes.statusChangedAt)")
	assert.Contains(t, status.Err.Error(), "set issues.enabled: false")

	require.NoError(t, findings.Poll(context.Background()), "the findings stream goes on")
	assert.Len(t, wiztest.Received(sink)[logtype.VulnerabilityFindings.Name], 10)
	assert.Empty(t, wiztest.Received(sink)[logtype.Issues.Name])
}

// Refusals that need a human are caught by the connection check at start,
// stop the stream for good after one request, and say what to change: a
// filter key Wiz does not accept names the option that sends it and the
// value to use; an IP Wiz refuses names the allow-list.
func TestConnectionCheckStopsForGood(t *testing.T) {
	polltest.EachRequestErrorStatus(t, testConnectionCheckStopsForGood)
}

func testConnectionCheckStopsForGood(t *testing.T, requestErrorStatus int) {
	tests := []struct {
		name    string
		logType *logtype.LogType
		setup   func(srv *mockwiz.Server, e *testEnv)
		want    string
	}{
		{"a filter key Wiz does not accept", &logtype.Issues, func(srv *mockwiz.Server, e *testEnv) {
			srv.RemoveSchemaField("IssueFilters", "updatedAt")
			e.logType(&logtype.Issues).(*logtype.IssuesConfig).TimeField = "updated_at"
		}, "issues stream stopped: Wiz does not accept filterBy.updatedAt, which issues.time_field: updated_at sends; use issues.time_field: status_changed_at"},
		{"an IP Wiz refuses", &logtype.Audit, func(srv *mockwiz.Server, _ *testEnv) {
			srv.InjectGraphQLFaults(mockwiz.Fault{GraphQLCode: "FORBIDDEN_IP"})
		}, "audit stream stopped: Wiz refused this collector's IP address; add it to the service account's allowed IPs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := polltest.NewMock(t, mockwiz.Options{RequestErrorStatus: requestErrorStatus, Dataset: polltest.SmallDataset(5, 5, 0)})
			e := newEnv(t, url)
			e.enableOnly(tt.logType.Key)
			tt.setup(srv, e)
			s, _ := e.stream(t)

			err := s.checkConnection(context.Background())
			require.Error(t, err)
			assert.True(t, s.stopped(err, "retry"))
			assert.True(t, e.statuses.Last().Permanent)
			assert.Contains(t, e.statuses.Last().Err.Error(), tt.want)
			assert.Equal(t, 1, srv.Stats().GraphQLRequests, "one request, not retried")
		})
	}
}

// What the key is read from (the id, the polled time and the time read when
// Wiz leaves that one empty) cannot leave the query; anything else can,
// connection-level fields such as maxCountReached too.
func TestSchemaDriftKeepsWhatTheKeyNeeds(t *testing.T) {
	polltest.EachRequestErrorStatus(t, testSchemaDriftKeepsWhatTheKeyNeeds)
}

func testSchemaDriftKeepsWhatTheKeyNeeds(t *testing.T, requestErrorStatus int) {
	tests := []struct {
		logType     *logtype.LogType
		typ, field  string
		stopsStream bool
	}{
		{&logtype.Issues, "Issue", "createdAt", true},
		{&logtype.VulnerabilityFindings, "VulnerabilityFinding", "lastDetectedAt", true},
		{&logtype.ConfigurationFindings, "ConfigurationFindingConnection", "maxCountReached", false},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"."+tt.field, func(t *testing.T) {
			srv, url := polltest.NewMock(t, mockwiz.Options{RequestErrorStatus: requestErrorStatus, Dataset: polltest.DatasetOf(42, map[string]int{tt.logType.Name: 10})})
			srv.RemoveSchemaField(tt.typ, tt.field)
			e := newEnv(t, url)
			e.enableOnly(tt.logType.Key)
			if findings, ok := e.logType(tt.logType).(*logtype.ConfigurationFindingsConfig); ok {
				// Every status, as wiztest.Expected expects every node.
				findings.Statuses = []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}
			}
			sink := &consumertest.LogsSink{}
			e.Next = sink
			s, _ := e.stream(t)

			err := s.Poll(context.Background())
			if !tt.stopsStream {
				require.NoError(t, err)
				wiztest.RequireExactlyOnce(t, wiztest.Expected(t, srv), wiztest.Received(sink))
				return
			}
			require.Error(t, err)
			assert.True(t, s.stopped(err, "retry"))
			assert.Contains(t, e.statuses.Last().Err.Error(), "wiz no longer has the field "+tt.typ+"."+tt.field+", which the receiver needs")
			assert.Zero(t, sink.LogRecordCount())
		})
	}
}
