// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
)

// alwaysCappedWiz is a Wiz, written with the standard library, that
// answers every configuration findings query with a full page, a next
// page under a new cursor, and maxCountReached: true. It counts the
// queries, and cancels the test's walk once they pass stopAt: without a
// bound the snapshot would never end.
func alwaysCappedWiz(t *testing.T, pageSize int, stopAt int64, cancel context.CancelFunc) (string, *atomic.Int64) {
	firstSeen := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339Nano)
	nodes := make([]string, pageSize)
	for i := range nodes {
		nodes[i] = fmt.Sprintf(`{"id":"cf-%d","status":"OPEN","severity":"HIGH","result":"FAIL","firstSeenAt":%q,"updatedAt":%q,"analyzedAt":%q}`,
			i, firstSeen, firstSeen, firstSeen)
	}
	page := strings.Join(nodes, ",")
	var queries atomic.Int64
	url := wiztest.NewFakeWiz(t, wiztest.WithAPI(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Variables struct {
				First int `json:"first"`
			} `json:"variables"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Variables.First != pageSize {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n := queries.Add(1)
		if n > stopAt {
			cancel()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"data":{"configurationFindings":{"nodes":[%s],"pageInfo":{"hasNextPage":true,"endCursor":"c%d"},"maxCountReached":true}}}`, page, n)
	})).URL
	return url, &queries
}

// A Wiz that reports its cap reached on every walk, and never ends a
// walk's pages, cannot keep a snapshot running: each walk stops at the
// cap, halving stops at minPartition, and the snapshot ends once its
// budget of capped walks is spent, with an incomplete marker and one
// ERROR that names the data set.
func TestSnapshotEndsAgainstAlwaysCappedWiz(t *testing.T) {
	const pageSize = 25
	pagesPerWalk := (snapshotCap + pageSize - 1) / pageSize
	// The fake serves pageSize distinct findings at most: they earn no
	// split beyond the base budget.
	bound := int64((baseSplitBudget + splitsPerCap*pageSize/snapshotCap + 1) * pagesPerWalk)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, queries := alwaysCappedWiz(t, pageSize, 20*bound, cancel)
	e, _, sink := snapshotStreamEnv(t, &logtype.ConfigurationFindings, url, "OPEN")
	logs := e.observeLogs(zapcore.ErrorLevel)
	s, _ := e.stream(t)

	require.NoError(t, s.Snapshot(ctx), "after %d queries", queries.Load())
	assert.LessOrEqual(t, queries.Load(), bound, "queries of one snapshot")
	_, ends := snapshotRecords(t, sink.AllLogs())
	require.Len(t, ends, 1, "one end marker")
	complete, _ := ends[0].Attributes().Get(AttrSnapshotComplete)
	assert.False(t, complete.Bool(), "the marker says the snapshot is incomplete")
	require.Equal(t, 1, logs.Len(), "one ERROR: %v", logs.All())
	assert.Contains(t, logs.All()[0].Message, "configuration_findings.snapshot.statuses")
	assert.Nil(t, s.snapshots.state.Open, "the snapshot is closed")
}

// rangeWiz is a Wiz, written with the standard library, that serves the
// configuration findings given, first seen at the times given: those whose
// first-seen time is strictly between the query's after and before, in
// pages of the query's first, under cursors that count the nodes served,
// with hasNextPage while more remain. It never caps a walk and answers
// maxCountReached: false. It counts the queries.
func rangeWiz(t *testing.T, firstSeen map[string]time.Time) (string, *atomic.Int64) {
	ids := slices.SortedFunc(maps.Keys(firstSeen), func(a, b string) int { return firstSeen[a].Compare(firstSeen[b]) })
	var queries atomic.Int64
	url := wiztest.NewFakeWiz(t, wiztest.WithAPI(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Variables struct {
				First    int                        `json:"first"`
				After    string                     `json:"after"`
				FilterBy map[string]json.RawMessage `json:"filterBy"`
			} `json:"variables"`
		}
		var bounds struct {
			After  time.Time `json:"after"`
			Before time.Time `json:"before"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Variables.First <= 0 ||
			json.Unmarshal(req.Variables.FilterBy["firstSeenAt"], &bounds) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		offset := 0
		if req.Variables.After != "" {
			var err error
			if offset, err = strconv.Atoi(req.Variables.After); err != nil {
				http.Error(w, "bad cursor", http.StatusBadRequest)
				return
			}
		}
		queries.Add(1)
		var nodes []string
		for _, id := range ids {
			if at := firstSeen[id]; at.After(bounds.After) && at.Before(bounds.Before) {
				s := at.Format(time.RFC3339Nano)
				nodes = append(nodes, fmt.Sprintf(`{"id":%q,"status":"OPEN","severity":"HIGH","result":"FAIL","firstSeenAt":%q,"updatedAt":%q,"analyzedAt":%q}`,
					id, s, s, s))
			}
		}
		end := min(offset+req.Variables.First, len(nodes))
		offset = min(offset, end)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"data":{"configurationFindings":{"nodes":[%s],"pageInfo":{"hasNextPage":%t,"endCursor":"%d"},"maxCountReached":false}}}`,
			strings.Join(nodes[offset:end], ","), end < len(nodes), end)
	})).URL
	return url, &queries
}

