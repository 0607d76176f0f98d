// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"net/http"
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

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// Every record the mock holds inside initial_lookback arrives exactly once,
// across several pages, for all three log types, with the documented
// attributes.
func TestReceiverDeliversAllStreamsExactlyOnce(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(230, 120, 260)})
	sink := &consumertest.LogsSink{}
	_, pacer := startReceiver(t, testConfig(url), sink, componenttest.NewNopHost(), nil)

	want := wiztest.Expected(t, srv)
	pacer.Until(t, 3, 5, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
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
	polltest.ForEachRecord(logs, func(lr plog.LogRecord) {
		assert.NotZero(t, lr.Timestamp())
		assert.NotZero(t, lr.ObservedTimestamp())
		assert.NotEmpty(t, lr.EventName())
		assert.Equal(t, "Map", lr.Body().Type().String())
	})
}

// New entries, issue status changes and finding re-detections are picked
// up by later polls as new records.
func TestReceiverPicksUpChanges(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(20, 10, 30)})
	sink := &consumertest.LogsSink{}
	_, pacer := startReceiver(t, testConfig(url), sink, componenttest.NewNopHost(), nil)

	first := wiztest.Expected(t, srv)
	pacer.Until(t, 3, 5, func() bool { return wiztest.AllArrived(first, wiztest.Received(sink)) })

	snapshot := srv.Snapshot()
	issues, findings := snapshot[logtype.Issues.Name], snapshot[logtype.VulnerabilityFindings.Name]
	now := time.Now()
	srv.AddAuditEntries(3, now)
	issueID := issues[0]["id"].(string)
	srv.ChangeIssueStatus(issueID, "RESOLVED", now)
	// A resolved finding seen again reopens, which moves its updatedAt.
	resolved := polltest.WithStatus(findings, "RESOLVED")
	require.NotEmpty(t, resolved)
	srv.RedetectVulnerabilityFinding(resolved[0]["id"].(string), now)

	all := wiztest.Expected(t, srv)
	pacer.Next()
	pacer.Until(t, 3, 5, func() bool { return wiztest.AllArrived(all, wiztest.Received(sink)) })

	// Both versions of the issue and of the finding arrived, each once.
	got := wiztest.Received(sink)
	for typ, uids := range first {
		all[typ] = append(all[typ], uids...)
		all[typ] = polltest.Dedupe(all[typ])
	}
	wiztest.RequireExactlyOnce(t, all, got)
	assert.Len(t, got["Wiz.Issues"], len(issues)+1, "the status change is a new record")
	assert.Len(t, got["Wiz.VulnerabilityFinding"], len(findings)+1, "the re-detection is a new record")
}

// With file storage, a restart resumes from the checkpoint: nothing is
// lost and nothing is repeated.
func TestReceiverRestartWithStorage(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(120, 40, 60)})
	dir := t.TempDir()
	cfg := testConfig(url)
	storageID := storagetest.NewStorageID("wiz")
	cfg.StorageID = &storageID
	sink := &consumertest.LogsSink{}
	// The storage key derives from the receiver's id: keep it across runs.
	set := receivertestSettings()

	run := func(want wiztest.UIDs) {
		host := storagetest.NewStorageHost().WithFileBackedStorageExtension("wiz", dir)
		rcv, pacer := newReceiver(t, set, cfg, sink)
		require.NoError(t, rcv.Start(context.Background(), host))
		pacer.Until(t, 3, 5, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
		require.NoError(t, rcv.Shutdown(context.Background()))
	}

	first := wiztest.Expected(t, srv)
	run(first)
	wiztest.RequireExactlyOnce(t, first, wiztest.Received(sink))

	// While the collector is down, Wiz records more.
	srv.AddAuditEntries(5, time.Now())
	all := wiztest.Expected(t, srv)
	run(all)
	wiztest.RequireExactlyOnce(t, all, wiztest.Received(sink))
}

// Shutdown cancels in-flight work: it returns while Wiz has yet to answer
// a request, which Wiz sees cancelled.
func TestShutdownCancelsRequests(t *testing.T) {
	asked, cancelled := make(chan struct{}, 3), make(chan struct{}, 3)
	fake := wiztest.NewFakeWiz(t, wiztest.WithAPI(func(_ http.ResponseWriter, r *http.Request) {
		// A Wiz that never answers: the request ends when the client
		// gives up on it.
		asked <- struct{}{}
		<-r.Context().Done()
		cancelled <- struct{}{}
	}))
	rcv, _ := newReceiver(t, receivertestSettings(), testConfig(fake.URL), consumertest.NewNop())
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	awaitSignal(t, asked, "a request reaching Wiz")

	// The deadline guards against a hang only: nothing answers the
	// requests, so a shutdown that waited for them would never end.
	ctx, cancel := context.WithTimeout(context.Background(), wiztest.HangGuard)
	defer cancel()
	require.NoError(t, rcv.Shutdown(ctx), "shutdown waited for the requests in flight")
	awaitSignal(t, cancelled, "the request in flight ending")
}

