// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sync"
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
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// cappedAuditStream builds e's audit stream over a mock whose result cap
// is 50 (standing in for Wiz's 10,000). The returned func releases its
// storage, as a shutdown does.
func cappedAuditStream(t *testing.T, e *testEnv) (*Stream, func()) {
	t.Helper()
	e.ResultCaps["audit"] = 50
	return e.stream(t)
}

// A window that reaches Wiz's result cap is split until every part fits,
// so nothing beyond the cap is lost.
func TestResultCapSplitsWindow(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(230, 0, 0), AuditResultCap: 50})
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, auditEnv(t, url, sink))
	require.NoError(t, s.Poll(context.Background()))
	wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
}

// Wiz's cap counts a whole walk, the pages before a cursor included. A walk
// interrupted and resumed at its cursor (a refused page, a restart) must
// still see that it reached the cap, or the rest of its window is lost.
func TestResultCapResumedWalk(t *testing.T) {
	t.Run("consumer refusal mid-walk", func(t *testing.T) {
		srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(230, 0, 0), AuditResultCap: 50})
		sink := &consumertest.LogsSink{}
		s, _ := cappedAuditStream(t, auditEnv(t, url, &refuseNth{LogsSink: sink, n: 2}))
		require.Error(t, s.Poll(context.Background()), "the second page is refused")
		require.NoError(t, s.Poll(context.Background()))
		wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
	t.Run("restart mid-walk after a split", func(t *testing.T) {
		srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(230, 0, 0), AuditResultCap: 50})
		dir := t.TempDir()
		sink := &consumertest.LogsSink{}
		// Pages 1-3 reach the cap and split the window; page 5 is the
		// second page of the narrowed window's walk.
		e := auditEnv(t, url, &refuseNth{LogsSink: sink, n: 5})
		e.fileStorage(dir)
		first, stop := cappedAuditStream(t, e)
		require.Error(t, first.Poll(context.Background()))
		require.NotNil(t, first.walker.state.Window)
		require.Positive(t, first.walker.state.Window.Served, "the interrupted walk had served a page")
		stop()

		restarted := auditEnv(t, url, sink)
		restarted.fileStorage(dir)
		second, _ := cappedAuditStream(t, restarted)
		require.NotNil(t, second.walker.state.Window, "the restart resumes the narrowed window")
		require.NoError(t, second.Poll(context.Background()))
		wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
}

// Late entries crowding one overlap up to the cap make every window that
// re-reads the overlap look capped. The stream must still move on at the
// cost of a walk or two per poll, not halve its windows to nothing.
func TestResultCapDenseOverlap(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 0), AuditResultCap: 50})
	sink := &consumertest.LogsSink{}
	s, _ := cappedAuditStream(t, auditEnv(t, url, sink))
	require.NoError(t, s.Poll(context.Background()))
	srv.AddAuditEntries(40, time.Now().Add(-s.walker.overlap/2))

	before := len(srv.Requests())
	const polls = 5
	for range polls {
		require.NoError(t, s.Poll(context.Background()))
	}
	t.Logf("%d polls: %d requests", polls, len(srv.Requests())-before)
	wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	// Each poll: the window's walk (two pages of 20), then one walk of the
	// entries sharing the oldest microsecond it was served.
	assert.LessOrEqual(t, len(srv.Requests())-before, polls*3)
}

// A backfill far beyond the cap costs about one request per page, and the
// keys it keeps stay within one walk's worth.
func TestResultCapBackfill(t *testing.T) {
	const records, cap, pageSize = 3000, 50, 20
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(records, 0, 0), AuditResultCap: cap})
	probe := &seenProbe{LogsSink: &consumertest.LogsSink{}}
	s, _ := cappedAuditStream(t, auditEnv(t, url, probe))
	probe.stream = s
	require.NoError(t, s.Poll(context.Background()))

	wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(probe.LogsSink))
	// A capped walk takes 3 requests (20+20+10) for 50 nodes, one of them
	// the previous walk's last; a window ends with one short walk.
	walks := records/(cap-1) + 1
	windows := int(s.walker.initialLookback/s.walker.maxWindow) + 1
	requests := len(srv.Requests())
	t.Logf("%d records: %d requests, at most %d keys held", records, requests, probe.maxSeen)
	assert.LessOrEqual(t, requests, 3*(walks+windows))
	assert.LessOrEqual(t, probe.maxSeen, cap+pageSize)
	assert.LessOrEqual(t, len(s.walker.state.Seen), pageSize, "after the backfill only the overlap's keys remain")
}

