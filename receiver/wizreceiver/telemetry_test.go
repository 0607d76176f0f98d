// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// The receiver's own metrics report what happened: records per log type,
// API requests per operation and status, retries and throttling. Wiz and
// the receiver share a clock that stands still.
func TestSelfTelemetry(t *testing.T) {
	clock := wiztest.NewClock(time.Now())
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(30, 0, 0), Now: clock.Now})
	srv.InjectGraphQLFaults(mockwiz.Fault{Status: 429, RetryAfter: "1"}, mockwiz.Fault{Status: 503})
	cfg := testConfig(url)
	cfg.PageSize = 10
	enableOnly(cfg, "audit")

	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sink := &consumertest.LogsSink{}
	rcv, pacer := newReceiver(t, metadatatest.NewSettings(tt), cfg, sink)
	rcv.now = clock.Now
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	// The poll's gauges are recorded once the poll has returned.
	pacer.Until(t, 1, 5, func() bool { return sink.LogRecordCount() == 30 })
	require.NoError(t, rcv.Shutdown(context.Background()))

	logType := attribute.NewSet(attribute.String("log_type", "Wiz.Audit"))
	metadatatest.AssertEqualWizRecordsEmitted(t, tt, []metricdata.DataPoint[int64]{{Value: 30, Attributes: logType}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualWizAPIThrottled(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("operation", "AuditLogTable"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualWizAPIRetries(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("operation", "AuditLogTable"), attribute.String("reason", "throttled"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("operation", "AuditLogTable"), attribute.String("reason", "server_error"))},
	}, metricdatatest.IgnoreTimestamp())

	got, err := tt.GetMetric("otelcol_wiz_api_requests")
	require.NoError(t, err)
	byStatus := map[int64]int64{}
	for _, dp := range got.Data.(metricdata.Sum[int64]).DataPoints {
		code, _ := dp.Attributes.Value("http.response.status_code")
		byStatus[code.AsInt64()] += dp.Value
	}
	assert.Equal(t, int64(1), byStatus[429])
	assert.Equal(t, int64(1), byStatus[503])
	assert.GreaterOrEqual(t, byStatus[200], int64(3), "three pages of ten")

	// The limiter's waits, the Retry-After pause among them, are recorded
	// (how long they are is the limiter's tests' to check, on a clock).
	_, err = tt.GetMetric("otelcol_wiz_rate_limiter_wait_time")
	require.NoError(t, err)

	// The poll read up to the clock.
	metadatatest.AssertEqualWizCheckpointLag(t, tt, []metricdata.DataPoint[float64]{{Value: 0, Attributes: logType}}, metricdatatest.IgnoreTimestamp())
}

// At start each stream logs one summary line and checks the connection with
// a one-node query before it starts polling.
func TestStartupSummaryAndConnectionCheck(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(5, 5, 5)})
	cfg := testConfig(url)
	cfg.ProjectIDs = []string{"p-1"}
	core, logs := observer.New(zapcore.InfoLevel)
	host := newStatusHost()
	_, pacer := startReceiver(t, cfg, consumertest.NewNop(), host, zap.New(core))
	pacer.Await(t, 3)
	require.Equal(t, 3, logs.FilterMessage("Connection check passed").Len())

	summaries := logs.FilterMessage("Wiz stream enabled").All()
	require.Len(t, summaries, 3)
	fields := map[string]map[string]any{}
	for _, e := range summaries {
		fields[e.ContextMap()["stream"].(string)] = e.ContextMap()
	}
	assert.Equal(t, "timestamp", fields["audit"]["time_field"])
	assert.Equal(t, "statusChangedAt", fields["issues"]["time_field"])
	assert.Equal(t, "updatedAt", fields["vulnerability_findings"]["time_field"])
	assert.Equal(t, false, fields["audit"]["from_checkpoint"])
	assert.Equal(t, map[string]any{"project": []string{"p-1"}}, fields["issues"]["filter"])
	assert.Nil(t, fields["audit"]["filter"], "audit logs have no project filter")

	// The first request of each stream asked for one node.
	firstByRoot := map[string]any{}
	for _, req := range srv.Requests() {
		if _, seen := firstByRoot[req.RootField]; !seen {
			firstByRoot[req.RootField] = req.Variables["first"]
		}
	}
	assert.Equal(t, map[string]any{"auditLogEntries": 1.0, "issuesV2": 1.0, "vulnerabilityFindings": 1.0}, firstByRoot)
	assert.Equal(t, componentstatus.StatusOK, host.all()[0].Status(), "the check reports OK before any poll completes")
}

