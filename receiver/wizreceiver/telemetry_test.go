package wizreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
)

// The no-events alert rises when a stream delivers nothing for
// no_events_timeout while its polls succeed, and clears when records flow.
func TestNoEventsAlert(t *testing.T) {
	// Wiz and the collector share the clock: windows end at Wiz's.
	clock := wiztest.NewClock(time.Now())
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(10, 0, 0), Now: clock.Now})
	cfg := testConfig(url)
	cfg.NoEventsTimeout = time.Hour
	enableOnly(cfg, "audit")

	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tt)
	core, logs := observer.New(zapcore.InfoLevel)
	set.Logger = zap.New(core)
	rcv, err := newWizReceiver(set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	rcv.now = clock.Now
	host := &statusHost{Host: componenttest.NewNopHost()}
	s, _ := firstStream(t, rcv, host)

	pollAndReport := func() {
		t.Helper()
		require.NoError(t, s.poll(context.Background()))
		s.status.report(s.logType.Key, s.checkSilence(), false)
	}
	noEvents := func(v int64) {
		t.Helper()
		metadatatest.AssertEqualWizNoEvents(t, tt, []metricdata.DataPoint[int64]{
			{Value: v, Attributes: attribute.NewSet(attribute.String("log_type", "Wiz.Audit"))},
		}, metricdatatest.IgnoreTimestamp())
	}

	pollAndReport()
	assert.Equal(t, componentstatus.StatusOK, host.last().Status())

	// 59 silent minutes: still fine. 61: the alert rises, once.
	clock.Advance(59 * time.Minute)
	pollAndReport()
	assert.Equal(t, componentstatus.StatusOK, host.last().Status())
	clock.Advance(2 * time.Minute)
	pollAndReport()
	pollAndReport()
	ev := host.last()
	assert.Equal(t, componentstatus.StatusRecoverableError, ev.Status())
	assert.Contains(t, ev.Err().Error(), "audit stream: no records for 1h1m0s (last record at")
	require.Equal(t, 1, logs.FilterMessage("No events").Len())
	assert.Equal(t, "audit", logs.FilterMessage("No events").All()[0].ContextMap()["stream"])
	noEvents(1)

	// Wiz records something (at the fake clock's now): the alert clears.
	srv.AddAuditEntries(1, clock.Now().Add(time.Second))
	clock.Advance(2 * time.Second)
	pollAndReport()
	assert.Equal(t, componentstatus.StatusOK, host.last().Status())
	assert.Equal(t, 1, logs.FilterMessage("Records are flowing again").Len())
	noEvents(0)
}

// The receiver's own metrics report what happened: records per log type,
// API requests per operation and status, retries and throttling.
func TestSelfTelemetry(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(30, 0, 0)})
	srv.InjectGraphQLFaults(mockwiz.Fault{Status: 429, RetryAfter: "1"}, mockwiz.Fault{Status: 503})
	cfg := testConfig(url)
	cfg.PageSize = 10
	cfg.BackOff.MaxInterval = time.Second // Retry-After waits up to it
	enableOnly(cfg, "audit")

	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sink := &consumertest.LogsSink{}
	rcv, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tt), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 30 }, 10*time.Second, 20*time.Millisecond)
	// The poll's gauges are recorded once the poll has returned, a moment
	// after its last page was delivered.
	require.Eventually(t, func() bool {
		_, err := tt.GetMetric("otelcol_wiz_checkpoint_lag")
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
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

	wait, err := tt.GetMetric("otelcol_wiz_rate_limiter_wait_time")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, wait.Data.(metricdata.Sum[float64]).DataPoints[0].Value, 0.9, "the Retry-After pause is waiting time")

	lag, err := tt.GetMetric("otelcol_wiz_checkpoint_lag")
	require.NoError(t, err)
	assert.Less(t, lag.Data.(metricdata.Gauge[float64]).DataPoints[0].Value, 5.0)
}

// At start each stream logs one summary line and checks the connection with
// a one-node query before it starts polling.
func TestStartupSummaryAndConnectionCheck(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(5, 5, 5)})
	cfg := testConfig(url)
	cfg.ProjectIDs = []string{"p-1"}
	core, logs := observer.New(zapcore.InfoLevel)
	host := &statusHost{Host: componenttest.NewNopHost()}
	startReceiver(t, cfg, consumertest.NewNop(), host, zap.New(core))
	require.Eventually(t, func() bool { return logs.FilterMessage("Connection check passed").Len() == 3 }, 5*time.Second, 10*time.Millisecond)

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

// fixedPages serves its pages in order, then empty pages.
type fixedPages struct {
	pages []wiz.Page
	calls int
}

func (p *fixedPages) FetchPage(context.Context, wiz.Request) (wiz.Page, error) {
	if p.calls >= len(p.pages) {
		return wiz.Page{}, nil
	}
	p.calls++
	return p.pages[p.calls-1], nil
}

// Records the stream cannot deliver are counted by reason, and the stream
// moves past them: a node it cannot map, and a page the next consumer
// refuses for good.
func TestDroppedRecordsByReason(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	cfg := testConfig("http://127.0.0.1:1")
	cfg.Overlap = 0
	enableOnly(cfg, "audit")
	// The first page is accepted, the second refused for good.
	next := &refuseNth{LogsSink: &consumertest.LogsSink{}, n: 2, err: consumererror.NewPermanent(errors.New("malformed records"))}
	rcv, err := newWizReceiver(metadatatest.NewSettings(tt), cfg, next)
	require.NoError(t, err)
	s, _ := firstStream(t, rcv, componenttest.NewNopHost())
	at := s.state.Watermark.Add(time.Minute).UTC().Format(time.RFC3339Nano)
	s.client = &fixedPages{pages: []wiz.Page{
		{Nodes: []json.RawMessage{
			json.RawMessage(`{"id":"a-1","timestamp":"` + at + `"}`),
			json.RawMessage(`{"id":"no-time","timestamp":"yesterday"}`),
		}, HasNextPage: true, EndCursor: "c1"},
		{Nodes: []json.RawMessage{json.RawMessage(`{"id":"a-2","timestamp":"` + at + `"}`)}},
	}}

	require.NoError(t, s.poll(context.Background()))
	assert.Nil(t, s.state.Window, "the stream moved past both")
	assert.Equal(t, 1, next.LogRecordCount())

	logType := attribute.String("log_type", "Wiz.Audit")
	metadatatest.AssertEqualWizRecordsDropped(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(logType, attribute.String("reason", "unmappable"))},
		{Value: 1, Attributes: attribute.NewSet(logType, attribute.String("reason", "consumer_refused"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualWizRecordsEmitted(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(logType)},
	}, metricdatatest.IgnoreTimestamp())
}