// seenProbe records the most keys its stream held when a page arrived.
type seenProbe struct {
	*consumertest.LogsSink
	stream  *Stream
	maxSeen int
}

func (p *seenProbe) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	p.maxSeen = max(p.maxSeen, len(p.stream.walker.dedup.seen)+ld.LogRecordCount())
	return p.LogsSink.ConsumeLogs(ctx, ld)
}

// Entries indexed late ahead of the cursor take positions under the cap
// without being served, so a capped walk can end well short of the cap.
// It must still be taken as capped, or the rest of its window is lost.
func TestResultCapHiddenByLateEntries(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(230, 0, 0), AuditResultCap: 50})
	sink := &onFirstPage{LogsSink: &consumertest.LogsSink{}}
	// More late entries than a page: the walk stops 25 short of the cap.
	sink.do = func() { srv.AddAuditEntries(25, time.Now().Add(-10*time.Second)) }
	s, _ := cappedAuditStream(t, auditEnv(t, url, sink))
	require.NoError(t, s.Poll(context.Background()))
	require.NoError(t, s.Poll(context.Background()), "the late entries are in the next window's overlap")
	wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink.LogsSink))
}

// More than a cap's worth of entries on one microsecond cannot all be read
// through Wiz's API; the rest of that microsecond is given up, logged, and
// nothing on either side of it.
func TestResultCapBurstOnOneMicrosecond(t *testing.T) {
	for _, oldestFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "newest first", true: "oldest first"}[oldestFirst], func(t *testing.T) {
			srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 0), AuditResultCap: 50, OldestFirst: oldestFirst})
			beside := addBurst(srv, time.Now().Add(-time.Hour).Truncate(timeTick))
			sink := &consumertest.LogsSink{}
			s, _ := cappedAuditStream(t, auditEnv(t, url, sink))
			require.NoError(t, s.Poll(context.Background()))
			t.Logf("%d requests", len(srv.Requests()))
			polltest.AssertAuditOnce(t, beside, sink)
			assert.GreaterOrEqual(t, len(wiztest.Received(sink)["Wiz.Audit"]), 20+50, "a cap's worth of the burst")
		})
	}
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
		srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 0), AuditResultCap: 50})
		sink := &consumertest.LogsSink{}
		s, _ := cappedAuditStream(t, auditEnv(t, url, sink))
		base := time.Now().Add(-time.Hour).Truncate(time.Second).Add(500 * time.Nanosecond)
		s.walker.state.Watermark = base
		first := base.Add(-s.walker.overlap).Truncate(timeTick).Add(timeTick)
		addOnOneMicrosecond(srv, 25, first)
		srv.AddAuditEntries(40, base.Add(time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Poll(ctx))
		wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	})
	t.Run("fewer than a cap on the window's oldest microsecond", func(t *testing.T) {
		srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 0), AuditResultCap: 50})
		at := time.Now().Add(-time.Hour).Truncate(timeTick)
		addOnOneMicrosecond(srv, 35, at)
		srv.AddAuditEntries(40, at.Add(time.Second))
		core, logs := observer.New(zapcore.ErrorLevel)
		sink := &consumertest.LogsSink{}
		e := auditEnv(t, url, sink)
		e.Logger = zap.New(core)
		s, _ := cappedAuditStream(t, e)
		require.NoError(t, s.Poll(context.Background()))
		wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
		assert.Zero(t, logs.Len(), "nothing was skipped, so no error may say so")
	})
	t.Run("inclusive query bounds and a burst on one microsecond", func(t *testing.T) {
		srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 0), AuditResultCap: 50})
		beside := addBurst(srv, time.Now().Add(-time.Hour).Truncate(timeTick))
		sink := &consumertest.LogsSink{}
		s, _ := cappedAuditStream(t, auditEnv(t, url, sink))
		s.query.client = inclusiveBounds{s.query.client}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Poll(ctx))
		polltest.AssertAuditOnce(t, beside, sink)
	})
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

// inclusiveBounds widens every time filter by a nanosecond each way, as if
// Wiz's after and before were inclusive.
type inclusiveBounds struct{ Client }

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
	return f.Client.FetchPage(ctx, req)
}

func (f unmappable) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	page, err := f.Client.FetchPage(ctx, req)
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
