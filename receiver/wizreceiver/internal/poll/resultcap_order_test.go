// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// If Wiz served a capped query oldest first, a walk would say nothing about
// what it missed; the stream notices and falls back to halving its windows.
func TestResultCapOldestFirst(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(230, 0, 0), AuditResultCap: 50, OldestFirst: true})
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, auditEnv(t, url, sink))
	require.NoError(t, s.Poll(context.Background()))
	wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
}

// Should Wiz change the order it serves a window in between two walks,
// nothing is lost or repeated, and the checkpoint stays usable.
func TestResultCapOrderChangesWithinWindow(t *testing.T) {
	t.Run("oldest first, then newest first", func(t *testing.T) {
		ds := polltest.SmallDataset(230, 0, 0)
		srv, newest, _, oldest := twinMocks(t, ds)
		sink := &consumertest.LogsSink{}
		s, _ := cappedAuditStream(t, auditEnv(t, newest, sink))
		other, _ := cappedAuditStream(t, auditEnv(t, oldest, consumertest.NewNop()))
		s.query.client = &orderFlipper{newest: s.query.client, oldest: other.query.client, oldestWalks: map[int]bool{1: true}}
		require.NoError(t, s.Poll(context.Background()))
		wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
	t.Run("newest first into the overlap, then another order, then a restart", func(t *testing.T) {
		mark := time.Now().Add(-time.Hour)
		ds := mockwiz.GenerateDataset(mockwiz.DatasetOptions{Seed: 7, Start: mark.Add(-50 * time.Second), End: mark.Add(-10 * time.Second),
			Counts: map[string]int{logtype.Audit.Name: 200}})
		srv, newest, twin, oldest := twinMocks(t, ds)
		dir := t.TempDir()
		sink := &consumertest.LogsSink{}
		e := auditEnv(t, newest, sink)
		e.fileStorage(dir)
		s, stop := cappedAuditStream(t, e)
		other, _ := cappedAuditStream(t, auditEnv(t, oldest, consumertest.NewNop()))
		// A first poll up to mark delivers the entries the next window's
		// overlap holds.
		s.walker.state.Watermark = mark.Add(-10 * time.Minute)
		setNow(s, func() time.Time { return mark })
		require.NoError(t, s.Poll(context.Background()))
		setNow(s, time.Now)
		// 30 new entries, the same on both servers. Walk 1 comes newest
		// first and reads on into the overlap, walk 2 in another order
		// drops the overlap, walk 3 fails and leaves the window in the
		// checkpoint.
		require.Equal(t, srv.AddAuditEntries(30, mark.Add(time.Minute)), twin.AddAuditEntries(30, mark.Add(time.Minute)))
		s.query.client = &orderFlipper{newest: s.query.client, oldest: other.query.client, oldestWalks: map[int]bool{2: true}, failWalk: 3}
		require.Error(t, s.Poll(context.Background()))
		require.NotNil(t, s.walker.state.Window)
		stop()

		restarted := auditEnv(t, newest, sink)
		restarted.fileStorage(dir)
		second, _ := cappedAuditStream(t, restarted)
		require.True(t, mark.Equal(second.walker.state.Watermark), "the checkpoint survives: watermark %s, want %s", second.walker.state.Watermark, mark)
		require.NoError(t, second.Poll(context.Background()))
		wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
}

// A capped walk whose nodes cannot be mapped tells nothing about order;
// the mappable entries below them must still arrive.
func TestResultCapUnmappableWalk(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 0), AuditResultCap: 50})
	base := time.Now().Add(-time.Hour)
	good := srv.AddAuditEntries(10, base.Add(10*time.Second))
	bad := srv.AddAuditEntries(60, base.Add(20*time.Second))
	good = append(good, srv.AddAuditEntries(10, base.Add(30*time.Second))...)
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, auditEnv(t, url, sink))
	s.query.client = unmappable{Client: s.query.client, ids: bad}
	require.NoError(t, s.Poll(context.Background()))
	polltest.AssertAuditArrived(t, good, sink)
}

// Wiz changing its order mid-window at a burst on one microsecond may
// repeat records, but loses none beside the burst.
func TestResultCapOrderChangeAtBurst(t *testing.T) {
	mark := time.Now().Add(-time.Hour).Truncate(timeTick)
	srv, newest, twin, oldest := twinMocks(t, polltest.SmallDataset(0, 0, 0))
	add := func(m *mockwiz.Server) []string {
		addOnOneMicrosecond(m, 60, mark.Add(10*time.Second))
		return append(m.AddAuditEntries(20, mark.Add(20*time.Second)), m.AddAuditEntries(40, mark.Add(30*time.Second))...)
	}
	beside := add(srv)
	require.Equal(t, beside, add(twin), "both servers hold the same entries")
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, auditEnv(t, newest, sink))
	other, _ := cappedAuditStream(t, auditEnv(t, oldest, consumertest.NewNop()))
	s.query.client = &orderFlipper{newest: s.query.client, oldest: other.query.client, oldestWalks: map[int]bool{2: true}}
	require.NoError(t, s.Poll(context.Background()))
	polltest.AssertAuditArrived(t, beside, sink)
}

// unmappable serves the nodes with the given ids without a usable time.
type unmappable struct {
	Client
	ids []string
}

// twinMocks serves one dataset with a result cap of 50 from two servers:
// newest first, as Wiz does, and oldest first.
func twinMocks(t *testing.T, ds *mockwiz.Dataset) (newest *mockwiz.Server, newestURL string, oldest *mockwiz.Server, oldestURL string) {
	newest, newestURL = polltest.NewMock(t, mockwiz.Options{Dataset: ds, AuditResultCap: 50})
	oldest, oldestURL = polltest.NewMock(t, mockwiz.Options{Dataset: ds, AuditResultCap: 50, OldestFirst: true})
	return newest, newestURL, oldest, oldestURL
}

// orderFlipper sends each walk (a request without a cursor starts one) to
// the newest-first or the oldest-first twin, by walk number, and can fail
// the first request of one walk.
type orderFlipper struct {
	newest, oldest Client
	oldestWalks    map[int]bool // 1-based walk numbers served oldest first
	failWalk       int
	walks          int
	current        Client
}