// Shutdown returns when its context ends, even while the next consumer
// ignores cancellation, so a stuck exporter cannot hang the collector.
func TestShutdownHonoursContext(t *testing.T) {
	_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(5, 0, 0)})
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

	// The collector gives up on the shutdown.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	shutdown := make(chan error, 1)
	go func() { shutdown <- rcv.Shutdown(ctx) }()
	select {
	case err := <-shutdown:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(wiztest.HangGuard):
		t.Fatal("shutdown waited for the stuck consumer past the end of its context")
	}

	// Once the consumer returns, a second Shutdown completes.
	close(release)
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// A receiver reports StatusOK once its streams poll successfully.
func TestStatusOK(t *testing.T) {
	_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(5, 5, 5)})
	host := newStatusHost()
	_, pacer := startReceiver(t, testConfig(url), consumertest.NewNop(), host, nil)
	pacer.Await(t, 3)
	require.NotNil(t, host.last())
	assert.Equal(t, componentstatus.StatusOK, host.last().Status())
}

// An entry Wiz indexes after a poll passed its timestamp is picked up by
// the overlap, once. Wiz and the receiver share a clock the test moves.
func TestLateEntriesInsideOverlap(t *testing.T) {
	clock := wiztest.NewClock(time.Now())
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(20, 0, 0), Now: clock.Now})
	cfg := testConfig(url)
	enableOnly(cfg, "audit")
	cfg.Overlap = time.Minute
	sink := &consumertest.LogsSink{}

	// Three entries stamped 10 s ago become visible only in 600 ms, after
	// the first poll has moved the checkpoint past their time.
	late := srv.AddAuditEntries(3, clock.Now().Add(-10*time.Second))
	for _, id := range late {
		srv.HideUntil(id, clock.Now().Add(600*time.Millisecond))
	}
	rcv, pacer := newReceiver(t, receivertestSettings(), cfg, sink)
	rcv.now = clock.Now
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	pacer.Await(t, 1)
	for _, id := range late {
		assert.Zero(t, wiztest.Received(sink)[logtype.Audit.Name][id], "%s: hidden from the first poll", id)
	}

	clock.Advance(time.Second)
	want := wiztest.Expected(t, srv)
	pacer.Next()
	pacer.Until(t, 1, 5, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
	// A poll on a clock that stands still reads nothing: one a second
	// later re-reads the overlap, and must repeat nothing.
	clock.Advance(time.Second)
	pacer.Next()
	pacer.Await(t, 1)
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
	polltest.AssertAuditOnce(t, late, sink)
}

// The receiver names itself on every request to Wiz, token requests too.
func TestUserAgentReachesWiz(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(5, 0, 0)})
	cfg := testConfig(url)
	enableOnly(cfg, "audit")
	rcv, err := newWizReceiver(receivertestSettings(), cfg, consumertest.NewNop())
	require.NoError(t, err)
	s, _ := firstStream(t, rcv, componenttest.NewNopHost())
	require.NoError(t, s.Poll(context.Background()))
	// The version is the collector's: receivertest's build info says latest.
	agents := srv.Stats().UserAgents
	assert.Len(t, agents, 1, "%v", agents)
	assert.Positive(t, agents["otelcol-wiz/latest"], "%v", agents)
}

// The default max_response_size holds four 500-node pages of the heaviest
// data set, as the mock renders them with the receiver's own queries: at a
// quarter of it, every log type's full pages of 500 are read whole.
func TestDefaultMaxResponseSizeHoldsFourPages(t *testing.T) {
	counts := map[string]int{}
	for _, lt := range logtype.All {
		counts[lt.Name] = 2 * maxPageSize
	}
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.DatasetOf(7, counts)})
	cfg := testConfig(url)
	cfg.MaxResponseSize = defaultMaxResponseSize / 4
	cfg.PageSize = maxPageSize
	for _, lt := range logtype.All {
		cfg.logType(lt).Settings().Enabled = true
	}
	// Every status, so that every node matches and a page is full.
	cfg.logType(&logtype.ConfigurationFindings).(*logtype.ConfigurationFindingsConfig).Statuses = []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}
	sink := &consumertest.LogsSink{}
	rcv, err := newWizReceiver(receivertestSettings(), cfg, sink)
	require.NoError(t, err)
	streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())
	require.Len(t, streams, len(logtype.All))
	for _, s := range streams {
		require.NoError(t, s.Poll(context.Background()), s.Key())
	}
	full := map[string]int{}
	for _, req := range srv.Requests() {
		if req.Variables["first"] == float64(maxPageSize) && req.Status == http.StatusOK {
			full[req.RootField]++
		}
	}
	assert.Len(t, full, len(logtype.All), "%v", full)
	for root, n := range full {
		assert.GreaterOrEqual(t, n, 2, "%s: the walk's two pages of 500", root)
	}
	wiztest.RequireExactlyOnce(t, wiztest.Expected(t, srv), wiztest.Received(sink))
}
