// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// snapshotCap is the lowered result cap of the snapshot tests' mock: the
// tenants below hold several times as many findings.
const snapshotCap = 120

// snapshotEnv is a receiver of configuration findings alone, taking daily
// snapshots of the statuses given, over a mock of n findings whose cap is
// snapshotCap, on a host clock the test moves.
func snapshotEnv(t *testing.T, n int, statuses ...string) (*testEnv, *mockwiz.Server, *wiztest.Clock, *consumertest.LogsSink) {
	return snapshotEnvOf(t, &logtype.ConfigurationFindings, n, statuses...)
}

// snapshotEnvOf is a receiver of lt alone, taking daily snapshots of the
// statuses given, over a mock of n nodes of lt whose configuration
// findings are capped at snapshotCap, with lt's cap lowered to snapshotCap.
func snapshotEnvOf(t *testing.T, lt *logtype.LogType, n int, statuses ...string) (*testEnv, *mockwiz.Server, *wiztest.Clock, *consumertest.LogsSink) {
	ds := polltest.DatasetOf(7, map[string]int{lt.Name: n})
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: ds, ConfigurationFindingResultCap: snapshotCap})
	e, clock, sink := snapshotStreamEnv(t, lt, url, statuses...)
	return e, srv, clock, sink
}

// snapshotStreamEnv is a receiver of lt alone on the Wiz at url, taking
// daily snapshots of the statuses given, with lt's cap lowered to
// snapshotCap, on a host clock the test moves. Pages of 25 make a capped
// walk several pages long.
func snapshotStreamEnv(t *testing.T, lt *logtype.LogType, url string, statuses ...string) (*testEnv, *wiztest.Clock, *consumertest.LogsSink) {
	e := newEnv(t, url)
	e.enableOnly(lt.Key)
	e.ResultCaps[lt.Key] = snapshotCap
	e.PageSize = 25
	e.BackOff.Enabled = false
	e.memoryStorage()
	clock := wiztest.NewClock(time.Now().Truncate(time.Second))
	e.Now = clock.Now
	switch section := e.logType(lt).(type) {
	case *logtype.ConfigurationFindingsConfig:
		section.Snapshot = logtype.SnapshotConfig{Interval: 24 * time.Hour, Statuses: statuses}
	case *logtype.VulnerabilityFindingsConfig:
		section.Snapshot = logtype.SnapshotConfig{Interval: 24 * time.Hour, Statuses: statuses}
	default:
		t.Fatalf("%s takes no snapshots", lt.Key)
	}
	sink := &consumertest.LogsSink{}
	e.Next = sink
	return e, clock, sink
}

// openSet is the ids of the mock's configuration findings in statuses.
func openSet(srv *mockwiz.Server, statuses ...string) map[string]bool {
	return openSetOf(srv, &logtype.ConfigurationFindings, statuses...)
}

// openSetOf is the ids of the mock's nodes of lt in statuses.
func openSetOf(srv *mockwiz.Server, lt *logtype.LogType, statuses ...string) map[string]bool {
	want := map[string]bool{}
	for _, n := range srv.Snapshot()[lt.Name] {
		for _, s := range statuses {
			if n["status"] == s {
				want[n["id"].(string)] = true
			}
		}
	}
	return want
}

// snapshotRecords counts, by snapshot id, the findings' records of each
// id, and returns the end markers.
func snapshotRecords(t *testing.T, logs []plog.Logs) (map[string]map[string]int, []plog.LogRecord) {
	t.Helper()
	byID := map[string]map[string]int{}
	var ends []plog.LogRecord
	for _, ld := range logs {
		polltest.ForEachRecord(ld, func(lr plog.LogRecord) {
			snap, ok := lr.Attributes().Get(AttrSnapshotID)
			require.True(t, ok, "a record without %s", AttrSnapshotID)
			if lr.EventName() == SnapshotEndEventName {
				ends = append(ends, lr)
				return
			}
			_, ok = lr.Attributes().Get(AttrSnapshotStartedAt)
			require.True(t, ok, "a record without %s", AttrSnapshotStartedAt)
			id, _ := lr.Body().Map().Get("id")
			if byID[snap.Str()] == nil {
				byID[snap.Str()] = map[string]int{}
			}
			byID[snap.Str()][id.Str()]++
		})
	}
	return byID, ends
}