// A finding first seen between two partitions, with digits below the
// microsecond the partitions are aligned to, is in the snapshot: it falls
// in the partition of its microsecond.
func TestSnapshotNodeBetweenPartitions(t *testing.T) {
	boundary := snapshotOrigin.Add(firstPartition)
	url, _ := rangeWiz(t, map[string]time.Time{
		"cf-boundary":       boundary.Add(500 * time.Nanosecond),
		"cf-after-boundary": boundary.Add(time.Microsecond + 500*time.Nanosecond),
		"cf-before":         boundary.Add(-500 * time.Nanosecond),
	})
	e, _, sink := snapshotStreamEnv(t, &logtype.ConfigurationFindings, url, "OPEN")
	s, _ := e.stream(t)
	require.NoError(t, s.Snapshot(context.Background()))
	assertSnapshot(t, sink, map[string]bool{"cf-boundary": true, "cf-after-boundary": true, "cf-before": true})
}

// A walk that stopped at the limit while Wiz still had a next page was cut
// short, whatever Wiz says of its cap: the partition is halved and read
// again, not moved past. The fake holds three limits' worth of findings in
// the first partition and answers maxCountReached: false.
func TestSnapshotSplitsWalkStoppedAtLimitDespiteMaxCountReachedFalse(t *testing.T) {
	firstSeen := map[string]time.Time{}
	want := map[string]bool{}
	for i := range 3 * snapshotCap {
		id := fmt.Sprintf("cf-%d", i)
		firstSeen[id] = snapshotOrigin.Add(time.Duration(i) * 4 * time.Minute)
		want[id] = true
	}
	url, _ := rangeWiz(t, firstSeen)
	e, _, sink := snapshotStreamEnv(t, &logtype.ConfigurationFindings, url, "OPEN")
	s, _ := e.stream(t)
	require.NoError(t, s.Snapshot(context.Background()))
	assertSnapshot(t, sink, want)
}

// endlessWiz is a Wiz, written with the standard library, that serves new
// configuration findings on every page, first seen at the start of the
// range the query asks for, always with a next page and maxCountReached:
// true. With narrowOnly it serves them only to ranges of three seconds
// or less, and an empty capped page to wider ones, so the walk halves
// straight down to the narrowest partition. It counts the queries, and
// cancels the test's walk once they pass stopAt.
func endlessWiz(t *testing.T, narrowOnly bool, stopAt int64, cancel context.CancelFunc) (string, *atomic.Int64) {
	var queries atomic.Int64
	url := wiztest.NewFakeWiz(t, wiztest.WithAPI(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Variables struct {
				First    int                        `json:"first"`
				FilterBy map[string]json.RawMessage `json:"filterBy"`
			} `json:"variables"`
		}
		var bounds struct {
			After  time.Time `json:"after"`
			Before time.Time `json:"before"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Variables.First <= 0 || req.Variables.First > 100 ||
			json.Unmarshal(req.Variables.FilterBy["firstSeenAt"], &bounds) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n := queries.Add(1)
		if n > stopAt {
			cancel()
		}
		var nodes []string
		if !narrowOnly || bounds.Before.Sub(bounds.After) <= 3*time.Second {
			at := bounds.After.Add(time.Microsecond).Format(time.RFC3339Nano)
			for i := range req.Variables.First {
				nodes = append(nodes, fmt.Sprintf(`{"id":"cf-%d-%d","status":"OPEN","severity":"HIGH","result":"FAIL","firstSeenAt":%q,"updatedAt":%q,"analyzedAt":%q}`,
					n, i, at, at, at))
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"data":{"configurationFindings":{"nodes":[%s],"pageInfo":{"hasNextPage":%t,"endCursor":"c%d"},"maxCountReached":true}}}`,
			strings.Join(nodes, ","), len(nodes) > 0, n)
	})).URL
	return url, &queries
}

// A Wiz that serves new findings forever while reporting its cap reached
// cannot grow a snapshot's budget of capped walks, nor the keys it holds,
// without end: the snapshot ends incomplete within maxSplits walks, and
// its stored keys stay within seenPerCap caps (and one walk).
func TestSnapshotBoundedAgainstEndlessCappedWiz(t *testing.T) {
	const pageSize = 25
	pagesPerWalk := int64((snapshotCap + pageSize - 1) / pageSize)
	// The walks of maxSplits partitions, and the empty ranges' requests.
	bound := (maxSplits+1)*pagesPerWalk + 64
	for _, narrowOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("narrowOnly=%t", narrowOnly), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			url, queries := endlessWiz(t, narrowOnly, bound+4*pagesPerWalk, cancel)
			e, _, sink := snapshotStreamEnv(t, &logtype.ConfigurationFindings, url, "OPEN")
			e.RequestsPerSecond = 1e6
			logs := e.observeLogs(zapcore.ErrorLevel)
			s, _ := e.stream(t)
			keys := 0
			s.snapshots.afterSave = func() {
				if open := s.snapshots.state.Open; open != nil {
					keys = max(keys, len(open.Seen))
				}
			}

			require.NoError(t, s.Snapshot(ctx), "after %d queries", queries.Load())
			assert.LessOrEqual(t, queries.Load(), bound, "queries of one snapshot")
			assert.LessOrEqual(t, keys, seenPerCap*snapshotCap+snapshotCap+pageSize, "keys stored")
			_, ends := snapshotRecords(t, sink.AllLogs())
			require.Len(t, ends, 1, "one end marker")
			complete, _ := ends[0].Attributes().Get(AttrSnapshotComplete)
			assert.False(t, complete.Bool(), "the marker says the snapshot is incomplete")
			require.Equal(t, 1, logs.Len(), "one ERROR: %v", logs.All())
			assert.Nil(t, s.snapshots.state.Open, "the snapshot is closed")
		})
	}
}
