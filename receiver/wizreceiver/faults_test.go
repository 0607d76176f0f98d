package wizreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

func repeat(f mockwiz.Fault, n int) []mockwiz.Fault {
	out := make([]mockwiz.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// Each fault, injected while the receiver walks several pages of the three
// default log types (of all five in the random mix), costs nothing: every
// record arrives exactly once. The streams are polled directly, one after
// another: the collector's goroutines add nothing to what a fault does to a
// poll.
func TestFaultsLoseAndRepeatNothing(t *testing.T) {
	inOneSecond := time.Now().Add(time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name   string
		opts   mockwiz.Options
		inject func(srv *mockwiz.Server)
		check  func(t *testing.T, srv *mockwiz.Server)
		// optIn also polls the log types that are off by default.
		optIn bool
	}{
		{name: "429 with Retry-After in seconds", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Status: 429, RetryAfter: "1"}, mockwiz.Fault{Status: 429, RetryAfter: "1"})
		}},
		{name: "429 with Retry-After as an HTTP date", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Status: 429, RetryAfter: inOneSecond})
		}},
		{name: "429 without Retry-After", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 429}, 3)...)
		}},
		{name: "500", inject: func(srv *mockwiz.Server) { srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 500}, 3)...) }},
		{name: "502", inject: func(srv *mockwiz.Server) { srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 502}, 3)...) }},
		{name: "503", inject: func(srv *mockwiz.Server) { srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 503}, 3)...) }},
		{name: "connection dropped mid-body", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{DropMidBody: true}, mockwiz.Fault{DropMidBody: true})
		}},
		{name: "GraphQL error with HTTP 200", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(repeat(mockwiz.Fault{GraphQLCode: "INTERNAL"}, 3)...)
		}},
		{name: "token expiring mid-walk", opts: mockwiz.Options{TokenLifetime: 300 * time.Millisecond}, check: func(t *testing.T, srv *mockwiz.Server) {
			assert.Greater(t, srv.Stats().TokenRequests, 1)
		}},
		{name: "token endpoint down for a while", inject: func(srv *mockwiz.Server) {
			srv.InjectTokenFaults(mockwiz.Fault{Status: 503}, mockwiz.Fault{Status: 502}, mockwiz.Fault{DropMidBody: true}, mockwiz.Fault{Latency: 200 * time.Millisecond})
		}},
		{name: "repeated cursor", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{Latency: time.Millisecond},
				mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{RepeatCursor: true}, mockwiz.Fault{RepeatCursor: true})
		}},
		{name: "random mix", inject: func(srv *mockwiz.Server) { srv.SetFaultRate(0.2, 11) }, optIn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			counts := map[string]int{logtype.Audit.Name: 90, logtype.Issues.Name: 50, logtype.VulnerabilityFindings.Name: 70}
			if tt.optIn {
				counts[logtype.ConfigurationFindings.Name], counts[logtype.Detections.Name] = 60, 60
			}
			opts.Dataset = datasetOf(42, counts)
			srv, url := newMock(t, opts)
			if tt.inject != nil {
				tt.inject(srv)
			}
			cfg := testConfig(url)
			if tt.optIn {
				enableOptIn(cfg, logtype.Audit.Key, logtype.Issues.Key, logtype.VulnerabilityFindings.Key)
			}
			cfg.PageSize = 15
			cfg.RequestsPerSecond = 40
			sink := &consumertest.LogsSink{}
			rcv, err := newWizReceiver(receivertestSettings(), cfg, sink)
			require.NoError(t, err)
			streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())

			want := wiztest.Expected(t, srv)
			pollUntil(t, streams, 20, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
			wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
			if tt.check != nil {
				tt.check(t, srv)
			}
		})
	}
}