// assertSnapshot asserts that the sink holds one snapshot of exactly want,
// each finding once, closed by one end marker that counts them.
func assertSnapshot(t *testing.T, sink *consumertest.LogsSink, want map[string]bool) {
	t.Helper()
	byID, ends := snapshotRecords(t, sink.AllLogs())
	require.Len(t, ends, 1, "one end marker")
	snapID, _ := ends[0].Attributes().Get(AttrSnapshotID)
	require.Len(t, byID, 1, "one snapshot")
	got := byID[snapID.Str()]
	for id := range want {
		assert.Equal(t, 1, got[id], "finding %s", id)
	}
	for id, n := range got {
		assert.True(t, want[id], "finding %s (%d times) is not in the set", id, n)
	}
	records, _ := ends[0].Attributes().Get(AttrSnapshotRecords)
	assert.Equal(t, int64(len(want)), records.Int(), "the marker's count")
	complete, _ := ends[0].Attributes().Get(AttrSnapshotComplete)
	assert.True(t, complete.Bool())
}

// A snapshot of a tenant several caps large holds exactly the findings in
// its statuses at its start, each once, and its marker counts them; the
// next starts only an interval later.
func TestSnapshotReadsTenantPastTheCap(t *testing.T) {
	e, srv, clock, sink := snapshotEnv(t, 6*snapshotCap, "OPEN")
	want := openSet(srv, "OPEN")
	require.Greater(t, len(want), 2*snapshotCap, "the open set must exceed the cap")
	s, _ := e.stream(t)
	require.NoError(t, s.Snapshot(context.Background()))
	assertSnapshot(t, sink, want)

	// Not due again before the interval has passed.
	before := sink.LogRecordCount()
	clock.Advance(23 * time.Hour)
	require.NoError(t, s.Snapshot(context.Background()))
	assert.Equal(t, before, sink.LogRecordCount())
	clock.Advance(time.Hour)
	require.NoError(t, s.Snapshot(context.Background()))
	byID, ends := snapshotRecords(t, sink.AllLogs())
	assert.Len(t, byID, 2)
	assert.Len(t, ends, 2)
}

// refuseAfter accepts n pages, then refuses every page for now.
type refuseAfter struct {
	*consumertest.LogsSink
	mu sync.Mutex
	n  int
}

func (c *refuseAfter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n <= 0 {
		return assert.AnError
	}
	c.n--
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

// A restart in the middle of a snapshot continues it where its state
// stood, under the same id, and does not start a new one: the findings
// arrive once each across both runs.
func TestSnapshotResumesAfterRestart(t *testing.T) {
	e, srv, _, sink := snapshotEnv(t, 5*snapshotCap, "OPEN")
	want := openSet(srv, "OPEN")
	dir := t.TempDir()
	e.fileStorage(dir)
	e.Next = &refuseAfter{LogsSink: sink, n: 6}
	s, release := e.stream(t)
	require.Error(t, s.Snapshot(context.Background()))
	byID, ends := snapshotRecords(t, sink.AllLogs())
	require.Empty(t, ends)
	require.Len(t, byID, 1)
	for _, got := range byID {
		require.NotEmpty(t, got)
		require.Less(t, len(got), len(want), "the walk stopped midway")
	}
	release()

	e.Next = sink
	e.fileStorage(dir)
	s, _ = e.stream(t)
	require.NoError(t, s.Snapshot(context.Background()))
	assertSnapshot(t, sink, want)
}

// Findings that change during the walk (a new version, another status
// that the snapshot also reads) arrive once each, in some version.
func TestSnapshotFindingsChangingDuringWalk(t *testing.T) {
	e, srv, clock, sink := snapshotEnv(t, 4*snapshotCap, "OPEN", "IN_PROGRESS")
	want := openSet(srv, "OPEN", "IN_PROGRESS")
	changed := 0
	next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		// After every page, move some findings on: read before, after,
		// or both.
		for id := range want {
			if changed%7 == 0 {
				srv.ChangeConfigurationFindingStatus(id, "IN_PROGRESS", clock.Now())
			}
			changed++
			if changed%40 == 0 {
				break
			}
		}
		return sink.ConsumeLogs(ctx, ld)
	})
	require.NoError(t, err)
	e.Next = next
	s, _ := e.stream(t)
	require.NoError(t, s.Snapshot(context.Background()))
	assertSnapshot(t, sink, want)
}

// splitSinks routes each page to snaps when it is a snapshot's and to
// changes when it is the change stream's: a delivery holds one or the
// other.
func splitSinks(t *testing.T, snaps, changes *consumertest.LogsSink) consumer.Logs {
	next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		fromSnapshot := false
		polltest.ForEachRecord(ld, func(lr plog.LogRecord) {
			_, fromSnapshot = lr.Attributes().Get(AttrSnapshotID)
		})
		if fromSnapshot {
			return snaps.ConsumeLogs(ctx, ld)
		}
		return changes.ConsumeLogs(ctx, ld)
	})
	require.NoError(t, err)
	return next
}

