package wizreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
)

// Wiz retires fields (Issue.sourceRule is deprecated) and may add or remove
// others. When a field the query selects disappears from Wiz's schema mid-run,
// records keep flowing, exactly once, without that field; each dropped field
// is logged once and counted.
func TestSchemaDriftDropsRetiredFields(t *testing.T) {
	eachRequestErrorStatus(t, testSchemaDriftDropsRetiredFields)
}

func testSchemaDriftDropsRetiredFields(t *testing.T, requestErrorStatus int) {
	srv, url := newMock(t, mockwiz.Options{RequestErrorStatus: requestErrorStatus, Dataset: smallDataset(0, 30, 30)})
	cfg := testConfig(url)
	cfg.PageSize = 10
	enableOnly(cfg, "issues", "vulnerability_findings")
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tt)
	core, logs := observer.New(zapcore.WarnLevel)
	set.Logger = zap.New(core)
	sink := &consumertest.LogsSink{}
	rcv, err := newWizReceiver(set, cfg, sink)
	require.NoError(t, err)
	streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())

	before := wiztest.Expected(t, srv)
	pollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(before, wiztest.Received(sink)) })
	seen := sink.LogRecordCount()

	srv.RemoveSchemaField("Issue", "sourceRule")
	srv.RemoveSchemaField("VulnerabilityFinding", "epssPercentile")
	snapshot := srv.Snapshot()
	now := time.Now()
	for _, issue := range snapshot[logtype.Issues.Name][:5] {
		srv.ChangeIssueStatus(issue["id"].(string), "IN_PROGRESS", now)
	}
	// A resolved finding seen again reopens: a new version.
	resolved := withStatus(snapshot[logtype.VulnerabilityFindings.Name], "RESOLVED")
	require.GreaterOrEqual(t, len(resolved), 5)
	for _, finding := range resolved[:5] {
		srv.RedetectVulnerabilityFinding(finding["id"].(string), now)
	}
	after := wiztest.Expected(t, srv)
	pollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(after, wiztest.Received(sink)) })

	all := wiztest.UIDs{}
	for typ := range after {
		all[typ] = dedupe(append(before[typ], after[typ]...))
	}
	wiztest.RequireExactlyOnce(t, all, wiztest.Received(sink))

	// Records from before the drift carry the fields, those after do not.
	var records []plog.LogRecord
	for _, l := range sink.AllLogs() {
		forEachRecord(l, func(lr plog.LogRecord) { records = append(records, lr) })
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
		assertFieldDropped(t, tt, logType, field)
	}
}

// assertFieldDropped checks that wiz_query_fields_dropped
// counted the field once for the log type.
func assertFieldDropped(t *testing.T, tt *componenttest.Telemetry, logType, field string) {
	t.Helper()
	got, err := tt.GetMetric("otelcol_wiz_query_fields_dropped")
	require.NoError(t, err)
	for _, dp := range got.Data.(metricdata.Sum[int64]).DataPoints {
		lt, _ := dp.Attributes.Value("log_type")
		f, _ := dp.Attributes.Value("field")
		if lt.AsString() == logType && f.AsString() == field {
			assert.Equal(t, int64(1), dp.Value, "%s %s", logType, field)
			return
		}
	}
	t.Errorf("wiz_query_fields_dropped has no point for %s %s", logType, field)
}

// A field the receiver cannot poll without (here the issues' polled time)
// stops only its own stream, with an error that names the field; the
// other streams go on.
func TestSchemaDriftInANeededField(t *testing.T) {
	eachRequestErrorStatus(t, testSchemaDriftInANeededField)
}

func testSchemaDriftInANeededField(t *testing.T, requestErrorStatus int) {
	srv, url := newMock(t, mockwiz.Options{RequestErrorStatus: requestErrorStatus, Dataset: smallDataset(0, 10, 10)})
	cfg := testConfig(url)
	enableOnly(cfg, "issues", "vulnerability_findings")
	host := &statusHost{Host: componenttest.NewNopHost()}
	sink := &consumertest.LogsSink{}
	rcv, err := newWizReceiver(receivertestSettings(), cfg, sink)
	require.NoError(t, err)
	streams, _ := buildStreams(t, rcv, host)
	issues, findings := streams[0], streams[1]
	require.Equal(t, "issues", issues.logType.Key)

	srv.RemoveSchemaField("Issue", "statusChangedAt")
	err = issues.poll(context.Background())
	require.Error(t, err)
	assert.True(t, issues.stopped(err, "retry"), "the issues stream stops")
	require.Equal(t, "StatusPermanentError", host.last().Status().String())
	assert.Contains(t, host.last().Err().Error(), "issues stream stopped: wiz no longer has the field Issue.statusChangedAt, which the receiver needs to poll Wiz.Issues (issuesV2.nodes.statusChangedAt)")
	assert.Contains(t, host.last().Err().Error(), "set issues.enabled: false")

	require.NoError(t, findings.poll(context.Background()), "the findings stream goes on")
	assert.Len(t, wiztest.Received(sink)[logtype.VulnerabilityFindings.Name], 10)
	assert.Empty(t, wiztest.Received(sink)[logtype.Issues.Name])
}

