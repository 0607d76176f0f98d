package wizreceiver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

// Every record the mock holds inside initial_lookback arrives exactly once,
// across several pages, for all three log types, with the documented
// attributes.
func TestReceiverDeliversAllStreamsExactlyOnce(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(230, 120, 260)})
	sink := &consumertest.LogsSink{}
	startReceiver(t, testConfig(url), sink, componenttest.NewNopHost(), nil)

	want := wiztest.Expected(t, srv)
	require.Eventually(t, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) }, 20*time.Second, 50*time.Millisecond)
	// A few more polls must not repeat anything.
	time.Sleep(500 * time.Millisecond)
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))

	// One connection check per stream (first: 1), then pages of the
	// configured size.
	checks := map[string]int{}
	for _, req := range srv.Requests() {
		if req.Variables["first"] == 1.0 {
			checks[req.RootField]++
			continue
		}
		assert.EqualValues(t, 50, req.Variables["first"])
	}
	assert.Equal(t, map[string]int{"auditLogEntries": 1, "issuesV2": 1, "vulnerabilityFindings": 1}, checks)

	// One resource per receiver instance, describing the tenant's API.
	logs := sink.AllLogs()[0]
	endpoint, ok := logs.ResourceLogs().At(0).Resource().Attributes().Get("wiz.api.endpoint")
	require.True(t, ok)
	assert.Equal(t, url+"/graphql", endpoint.Str())
	forEachRecord(logs, func(lr plog.LogRecord) {
		assert.NotZero(t, lr.Timestamp())
		assert.NotZero(t, lr.ObservedTimestamp())
		assert.NotEmpty(t, lr.EventName())
		assert.Equal(t, "Map", lr.Body().Type().String())
	})
}

// New entries, issue status changes and finding re-detections are picked
// up by later polls as new records.
func TestReceiverPicksUpChanges(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(20, 10, 30)})
	sink := &consumertest.LogsSink{}
	startReceiver(t, testConfig(url), sink, componenttest.NewNopHost(), nil)

	first := wiztest.Expected(t, srv)
	require.Eventually(t, func() bool { return wiztest.AllArrived(first, wiztest.Received(sink)) }, 10*time.Second, 20*time.Millisecond)

	snapshot := srv.Snapshot()
	issues, findings := snapshot[logtype.Issues.Name], snapshot[logtype.VulnerabilityFindings.Name]
	now := time.Now()
	srv.AddAuditEntries(3, now)
	issueID := issues[0]["id"].(string)
	srv.ChangeIssueStatus(issueID, "RESOLVED", now)
	// A resolved finding seen again reopens, which moves its updatedAt.
	resolved := withStatus(findings, "RESOLVED")
	require.NotEmpty(t, resolved)
	srv.RedetectVulnerabilityFinding(resolved[0]["id"].(string), now)

	all := wiztest.Expected(t, srv)
	require.Eventually(t, func() bool { return wiztest.AllArrived(all, wiztest.Received(sink)) }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond)

	// Both versions of the issue and of the finding arrived, each once.
	got := wiztest.Received(sink)
	for typ, uids := range first {
		all[typ] = append(all[typ], uids...)
		all[typ] = dedupe(all[typ])
	}
	wiztest.RequireExactlyOnce(t, all, got)
	assert.Len(t, got["Wiz.Issues"], len(issues)+1, "the status change is a new record")
	assert.Len(t, got["Wiz.VulnerabilityFinding"], len(findings)+1, "the re-detection is a new record")
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// With file storage, a restart resumes from the checkpoint: nothing is
// lost and nothing is repeated.
func TestReceiverRestartWithStorage(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(120, 40, 60)})
	dir := t.TempDir()
	cfg := testConfig(url)
	storageID := storagetest.NewStorageID("wiz")
	cfg.StorageID = &storageID
	sink := &consumertest.LogsSink{}
	// The storage key derives from the receiver's id: keep it across runs.
	set := receivertestSettings()

	invariants := checkInvariants(t)
	run := func(until func() bool) {
		host := storagetest.NewStorageHost().WithFileBackedStorageExtension("wiz", dir)
		rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, sink)
		require.NoError(t, err)
		rcv.(*wizReceiver).afterSave = invariants
		require.NoError(t, rcv.Start(context.Background(), host))
		require.Eventually(t, until, 15*time.Second, 20*time.Millisecond)
		require.NoError(t, rcv.Shutdown(context.Background()))
	}

	first := wiztest.Expected(t, srv)
	run(func() bool { return wiztest.AllArrived(first, wiztest.Received(sink)) })

	// While the collector is down, Wiz records more.
	srv.AddAuditEntries(5, time.Now())
	all := wiztest.Expected(t, srv)
	before := len(srv.Requests())
	run(func() bool { return wiztest.AllArrived(all, wiztest.Received(sink)) && len(srv.Requests()) > before+6 })
	wiztest.RequireExactlyOnce(t, all, wiztest.Received(sink))
}