// receive is the next value on ch; a missing one fails the test after a
// minute rather than hanging it.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// The loop Stream.Run starts beside the change stream takes a snapshot at
// once when none was ever taken, waits out the interval from its start on
// the host clock, and takes the next when it is due and not before; the
// change stream's polls go on while it waits. The loop's waits are
// handed to the test, which moves the clock.
func TestRunTakesSnapshotsWhenDue(t *testing.T) {
	e, srv, clock, snaps := snapshotEnv(t, 2*snapshotCap, "OPEN")
	want := openSet(srv, "OPEN")
	changes := &consumertest.LogsSink{}
	e.Next = splitSinks(t, snaps, changes)
	// The change stream's watermark after each checkpoint write.
	watermarks := make(chan time.Time, 1000)
	e.AfterSave = func(s *Stream) {
		e.invariants.Check(s)
		select {
		case watermarks <- s.walker.state.Watermark:
		default: // The test reads no more.
		}
	}
	s, _ := e.stream(t)
	waits, resume := make(chan time.Duration), make(chan struct{})
	s.snapshots.sleep = func(ctx context.Context, d time.Duration) error {
		select {
		case waits <- d:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-resume:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()

	// None was ever taken: the first is taken at once, then the loop waits
	// the interval.
	require.Equal(t, 24*time.Hour, receive(t, waits, "wait after the first snapshot"))
	assertSnapshot(t, snaps, want)

	// While it waits, the change stream polls: a poll after the clock moved
	// reads up to the new time.
	clock.Advance(23 * time.Hour)
	moved := clock.Now()
	for watermark := receive(t, watermarks, "change stream poll"); watermark.Before(moved.Add(-e.Overlap)); {
		watermark = receive(t, watermarks, "change stream poll past the moved clock")
	}
	assert.Positive(t, changes.LogRecordCount(), "the change stream delivered")

	// 23 hours after the start, the next is not due: the loop waits the
	// hour left, and takes nothing.
	resume <- struct{}{}
	require.Equal(t, time.Hour, receive(t, waits, "wait before the second snapshot is due"))
	_, ends := snapshotRecords(t, snaps.AllLogs())
	require.Len(t, ends, 1, "no snapshot before it is due")

	// Once due, the next is taken, and the loop waits the interval again.
	clock.Advance(time.Hour)
	resume <- struct{}{}
	require.Equal(t, 24*time.Hour, receive(t, waits, "wait after the second snapshot"))
	byID, ends := snapshotRecords(t, snaps.AllLogs())
	require.Len(t, ends, 2)
	require.Len(t, byID, 2)
	for id, got := range byID {
		assert.Len(t, got, len(want), "snapshot %s", id)
	}
}

// A snapshot of vulnerability findings, which Wiz serves without a cap,
// is partitioned all the same under the stream's limit (lowered here to
// snapshotCap): it holds exactly the open findings, each once, and no
// walk is served more than the limit and a page.
func TestSnapshotVulnerabilityFindingsPartitioned(t *testing.T) {
	lt := &logtype.VulnerabilityFindings
	e, srv, _, sink := snapshotEnvOf(t, lt, 6*snapshotCap, "OPEN")
	want := openSetOf(srv, lt, "OPEN")
	require.Greater(t, len(want), 2*snapshotCap, "the open set must exceed the limit")
	s, _ := e.stream(t)
	served, splits := 0, 0
	s.snapshots.afterSave = func() {
		if open := s.snapshots.state.Open; open != nil {
			served, splits = max(served, open.Served), open.Splits
		}
	}
	require.NoError(t, s.Snapshot(context.Background()))
	assertSnapshot(t, sink, want)
	assert.Positive(t, splits, "the walk was split")
	assert.Less(t, served, snapshotCap+e.PageSize, "nodes served one walk")
}

// halveThenFail refuses the first page of several records it is given for
// good, blaming its last record, then accepts every batch without that
// record and fails for now on the first with it: the page is halved, its
// first half taken, its second refused for now.
type halveThenFail struct {
	*consumertest.LogsSink
	mu  sync.Mutex
	bad string
}

func (c *halveThenFail) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	polltest.ForEachRecord(ld, func(lr plog.LogRecord) {
		if id, ok := lr.Body().Map().Get("id"); ok {
			ids = append(ids, id.Str())
		}
	})
	switch {
	case c.bad == "" && len(ids) > 1:
		c.bad = ids[len(ids)-1]
		return consumererror.NewPermanent(assert.AnError)
	case slices.Contains(ids, c.bad):
		return assert.AnError
	}
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

// A page the consumer took part of before it failed for now is not sent
// again after a restart: the keys it took are saved with the failure.
func TestSnapshotPartOfPageTakenNotRepeatedAfterRestart(t *testing.T) {
	e, srv, _, sink := snapshotEnv(t, 2*snapshotCap, "OPEN")
	want := openSet(srv, "OPEN")
	dir := t.TempDir()
	e.fileStorage(dir)
	e.Next = &halveThenFail{LogsSink: sink}
	s, release := e.stream(t)
	require.Error(t, s.Snapshot(context.Background()))
	byID, _ := snapshotRecords(t, sink.AllLogs())
	require.Len(t, byID, 1)
	for _, got := range byID {
		require.NotEmpty(t, got, "the first half was taken")
	}
	release()

	e.Next = sink
	e.fileStorage(dir)
	s, _ = e.stream(t)
	require.NoError(t, s.Snapshot(context.Background()))
	assertSnapshot(t, sink, want)
}

// refuseOneForGood refuses for good every batch that holds the first
// finding it was given.
type refuseOneForGood struct {
	*consumertest.LogsSink
	mu  sync.Mutex
	bad string
}

func (c *refuseOneForGood) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	refuse := false
	polltest.ForEachRecord(ld, func(lr plog.LogRecord) {
		if lr.EventName() == SnapshotEndEventName {
			return
		}
		id, _ := lr.Body().Map().Get("id")
		if c.bad == "" {
			c.bad = id.Str()
		}
		refuse = refuse || id.Str() == c.bad
	})
	if refuse {
		return consumererror.NewPermanent(assert.AnError)
	}
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

// A record the consumer refused for good is not counted in the marker, and
// the marker says the snapshot is incomplete, with how many were refused:
// a consumer checking the count against what it stored does not wait for
// a record that never comes, nor take the snapshot for the whole set.
func TestSnapshotMarkerCountsOnlyAcceptedRecords(t *testing.T) {
	e, srv, _, sink := snapshotEnv(t, 2*snapshotCap, "OPEN")
	want := openSet(srv, "OPEN")
	refuser := &refuseOneForGood{LogsSink: sink}
	e.Next = refuser
	s, _ := e.stream(t)
	require.NoError(t, s.Snapshot(context.Background()))
	require.True(t, want[refuser.bad], "a finding of the set was refused")
	byID, ends := snapshotRecords(t, sink.AllLogs())
	require.Len(t, ends, 1)
	snapID, _ := ends[0].Attributes().Get(AttrSnapshotID)
	got := byID[snapID.Str()]
	assert.Len(t, got, len(want)-1, "the set but the refused finding")
	assert.Zero(t, got[refuser.bad])
	records, _ := ends[0].Attributes().Get(AttrSnapshotRecords)
	assert.Equal(t, int64(len(got)), records.Int(), "the marker counts what the consumer accepted")
	complete, _ := ends[0].Attributes().Get(AttrSnapshotComplete)
	assert.False(t, complete.Bool(), "the marker says the snapshot is incomplete")
	refused, ok := ends[0].Attributes().Get(AttrSnapshotRefused)
	require.True(t, ok, "the marker has %s", AttrSnapshotRefused)
	assert.Equal(t, int64(1), refused.Int())
}

// A snapshot open when the format changes (native to ocsf) is started
// again under a new id, not continued in the other body shape.
func TestSnapshotFormatChangeStartsAfresh(t *testing.T) {
	e, srv, clock, sink := snapshotEnv(t, 3*snapshotCap, "OPEN")
	want := openSet(srv, "OPEN")
	dir := t.TempDir()
	e.fileStorage(dir)
	e.FormatName = "native"
	e.Next = &refuseAfter{LogsSink: sink, n: 2}
	s, release := e.stream(t)
	require.Error(t, s.Snapshot(context.Background()))
	first, _ := snapshotRecords(t, sink.AllLogs())
	require.Len(t, first, 1)
	release()

	clock.Advance(time.Minute)
	e.FormatName = "ocsf"
	e.fileStorage(dir)
	after := &consumertest.LogsSink{}
	e.Next = after
	s, _ = e.stream(t)
	require.NoError(t, s.Snapshot(context.Background()))
	byID, ends := snapshotRecords(t, after.AllLogs())
	require.Len(t, ends, 1)
	snapID, _ := ends[0].Attributes().Get(AttrSnapshotID)
	assert.NotContains(t, first, snapID.Str(), "a new snapshot, not the open one continued")
	assert.Len(t, byID, 1)
	assertSnapshot(t, after, want)
}