// Refusals that need a human are caught by the connection check at start,
// stop the stream for good after one request, and say what to change: a
// filter key Wiz does not accept names the option that sends it and the
// value to use; an IP Wiz refuses names the allow-list.
func TestConnectionCheckStopsForGood(t *testing.T) {
	eachRequestErrorStatus(t, testConnectionCheckStopsForGood)
}

func testConnectionCheckStopsForGood(t *testing.T, requestErrorStatus int) {
	tests := []struct {
		name    string
		logType *logtype.LogType
		setup   func(srv *mockwiz.Server, cfg *Config)
		want    string
	}{
		{"a filter key Wiz does not accept", &logtype.Issues, func(srv *mockwiz.Server, cfg *Config) {
			srv.RemoveSchemaField("IssueFilters", "updatedAt")
			cfg.logType(&logtype.Issues).(*logtype.IssuesConfig).TimeField = "updated_at"
		}, "issues stream stopped: Wiz does not accept filterBy.updatedAt, which issues.time_field: updated_at sends; use issues.time_field: status_changed_at"},
		{"an IP Wiz refuses", &logtype.Audit, func(srv *mockwiz.Server, _ *Config) {
			srv.InjectGraphQLFaults(mockwiz.Fault{GraphQLCode: "FORBIDDEN_IP"})
		}, "audit stream stopped: Wiz refused this collector's IP address; add it to the service account's allowed IPs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := newMock(t, mockwiz.Options{RequestErrorStatus: requestErrorStatus, Dataset: smallDataset(5, 5, 0)})
			cfg := testConfig(url)
			enableOnly(cfg, tt.logType.Key)
			tt.setup(srv, cfg)
			host := &statusHost{Host: componenttest.NewNopHost()}
			rcv, err := newWizReceiver(receivertestSettings(), cfg, consumertest.NewNop())
			require.NoError(t, err)
			s, _ := firstStream(t, rcv, host)

			err = s.checkConnection(context.Background())
			require.Error(t, err)
			assert.True(t, s.stopped(err, "retry"))
			assert.Equal(t, "StatusPermanentError", host.last().Status().String())
			assert.Contains(t, host.last().Err().Error(), tt.want)
			assert.Equal(t, 1, srv.Stats().GraphQLRequests, "one request, not retried")
		})
	}
}

// The receiver names itself on every request to Wiz, token requests too.
func TestUserAgentReachesWiz(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(5, 0, 0)})
	cfg := testConfig(url)
	enableOnly(cfg, "audit")
	rcv, err := newWizReceiver(receivertestSettings(), cfg, consumertest.NewNop())
	require.NoError(t, err)
	s, _ := firstStream(t, rcv, componenttest.NewNopHost())
	require.NoError(t, s.poll(context.Background()))
	// The version is the collector's: receivertest's build info says latest.
	agents := srv.Stats().UserAgents
	assert.Len(t, agents, 1, "%v", agents)
	assert.Positive(t, agents["otelcol-wiz/latest"], "%v", agents)
}

// What the key is read from (the id, the polled time and the time read when
// Wiz leaves that one empty) cannot leave the query; anything else can,
// connection-level fields such as maxCountReached too.
func TestSchemaDriftKeepsWhatTheKeyNeeds(t *testing.T) {
	eachRequestErrorStatus(t, testSchemaDriftKeepsWhatTheKeyNeeds)
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
			srv, url := newMock(t, mockwiz.Options{RequestErrorStatus: requestErrorStatus, Dataset: datasetOf(42, map[string]int{tt.logType.Name: 10})})
			srv.RemoveSchemaField(tt.typ, tt.field)
			cfg := testConfig(url)
			enableOnly(cfg, tt.logType.Key)
			if findings, ok := cfg.logType(tt.logType).(*logtype.ConfigurationFindingsConfig); ok {
				// Every status, as wiztest.Expected expects every node.
				findings.Statuses = []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}
			}
			host := &statusHost{Host: componenttest.NewNopHost()}
			sink := &consumertest.LogsSink{}
			rcv, err := newWizReceiver(receivertestSettings(), cfg, sink)
			require.NoError(t, err)
			s, _ := firstStream(t, rcv, host)

			err = s.poll(context.Background())
			if !tt.stopsStream {
				require.NoError(t, err)
				wiztest.RequireExactlyOnce(t, wiztest.Expected(t, srv), wiztest.Received(sink))
				return
			}
			require.Error(t, err)
			assert.True(t, s.stopped(err, "retry"))
			assert.Contains(t, host.last().Err().Error(), "wiz no longer has the field "+tt.typ+"."+tt.field+", which the receiver needs")
			assert.Zero(t, sink.LogRecordCount())
		})
	}
}
