package wizreceiver

import (
	"context"
	"errors"
	"math/bits"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
)

// strictLimit is the recursion limit of a backend stricter than OTLP's
// usual 100: it decodes the mock's records, whose bodies nest at most five
// levels (5 + 3·5 messages), and refuses one that nests deepLevels.
const (
	strictLimit = 40
	// deepLevels levels of objects below a body: 5 + 3·(deepLevels+1)
	// messages, past strictLimit.
	deepLevels = 12
)

// deepParams is an input of levels nested objects.
func deepParams(levels int) any {
	var v any = "leaf"
	for range levels {
		v = map[string]any{"a": v}
	}
	return v
}

// withDeepEntry is a mock Wiz of 60 audit entries, one of which (returned
// with its polled time) records an input nested levels deep.
func withDeepEntry(t *testing.T, levels int) (srv *mockwiz.Server, url, deepID string, deepAt time.Time) {
	t.Helper()
	srv, url = newMock(t, mockwiz.Options{Dataset: smallDataset(60, 0, 0)})
	audit := srv.Snapshot()[logtype.Audit.Name]
	deep := audit[len(audit)/2]
	deepID = deep["id"].(string)
	deepAt, err := time.Parse(time.RFC3339Nano, deep["timestamp"].(string))
	require.NoError(t, err)
	srv.SetActionParameters(deepID, deepParams(levels))
	return srv, url, deepID, deepAt
}

// without is want less the audit entry with the id, whose uid is its id.
func without(want wiztest.UIDs, id string) wiztest.UIDs {
	want[logtype.Audit.Name] = slices.DeleteFunc(want[logtype.Audit.Name], func(uid string) bool { return uid == id })
	return want
}

// A page the next consumer refuses for good because of one record is
// split until that record stands alone: every other record arrives once,
// only that one is dropped, logged with its id and counted, and the
// checkpoint moves past the page.
func TestPollDropsOnlyTheRefusedRecord(t *testing.T) {
	srv, url, deepID, deepAt := withDeepEntry(t, deepLevels)
	cfg := testConfig(url)
	cfg.PageSize = 20
	enableOnly(cfg, "audit")
	backend := &wiztest.StrictBackend{Limit: strictLimit}
	set, tt, logs := observedSettings(t)
	rcv, err := newWizReceiver(set, cfg, backend)
	require.NoError(t, err)
	streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())

	want := without(auditOnly(wiztest.Expected(t, srv)), deepID)
	require.Len(t, want[logtype.Audit.Name], 59)
	pollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(&backend.LogsSink)) })
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(&backend.LogsSink))

	s := streams[0]
	assert.Nil(t, s.state.Window, "the poll finished")
	assert.True(t, s.state.Watermark.After(deepAt), "the checkpoint moved past the dropped record")
	dropped := logs.FilterMessageSnippet("permanently refused").All()
	require.Len(t, dropped, 1)
	assert.Equal(t, []any{deepID}, dropped[0].ContextMap()["ids"], "the log line names the dropped record")
	assert.EqualValues(t, 1, dropped[0].ContextMap()["records"])
	// Each halving costs one refusal: the page's, then one per level down
	// to the record.
	assert.LessOrEqual(t, backend.Refusals(), int64(1+bits.Len(uint(cfg.PageSize))))

	logType := attribute.String(attrLogType, logtype.Audit.Name)
	metadatatest.AssertEqualWizRecordsDropped(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(logType, attribute.String(attrReason, dropRefused))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualWizRecordsEmitted(t, tt, []metricdata.DataPoint[int64]{
		{Value: 59, Attributes: attribute.NewSet(logType)},
	}, metricdatatest.IgnoreTimestamp())
	// The collector's own counts see each record once, not once per
	// halving.
	assert.Equal(t, int64(59), receiverCount(t, tt, "otelcol_receiver_accepted_log_records"))
	assert.Equal(t, int64(1), receiverCount(t, tt, "otelcol_receiver_refused_log_records"))
}

// receiverCount is the sum of a receiverhelper counter.
func receiverCount(t *testing.T, tt *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tt.GetMetric(name)
	require.NoError(t, err)
	sum := int64(0)
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		sum += dp.Value
	}
	return sum
}

// outageInSplit is a strict backend that goes down for one request while it
// refuses a page in part: the request after the first one it accepts past
// a refusal is refused for now.
type outageInSplit struct {
	wiztest.StrictBackend
	refused, accepted, down bool
}

func (b *outageInSplit) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if b.accepted && !b.down {
		b.down = true
		return errors.New("backend unavailable")
	}
	err := b.StrictBackend.ConsumeLogs(ctx, ld)
	b.accepted = b.accepted || b.refused && err == nil
	b.refused = b.refused || err != nil
	return err
}

// A page split by a permanent refusal, then refused for now part-way, is
// read again at the next poll; what the consumer accepted of it before is
// not sent twice.
func TestPollSplitRepeatsNothingAfterAnOutage(t *testing.T) {
	srv, url, deepID, _ := withDeepEntry(t, deepLevels)
	cfg := testConfig(url)
	cfg.PageSize = 20
	// Without retries the outage fails the poll at once.
	cfg.BackOff.Enabled = false
	enableOnly(cfg, "audit")
	backend := &outageInSplit{StrictBackend: wiztest.StrictBackend{Limit: strictLimit}}
	set, _, logs := observedSettings(t)
	rcv, err := newWizReceiver(set, cfg, backend)
	require.NoError(t, err)
	streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())

	want := without(auditOnly(wiztest.Expected(t, srv)), deepID)
	pollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(&backend.LogsSink)) })
	require.True(t, backend.down, "the outage happened")
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(&backend.LogsSink))
	dropped := logs.FilterMessageSnippet("permanently refused").All()
	require.Len(t, dropped, 1, "the record is dropped once")
	assert.Equal(t, []any{deepID}, dropped[0].ContextMap()["ids"])
}

// A body nested deeper than OTLP/protobuf allows is delivered with its deep
// part as JSON text, and counted.
func TestPollDeliversDeepBody(t *testing.T) {
	srv, url, deepID, _ := withDeepEntry(t, 200)
	cfg := testConfig(url)
	cfg.PageSize = 20
	enableOnly(cfg, "audit")
	backend := &wiztest.StrictBackend{}
	set, tt, _ := observedSettings(t)
	rcv, err := newWizReceiver(set, cfg, backend)
	require.NoError(t, err)
	streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())

	want := auditOnly(wiztest.Expected(t, srv))
	pollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(&backend.LogsSink)) })
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(&backend.LogsSink))
	assert.Zero(t, backend.Refusals())
	assert.Contains(t, wiztest.Received(&backend.LogsSink)[logtype.Audit.Name], deepID)
	metadatatest.AssertEqualWizRecordsFlattened(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String(attrLogType, logtype.Audit.Name))},
	}, metricdatatest.IgnoreTimestamp())
}