// The checkpoint advances only after the next consumer accepted a page,
// in the shape of awscloudwatch's acknowledged-checkpoint test.
func TestCheckpointAdvancesOnlyAfterConsume(t *testing.T) {
	tests := []struct {
		name          string
		audit         int
		faults        []mockwiz.Fault
		consumerErr   error
		wantErr       bool
		wantWatermark bool // the watermark moved to now
		wantCursor    bool // an unfinished window with a cursor was saved
		accepted      int  // records the consumer accepted before the failure
	}{
		{name: "api failure", audit: 30, faults: []mockwiz.Fault{{Status: 500}}, wantErr: true},
		{name: "accepted page then api failure", audit: 30, faults: []mockwiz.Fault{{Latency: time.Millisecond}, {Status: 503}}, wantErr: true, wantCursor: true, accepted: 20},
		{name: "consumer failure", audit: 30, consumerErr: errors.New("downstream unavailable"), wantErr: true},
		{name: "accepted", audit: 30, wantWatermark: true},
		{name: "empty window", audit: 0, wantWatermark: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(tt.audit, 0, 0)})
			cfg := testConfig(url)
			cfg.PageSize = 20
			cfg.Overlap = 0
			cfg.BackOff.Enabled = false
			enableOnly(cfg, "audit")
			storageID := storagetest.NewStorageID("cp")
			cfg.StorageID = &storageID
			host := storagetest.NewStorageHost().WithInMemoryStorageExtension("cp")

			var next = consumertest.NewNop()
			if tt.consumerErr != nil {
				next = consumertest.NewErr(tt.consumerErr)
			}
			rcv, err := newWizReceiver(receivertestSettings(), cfg, next)
			require.NoError(t, err)
			now := time.Now()
			rcv.now = func() time.Time { return now }
			s, _ := firstStream(t, rcv, host)
			start := s.state.Watermark

			srv.InjectGraphQLFaults(tt.faults...)
			err = s.poll(context.Background())
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}

			cp, ok, err := s.store.load(context.Background())
			require.NoError(t, err)
			switch {
			case tt.wantWatermark:
				require.True(t, ok)
				assert.True(t, cp.Watermark.Equal(now), "watermark %s, want %s", cp.Watermark, now)
				assert.Nil(t, cp.Window)
			case tt.wantCursor:
				require.True(t, ok)
				assert.True(t, cp.Watermark.Equal(start), "the watermark must not move mid-window")
				require.NotNil(t, cp.Window)
				assert.NotEmpty(t, cp.Window.Cursor)
				assert.Equal(t, tt.accepted, cp.Window.Served, "the walk's count toward Wiz's result cap")
				// Audit has a result cap: a window narrowed at the cap reads
				// these keys again, so the checkpoint keeps all of them.
				assert.Len(t, cp.Seen, tt.accepted)
			default:
				assert.False(t, ok, "nothing may be saved before the consumer accepted a page")
			}

			// Resuming from what was saved delivers the rest exactly once.
			sink := &consumertest.LogsSink{}
			s.next = sink
			if !tt.wantWatermark {
				require.NoError(t, s.poll(context.Background()))
				delivered := map[string]int{}
				for _, logs := range sink.AllLogs() {
					forEachRecord(logs, func(lr plog.LogRecord) {
						uid, _ := lr.Attributes().Get("log.record.uid")
						delivered[uid.Str()]++
					})
				}
				assert.Len(t, delivered, tt.audit-tt.accepted)
				for uid, n := range delivered {
					assert.Equal(t, 1, n, uid)
				}
			}
		})
	}
}

// Shutdown right after Start cancels in-flight work promptly, even while
// Wiz is slow to answer.
func TestShutdownIsPrompt(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(10, 10, 10)})
	srv.InjectGraphQLFaults(mockwiz.Fault{Latency: 10 * time.Second}, mockwiz.Fault{Latency: 10 * time.Second}, mockwiz.Fault{Latency: 10 * time.Second})
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertestSettings(), testConfig(url), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	require.NoError(t, rcv.Shutdown(context.Background()))
	assert.Less(t, time.Since(start), 2*time.Second)
}

// Shutdown returns when its context ends, even while the next consumer
// ignores cancellation, so a stuck exporter cannot hang the collector.
func TestShutdownHonoursContext(t *testing.T) {
	_, url := newMock(t, mockwiz.Options{Dataset: smallDataset(5, 0, 0)})
	cfg := testConfig(url)
	enableOnly(cfg, "audit")
	entered, release := make(chan struct{}), make(chan struct{})
	stuck, err := consumer.NewLogs(func(context.Context, plog.Logs) error {
		close(entered)
		<-release
		return nil
	})
	require.NoError(t, err)
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertestSettings(), cfg, stuck)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	<-entered

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = rcv.Shutdown(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)

	// Once the consumer returns, a second Shutdown completes.
	close(release)
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// A receiver reports StatusOK once its streams poll successfully.
func TestStatusOK(t *testing.T) {
	_, url := newMock(t, mockwiz.Options{Dataset: smallDataset(5, 5, 5)})
	host := &statusHost{Host: componenttest.NewNopHost()}
	startReceiver(t, testConfig(url), consumertest.NewNop(), host, nil)
	require.Eventually(t, func() bool {
		ev := host.last()
		return ev != nil && ev.Status() == componentstatus.StatusOK
	}, 10*time.Second, 20*time.Millisecond)
}

// Memory stays flat on a long backlog: in the middle of a window, a stream
// without a result cap holds only the keys a later query reads again (the
// overlaps), not every key it has delivered from the window.
func TestWindowKeysStayBounded(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(0, 0, 200)})
	cfg := testConfig(url)
	cfg.PageSize = 20
	cfg.Overlap = 30 * time.Second
	enableOnly(cfg, "vulnerability_findings")
	cfg.BackOff.Enabled = false
	rcv, err := newWizReceiver(receivertestSettings(), cfg, consumertest.NewNop())
	require.NoError(t, err)
	s, _ := firstStream(t, rcv, componenttest.NewNopHost())
	pass := mockwiz.Fault{Latency: time.Millisecond}
	srv.InjectGraphQLFaults(pass, pass, pass, mockwiz.Fault{Status: 500})
	require.Error(t, s.poll(context.Background()))

	require.NotNil(t, s.state.Window)
	assert.NotEmpty(t, s.state.Window.Cursor, "three pages were delivered")
	assert.Empty(t, s.dedup.seen, "60 delivered keys, none inside an overlap")
}