// An entry Wiz indexes after a poll passed its timestamp is picked up by
// the overlap, once.
func TestLateEntriesInsideOverlap(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(20, 0, 0)})
	cfg := testConfig(url)
	enableOnly(cfg, "audit")
	cfg.Overlap = time.Minute
	sink := &consumertest.LogsSink{}

	// Three entries stamped 10s ago become visible only in 600ms, after
	// the first polls have moved the checkpoint past their time.
	late := srv.AddAuditEntries(3, time.Now().Add(-10*time.Second))
	for _, id := range late {
		srv.HideUntil(id, time.Now().Add(600*time.Millisecond))
	}
	startReceiver(t, cfg, sink, componenttest.NewNopHost(), nil)

	want := wiztest.Expected(t, srv)
	require.Eventually(t, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
	assertAuditOnce(t, late, sink)
}

// A corrupt or unknown-version checkpoint is reported and ignored: the
// stream reads from initial_lookback and does not crash-loop.
func TestCorruptCheckpoint(t *testing.T) {
	for name, stored := range map[string]string{
		"not json":        "\x00\x01garbage",
		"future version":  `{"version":99,"watermark":"2026-01-01T00:00:00Z"}`,
		"wrong json type": `[1,2,3]`,
		"no watermark":    `{"version":1,"seen":[{"h":1,"t":2}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(25, 0, 0)})
			cfg := testConfig(url)
			enableOnly(cfg, "audit")
			storageID := storagetest.NewStorageID("cp")
			cfg.StorageID = &storageID
			dir := t.TempDir()
			set := receivertestSettings()

			// Plant the bad checkpoint where the receiver will look.
			ext := storagetest.NewFileBackedStorageExtension("cp", dir)
			client, err := ext.GetClient(context.Background(), component.KindReceiver, set.ID, "")
			require.NoError(t, err)
			require.NoError(t, client.Set(context.Background(), "checkpoint.audit", []byte(stored)))
			require.NoError(t, client.Close(context.Background()))

			core, logs := observer.New(zapcore.InfoLevel)
			set.Logger = zap.New(core)
			sink := &consumertest.LogsSink{}
			rcv, err := newWizReceiver(set, cfg, sink)
			require.NoError(t, err)
			streams, _ := buildStreams(t, rcv, storagetest.NewStorageHost().WithFileBackedStorageExtension("cp", dir))

			want := wiztest.Expected(t, srv)
			pollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
			wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
			require.Equal(t, 1, logs.FilterMessage("Ignoring unusable checkpoint; reading from initial_lookback instead").Len())
		})
	}
}

// cappedAuditStream builds the audit stream of a receiver over a mock whose
// result cap is 50 (standing in for Wiz's 10,000), on host's storage. The
// returned func closes the receiver's storage client, as a shutdown does.
// The storage key derives from set's id: a restart reuses set.
func cappedAuditStream(t *testing.T, set receiver.Settings, url string, host component.Host, next consumer.Logs) (*stream, func()) {
	t.Helper()
	return auditStream(t, set, url, host, next, 50)
}

// auditStream is cappedAuditStream with the result cap given (0: none).
func auditStream(t *testing.T, set receiver.Settings, url string, host component.Host, next consumer.Logs, resultCap int) (*stream, func()) {
	t.Helper()
	cfg := testConfig(url)
	cfg.PageSize = 20
	cfg.BackOff.Enabled = false
	enableOnly(cfg, "audit")
	if _, ok := host.GetExtensions()[storagetest.NewStorageID("cp")]; ok {
		id := storagetest.NewStorageID("cp")
		cfg.StorageID = &id
	}
	rcv, err := newWizReceiver(set, cfg, next)
	require.NoError(t, err)
	rcv.resultCaps["audit"] = resultCap
	return firstStream(t, rcv, host)
}

func auditOnly(want wiztest.UIDs) wiztest.UIDs {
	delete(want, "Wiz.Issues")
	delete(want, "Wiz.VulnerabilityFinding")
	return want
}

// A window that reaches Wiz's result cap is split until every part fits,
// so nothing beyond the cap is lost.
func TestResultCapSplitsWindow(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(230, 0, 0), AuditResultCap: 50})
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), sink)
	require.NoError(t, s.poll(context.Background()))
	wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
}

// Wiz's cap counts a whole walk, the pages before a cursor included. A walk
// interrupted and resumed at its cursor (a refused page, a restart) must
// still see that it reached the cap, or the rest of its window is lost.
func TestResultCapResumedWalk(t *testing.T) {
	t.Run("consumer refusal mid-walk", func(t *testing.T) {
		srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(230, 0, 0), AuditResultCap: 50})
		sink := &consumertest.LogsSink{}
		s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), &refuseNth{LogsSink: sink, n: 2})
		require.Error(t, s.poll(context.Background()), "the second page is refused")
		require.NoError(t, s.poll(context.Background()))
		wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
	t.Run("restart mid-walk after a split", func(t *testing.T) {
		srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(230, 0, 0), AuditResultCap: 50})
		dir, set := t.TempDir(), receivertestSettings()
		sink := &consumertest.LogsSink{}
		// Pages 1-3 reach the cap and split the window; page 5 is the
		// second page of the narrowed window's walk.
		first, stop := cappedAuditStream(t, set, url, storagetest.NewStorageHost().WithFileBackedStorageExtension("cp", dir),
			&refuseNth{LogsSink: sink, n: 5})
		require.Error(t, first.poll(context.Background()))
		require.NotNil(t, first.state.Window)
		require.Positive(t, first.state.Window.Served, "the interrupted walk had served a page")
		stop()

		second, _ := cappedAuditStream(t, set, url, storagetest.NewStorageHost().WithFileBackedStorageExtension("cp", dir), sink)
		require.NotNil(t, second.state.Window, "the restart resumes the narrowed window")
		require.NoError(t, second.poll(context.Background()))
		wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
}

// Late entries crowding one overlap up to the cap make every window that
// re-reads the overlap look capped. The stream must still move on at the
// cost of a walk or two per poll, not halve its windows to nothing.
func TestResultCapDenseOverlap(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(0, 0, 0), AuditResultCap: 50})
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), sink)
	require.NoError(t, s.poll(context.Background()))
	srv.AddAuditEntries(40, time.Now().Add(-s.cfg.Overlap/2))

	before := len(srv.Requests())
	const polls = 5
	for range polls {
		require.NoError(t, s.poll(context.Background()))
	}
	t.Logf("%d polls: %d requests", polls, len(srv.Requests())-before)
	wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	// Each poll: the window's walk (two pages of 20), then one walk of the
	// entries sharing the oldest microsecond it was served.
	assert.LessOrEqual(t, len(srv.Requests())-before, polls*3)
}

// A backfill far beyond the cap costs about one request per page, and the
// keys it keeps stay within one walk's worth.
func TestResultCapBackfill(t *testing.T) {
	const records, cap, pageSize = 3000, 50, 20
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(records, 0, 0), AuditResultCap: cap})
	probe := &seenProbe{LogsSink: &consumertest.LogsSink{}}
	s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), probe)
	probe.stream = s
	require.NoError(t, s.poll(context.Background()))

	wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(probe.LogsSink))
	// A capped walk takes 3 requests (20+20+10) for 50 nodes, one of them
	// the previous walk's last; a window ends with one short walk.
	walks := records/(cap-1) + 1
	windows := int(s.cfg.InitialLookback/s.cfg.MaxWindow) + 1
	requests := len(srv.Requests())
	t.Logf("%d records: %d requests, at most %d keys held", records, requests, probe.maxSeen)
	assert.LessOrEqual(t, requests, 3*(walks+windows))
	assert.LessOrEqual(t, probe.maxSeen, cap+pageSize)
	assert.LessOrEqual(t, len(s.state.Seen), pageSize, "after the backfill only the overlap's keys remain")
}

// If Wiz served a capped query oldest first, a walk would say nothing about
// what it missed; the stream notices and falls back to halving its windows.
func TestResultCapOldestFirst(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(230, 0, 0), AuditResultCap: 50, OldestFirst: true})
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), sink)
	require.NoError(t, s.poll(context.Background()))
	wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
}

// seenProbe records the most keys its stream held when a page arrived.
type seenProbe struct {
	*consumertest.LogsSink
	stream  *stream
	maxSeen int
}

func (p *seenProbe) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	p.maxSeen = max(p.maxSeen, len(p.stream.dedup.seen)+ld.LogRecordCount())
	return p.LogsSink.ConsumeLogs(ctx, ld)
}

// Should Wiz change the order it serves a window in between two walks,
// nothing is lost or repeated, and the checkpoint stays usable.
func TestResultCapOrderChangesWithinWindow(t *testing.T) {
	t.Run("oldest first, then newest first", func(t *testing.T) {
		ds := smallDataset(230, 0, 0)
		srv, newest, _, oldest := twinMocks(t, ds)
		sink := &consumertest.LogsSink{}
		s, _ := cappedAuditStream(t, receivertestSettings(), newest, componenttest.NewNopHost(), sink)
		other, _ := cappedAuditStream(t, receivertestSettings(), oldest, componenttest.NewNopHost(), consumertest.NewNop())
		s.client = &orderFlipper{newest: s.client, oldest: other.client, oldestWalks: map[int]bool{1: true}}
		require.NoError(t, s.poll(context.Background()))
		wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
	t.Run("newest first into the overlap, then another order, then a restart", func(t *testing.T) {
		mark := time.Now().Add(-time.Hour)
		ds := mockwiz.GenerateDataset(mockwiz.DatasetOptions{Seed: 7, Start: mark.Add(-50 * time.Second), End: mark.Add(-10 * time.Second),
			Counts: map[string]int{logtype.Audit.Name: 200}})
		srv, newest, twin, oldest := twinMocks(t, ds)
		dir, set := t.TempDir(), receivertestSettings()
		sink := &consumertest.LogsSink{}
		s, stop := cappedAuditStream(t, set, newest, storagetest.NewStorageHost().WithFileBackedStorageExtension("cp", dir), sink)
		other, _ := cappedAuditStream(t, receivertestSettings(), oldest, componenttest.NewNopHost(), consumertest.NewNop())
		// A first poll up to mark delivers the entries the next window's
		// overlap holds.
		s.state.Watermark = mark.Add(-10 * time.Minute)
		s.now = func() time.Time { return mark }
		require.NoError(t, s.poll(context.Background()))
		s.now = time.Now
		// 30 new entries, the same on both servers. Walk 1 comes newest
		// first and reads on into the overlap, walk 2 in another order
		// drops the overlap, walk 3 fails and leaves the window in the
		// checkpoint.
		require.Equal(t, srv.AddAuditEntries(30, mark.Add(time.Minute)), twin.AddAuditEntries(30, mark.Add(time.Minute)))
		s.client = &orderFlipper{newest: s.client, oldest: other.client, oldestWalks: map[int]bool{2: true}, failWalk: 3}
		require.Error(t, s.poll(context.Background()))
		require.NotNil(t, s.state.Window)
		stop()

		second, _ := cappedAuditStream(t, set, newest, storagetest.NewStorageHost().WithFileBackedStorageExtension("cp", dir), sink)
		require.True(t, mark.Equal(second.state.Watermark), "the checkpoint survives: watermark %s, want %s", second.state.Watermark, mark)
		require.NoError(t, second.poll(context.Background()))
		wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
}

// Entries indexed late ahead of the cursor take positions under the cap
// without being served, so a capped walk can end well short of the cap.
// It must still be taken as capped, or the rest of its window is lost.
func TestResultCapHiddenByLateEntries(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(230, 0, 0), AuditResultCap: 50})
	sink := &onFirstPage{LogsSink: &consumertest.LogsSink{}}
	// More late entries than a page: the walk stops 25 short of the cap.
	sink.do = func() { srv.AddAuditEntries(25, time.Now().Add(-10*time.Second)) }
	s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), sink)
	require.NoError(t, s.poll(context.Background()))
	require.NoError(t, s.poll(context.Background()), "the late entries are in the next window's overlap")
	wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink.LogsSink))
}

// More than a cap's worth of entries on one microsecond cannot all be read
// through Wiz's API; the rest of that microsecond is given up, logged, and
// nothing on either side of it.
func TestResultCapBurstOnOneMicrosecond(t *testing.T) {
	for _, oldestFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "newest first", true: "oldest first"}[oldestFirst], func(t *testing.T) {
			srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(0, 0, 0), AuditResultCap: 50, OldestFirst: oldestFirst})
			beside := addBurst(srv, time.Now().Add(-time.Hour).Truncate(timeTick))
			sink := &consumertest.LogsSink{}
			s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), sink)
			require.NoError(t, s.poll(context.Background()))
			t.Logf("%d requests", len(srv.Requests()))
			assertAuditOnce(t, beside, sink)
			assert.GreaterOrEqual(t, len(wiztest.Received(sink)["Wiz.Audit"]), 20+50, "a cap's worth of the burst")
		})
	}
}

// A window start with nanoseconds: the query, reading from a tick before
// it, takes in the entry on the start's microsecond, and the key set must
// still hold that entry's key when a later window reads it again.
func TestSubMicrosecondWindowStart(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(0, 0, 0)})
	sink := &consumertest.LogsSink{}
	s, _ := auditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), sink, 0) // any stream without a cap
	base := time.Now().Add(-time.Hour).Truncate(time.Second).Add(500 * time.Nanosecond)
	s.state.Watermark = base.Add(-10 * time.Minute)
	srv.AddAuditEntries(1, base.Add(-s.cfg.Overlap).Truncate(time.Microsecond))
	s.now = func() time.Time { return base }
	require.NoError(t, s.poll(context.Background()))
	s.now = func() time.Time { return base.Add(time.Minute) }
	require.NoError(t, s.poll(context.Background()))
	wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
}

// onFirstPage runs do when it is handed its first page.
type onFirstPage struct {
	*consumertest.LogsSink
	once sync.Once
	do   func()
}

func (c *onFirstPage) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.once.Do(c.do)
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

// Edges of the step below a microsecond every walk stays on: each poll
// must end, and nothing beside the microsecond may be lost.
func TestResultCapStepBelowOneMicrosecond(t *testing.T) {
	t.Run("more than a page on the first microsecond of a window start with nanoseconds", func(t *testing.T) {
		srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(0, 0, 0), AuditResultCap: 50})
		sink := &consumertest.LogsSink{}
		s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), sink)
		base := time.Now().Add(-time.Hour).Truncate(time.Second).Add(500 * time.Nanosecond)
		s.state.Watermark = base
		first := base.Add(-s.cfg.Overlap).Truncate(timeTick).Add(timeTick)
		addOnOneMicrosecond(srv, 25, first)
		srv.AddAuditEntries(40, base.Add(time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.poll(ctx))
		wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
	t.Run("fewer than a cap on the window's oldest microsecond", func(t *testing.T) {
		srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(0, 0, 0), AuditResultCap: 50})
		at := time.Now().Add(-time.Hour).Truncate(timeTick)
		addOnOneMicrosecond(srv, 35, at)
		srv.AddAuditEntries(40, at.Add(time.Second))
		core, logs := observer.New(zapcore.ErrorLevel)
		set := receivertestSettings()
		set.Logger = zap.New(core)
		sink := &consumertest.LogsSink{}
		s, _ := cappedAuditStream(t, set, url, componenttest.NewNopHost(), sink)
		require.NoError(t, s.poll(context.Background()))
		wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
		assert.Zero(t, logs.Len(), "nothing was skipped, so no error may say so")
	})
	t.Run("inclusive query bounds and a burst on one microsecond", func(t *testing.T) {
		srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(0, 0, 0), AuditResultCap: 50})
		beside := addBurst(srv, time.Now().Add(-time.Hour).Truncate(timeTick))
		sink := &consumertest.LogsSink{}
		s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), sink)
		s.client = inclusiveBounds{s.client}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.poll(ctx))
		assertAuditOnce(t, beside, sink)
	})
}

// A capped walk whose nodes cannot be mapped tells nothing about order;
// the mappable entries below them must still arrive.
func TestResultCapUnmappableWalk(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(0, 0, 0), AuditResultCap: 50})
	base := time.Now().Add(-time.Hour)
	good := srv.AddAuditEntries(10, base.Add(10*time.Second))
	bad := srv.AddAuditEntries(60, base.Add(20*time.Second))
	good = append(good, srv.AddAuditEntries(10, base.Add(30*time.Second))...)
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, receivertestSettings(), url, componenttest.NewNopHost(), sink)
	s.client = unmappable{pageFetcher: s.client, ids: bad}
	require.NoError(t, s.poll(context.Background()))
	assertAuditArrived(t, good, sink)
}

// Wiz changing its order mid-window at a burst on one microsecond may
// repeat records, but loses none beside the burst.
func TestResultCapOrderChangeAtBurst(t *testing.T) {
	mark := time.Now().Add(-time.Hour).Truncate(timeTick)
	srv, newest, twin, oldest := twinMocks(t, smallDataset(0, 0, 0))
	add := func(m *mockwiz.Server) []string {
		addOnOneMicrosecond(m, 60, mark.Add(10*time.Second))
		return append(m.AddAuditEntries(20, mark.Add(20*time.Second)), m.AddAuditEntries(40, mark.Add(30*time.Second))...)
	}
	beside := add(srv)
	require.Equal(t, beside, add(twin), "both servers hold the same entries")
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, receivertestSettings(), newest, componenttest.NewNopHost(), sink)
	other, _ := cappedAuditStream(t, receivertestSettings(), oldest, componenttest.NewNopHost(), consumertest.NewNop())
	s.client = &orderFlipper{newest: s.client, oldest: other.client, oldestWalks: map[int]bool{2: true}}
	require.NoError(t, s.poll(context.Background()))
	assertAuditArrived(t, beside, sink)
}

// addOnOneMicrosecond adds n audit entries that all share the time at
// (AddAuditEntries spaces its entries a microsecond apart).
func addOnOneMicrosecond(srv *mockwiz.Server, n int, at time.Time) {
	for range n {
		srv.AddAuditEntries(1, at)
	}
}

// addBurst adds 60 audit entries on the microsecond at, more than the cap
// of 50, and 10 entries a minute before and after it, whose ids it returns.
func addBurst(srv *mockwiz.Server, at time.Time) (beside []string) {
	beside = srv.AddAuditEntries(10, at.Add(-time.Minute))
	addOnOneMicrosecond(srv, 60, at)
	return append(beside, srv.AddAuditEntries(10, at.Add(time.Minute))...)
}

// assertAuditOnce asserts that each of the audit entries ids arrived
// exactly once.
func assertAuditOnce(t *testing.T, ids []string, sink *consumertest.LogsSink) {
	t.Helper()
	got := wiztest.Received(sink)["Wiz.Audit"]
	for _, id := range ids {
		assert.Equal(t, 1, got[id], "entry %s", id)
	}
}

// assertAuditArrived asserts that each of the audit entries ids arrived,
// repeats allowed.
func assertAuditArrived(t *testing.T, ids []string, sink *consumertest.LogsSink) {
	t.Helper()
	got := wiztest.Received(sink)["Wiz.Audit"]
	for _, id := range ids {
		assert.Positive(t, got[id], "entry %s lost", id)
	}
}

// inclusiveBounds widens every time filter by a nanosecond each way, as if
// Wiz's after and before were inclusive.
type inclusiveBounds struct{ pageFetcher }

func (f inclusiveBounds) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	filter, _ := req.Variables["filterBy"].(map[string]any)
	if bounds, ok := filter["timestamp"].(map[string]any); ok {
		widen := func(v any, by time.Duration) string {
			t, _ := time.Parse(time.RFC3339Nano, v.(string))
			return formatTime(t.Add(by))
		}
		filter = maps.Clone(filter)
		filter["timestamp"] = map[string]any{"after": widen(bounds["after"], -1), "before": widen(bounds["before"], 1)}
		req.Variables = maps.Clone(req.Variables)
		req.Variables["filterBy"] = filter
	}
	return f.pageFetcher.FetchPage(ctx, req)
}

// unmappable serves the nodes with the given ids without a usable time.
type unmappable struct {
	pageFetcher
	ids []string
}

func (f unmappable) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	page, err := f.pageFetcher.FetchPage(ctx, req)
	for i, raw := range page.Nodes {
		var node map[string]any
		if err := json.Unmarshal(raw, &node); err != nil {
			return page, err
		}
		if slices.Contains(f.ids, node["id"].(string)) {
			node["timestamp"] = "not a time"
			page.Nodes[i], _ = json.Marshal(node)
		}
	}
	return page, err
}

// A cursor Wiz rejects mid-walk (an expired one, say) restarts the walk
// from the window's start instead of stopping the stream; the capped
// stream's keys of the walk drop what it reads again.
func TestCursorRejectedMidWalk(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(230, 0, 0), AuditResultCap: 50})
	sink := &consumertest.LogsSink{}
	core, logs := observer.New(zapcore.WarnLevel)
	set := receivertestSettings()
	set.Logger = zap.New(core)
	s, _ := cappedAuditStream(t, set, url, componenttest.NewNopHost(), sink)
	s.client = &rejectCursor{pageFetcher: s.client, nth: 2}
	require.NoError(t, s.poll(context.Background()))
	wiztest.RequireExactlyOnce(t, auditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	assert.Equal(t, 1, logs.FilterMessage("Cursor rejected; re-reading the window from its start").Len())
}

// rejectCursor sends its nth request that carries a cursor with a cursor
// the mock cannot decode, which Wiz answers with a GraphQL error.
type rejectCursor struct {
	pageFetcher
	nth, seen int
}

func (f *rejectCursor) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	if _, ok := req.Variables["after"]; ok {
		if f.seen++; f.seen == f.nth {
			req.Variables = maps.Clone(req.Variables)
			req.Variables["after"] = "bm90IGEgY3Vyc29y"
		}
	}
	return f.pageFetcher.FetchPage(ctx, req)
}

// narrowWindow continues a walk seen going newest first below the
// oldest time it was served; a walk in another order, or with no order
// seen, drops the overlap, then halves the part past the watermark.
// Neither moves below the watermark.
func TestNarrowCappedWindow(t *testing.T) {
	mark := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	overlap, end := mark.Add(-time.Minute), mark.Add(time.Hour)
	tests := []struct {
		name string
		in   window
		want *window // nil: cannot narrow
	}{
		{"newest first: reads on below the oldest time served",
			window{Start: overlap, End: end, capWalk: capWalk{Oldest: mark.Add(40 * time.Minute), Descending: true}},
			&window{Start: overlap, End: end, capWalk: capWalk{Until: mark.Add(40 * time.Minute)}}},
		{"newest first: reads on into the overlap",
			window{Start: overlap, End: end, capWalk: capWalk{Until: mark.Add(time.Minute), Oldest: mark.Add(-30 * time.Second), Descending: true}},
			&window{Start: overlap, End: end, capWalk: capWalk{Until: mark.Add(-30 * time.Second)}}},
		{"newest first: a node before the start is read from the start",
			window{Start: overlap, End: end, capWalk: capWalk{Oldest: overlap.Add(-timeTick), Descending: true}},
			&window{Start: overlap, End: end, capWalk: capWalk{Until: overlap}}},
		{"newest first: a cap's worth on one microsecond skips only it",
			window{Start: overlap, End: end, capWalk: capWalk{Until: mark, Oldest: mark, Descending: true}},
			&window{Start: overlap, End: end, capWalk: capWalk{Until: mark.Add(-timeTick)}}},
		{"newest first: nothing left below",
			window{Start: overlap, End: end, capWalk: capWalk{Until: overlap, Oldest: overlap, Descending: true}}, nil},
		{"no order seen: drops the overlap first",
			window{Start: overlap, End: end, capWalk: capWalk{Oldest: mark.Add(40 * time.Minute)}},
			&window{Start: mark, End: end}},
		{"other order: drops the overlap, keeping what earlier walks read",
			window{Start: overlap, End: end, capWalk: capWalk{Until: mark.Add(-30 * time.Second), Oldest: overlap, Descending: true, Unordered: true}},
			&window{Start: mark, End: end, capWalk: capWalk{Until: mark}}},
		{"other order: then halves the part past the watermark",
			window{Start: mark, End: end, capWalk: capWalk{Oldest: mark, Unordered: true}},
			&window{Start: mark, End: mark.Add(30 * time.Minute)}},
		{"other order: halves what is left to read",
			window{Start: mark, End: end, capWalk: capWalk{Until: mark.Add(40 * time.Minute), Oldest: mark, Unordered: true}},
			&window{Start: mark, End: mark.Add(20 * time.Minute)}},
		{"other order: cannot narrow",
			window{Start: mark, End: mark.Add(2 * timeTick), capWalk: capWalk{Unordered: true}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &windowCap{limit: 50, pageSize: 20, logType: "audit", logger: zap.NewNop()}
			w := tt.in
			w.Cursor, w.Served = "c", 50
			cp := checkpoint{Watermark: mark, Window: &w}
			ok := c.narrowWindow(&cp, func() {})
			if tt.want == nil {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, *tt.want, w)
		})
	}
}

// refuseNth refuses the nth page it is given, once, with err (default: a
// retryable error).
type refuseNth struct {
	*consumertest.LogsSink
	n, calls int
	err      error
}

func (c *refuseNth) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.calls++
	if c.calls == c.n {
		if c.err != nil {
			return c.err
		}
		return errors.New("exporter queue full")
	}
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

// twinMocks serves one dataset with a result cap of 50 from two servers:
// newest first, as Wiz does, and oldest first.
func twinMocks(t *testing.T, ds *mockwiz.Dataset) (newest *mockwiz.Server, newestURL string, oldest *mockwiz.Server, oldestURL string) {
	newest, newestURL = newMock(t, mockwiz.Options{Dataset: ds, AuditResultCap: 50})
	oldest, oldestURL = newMock(t, mockwiz.Options{Dataset: ds, AuditResultCap: 50, OldestFirst: true})
	return newest, newestURL, oldest, oldestURL
}

// orderFlipper sends each walk (a request without a cursor starts one) to
// the newest-first or the oldest-first twin, by walk number, and can fail
// the first request of one walk.
type orderFlipper struct {
	newest, oldest pageFetcher
	oldestWalks    map[int]bool // 1-based walk numbers served oldest first
	failWalk       int
	walks          int
	current        pageFetcher
}

func (f *orderFlipper) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	if _, resumed := req.Variables["after"]; !resumed {
		f.walks++
		if f.walks == f.failWalk {
			return wiz.Page{}, errors.New("connection reset by peer")
		}
		f.current = f.newest
		if f.oldestWalks[f.walks] {
			f.current = f.oldest
		}
	}
	return f.current.FetchPage(ctx, req)
}