// What the engine and the webhook count becomes the receiver's metrics,
// each record count with its log type (and why it was dropped), zero
// counts left out.
func TestStreamAndWebhookTelemetry(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tb, err := metadata.NewTelemetryBuilder(metadatatest.NewSettings(tt).TelemetrySettings)
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)
	m := &telemetry{tb: tb}

	audit := m.forStream(logtype.Audit.Name)
	audit.Emitted(3)
	audit.Flattened(1)
	audit.Flattened(0)
	audit.Refused(2)
	audit.Unmappable(1)
	audit.Unmappable(0)
	audit.Deduplicated(4)
	audit.Deduplicated(0)
	audit.FieldDropped("AuditLogEntry.user")
	audit.NoEvents(true)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	audit.Polled(now, now.Add(-90*time.Second), now.Add(-time.Hour), true)

	hook := m.forWebhook()
	hook.Responded(http.StatusOK)
	hook.Responded(http.StatusOK)
	hook.Responded(http.StatusUnauthorized)
	hook.AuthFailed()
	hook.BodyRead(100)
	hook.BodyRead(0)
	hook.Redelivered()
	hook.Emitted(logtype.Threats.Name, 2)
	hook.Flattened(logtype.Threats.Name, 1)
	hook.Refused(logtype.Threats.Name, 1)
	m.ClockSkew(-179500 * time.Millisecond)

	auditType := attribute.String(attrLogType, logtype.Audit.Name)
	threats := attribute.String(attrLogType, logtype.Threats.Name)
	ignore := metricdatatest.IgnoreTimestamp()
	metadatatest.AssertEqualWizRecordsEmitted(t, tt, []metricdata.DataPoint[int64]{
		{Value: 3, Attributes: attribute.NewSet(auditType)}, {Value: 2, Attributes: attribute.NewSet(threats)},
	}, ignore)
	metadatatest.AssertEqualWizRecordsFlattened(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(auditType)}, {Value: 1, Attributes: attribute.NewSet(threats)},
	}, ignore)
	metadatatest.AssertEqualWizRecordsDropped(t, tt, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: attribute.NewSet(auditType, attribute.String(attrReason, dropRefused))},
		{Value: 1, Attributes: attribute.NewSet(auditType, attribute.String(attrReason, dropUnmappable))},
		{Value: 1, Attributes: attribute.NewSet(threats, attribute.String(attrReason, dropRefused))},
	}, ignore)
	metadatatest.AssertEqualWizRecordsDeduplicated(t, tt, []metricdata.DataPoint[int64]{{Value: 4, Attributes: attribute.NewSet(auditType)}}, ignore)
	metadatatest.AssertEqualWizQueryFieldsDropped(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(auditType, attribute.String(attrField, "AuditLogEntry.user"))},
	}, ignore)
	metadatatest.AssertEqualWizNoEvents(t, tt, []metricdata.DataPoint[int64]{{Value: 1, Attributes: attribute.NewSet(auditType)}}, ignore)
	metadatatest.AssertEqualWizCheckpointLag(t, tt, []metricdata.DataPoint[float64]{{Value: 90, Attributes: attribute.NewSet(auditType)}}, ignore)
	metadatatest.AssertEqualWizSecondsSinceLastRecord(t, tt, []metricdata.DataPoint[float64]{{Value: 3600, Attributes: attribute.NewSet(auditType)}}, ignore)
	metadatatest.AssertEqualWizLastSuccessfulPoll(t, tt, []metricdata.DataPoint[int64]{{Value: now.Unix(), Attributes: attribute.NewSet(auditType)}}, ignore)
	metadatatest.AssertEqualWizWebhookRequests(t, tt, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: attribute.NewSet(attribute.Int(attrStatus, http.StatusOK))},
		{Value: 1, Attributes: attribute.NewSet(attribute.Int(attrStatus, http.StatusUnauthorized))},
	}, ignore)
	metadatatest.AssertEqualWizWebhookAuthFailures(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, ignore)
	metadatatest.AssertEqualWizWebhookRequestBytes(t, tt, []metricdata.DataPoint[int64]{{Value: 100}}, ignore)
	metadatatest.AssertEqualWizWebhookRedeliveriesSuppressed(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, ignore)
	metadatatest.AssertEqualWizClockSkew(t, tt, []metricdata.DataPoint[float64]{{Value: -179.5}}, ignore)
}
