// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// rereads keeps exactly the keys a later query reads again: the overlap
// behind the watermark, and with a window open, the part up to the
// watermark, the next window's overlap, and what a narrowed capped window's
// next walk reads.
func TestRereads(t *testing.T) {
	mark := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	end := mark.Add(time.Hour)
	ns := func(t time.Time) int64 { return t.UnixNano() }
	d := dedup{overlap: time.Minute, cap: noCap{}}
	closed := &checkpoint{Watermark: mark}
	open := &checkpoint{Watermark: mark, Window: &window{Start: mark.Add(-time.Minute), End: end}}
	tests := []struct {
		name string
		cp   *checkpoint
		cap  resultCap
		at   time.Time
		want bool
	}{
		{"no window: inside the overlap", closed, noCap{}, mark.Add(-30 * time.Second), true},
		{"no window: behind the overlap", closed, noCap{}, mark.Add(-time.Minute - 2*timeTick), false},
		{"window: up to the watermark", open, noCap{}, mark.Add(timeTick), true},
		{"window: past the watermark", open, noCap{}, mark.Add(10 * time.Minute), false},
		{"window: the next window's overlap", open, noCap{}, end.Add(-30 * time.Second), true},
		{"capped window: at or below Until", &checkpoint{Watermark: mark, Window: &window{Start: mark.Add(-time.Minute), End: end,
			capWalk: capWalk{Until: mark.Add(20 * time.Minute)}}}, &windowCap{}, mark.Add(10 * time.Minute), true},
		{"capped window: above Until", &checkpoint{Watermark: mark, Window: &window{Start: mark.Add(-time.Minute), End: end,
			capWalk: capWalk{Until: mark.Add(20 * time.Minute)}}}, &windowCap{}, mark.Add(30 * time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d.cap = tt.cap
			assert.Equal(t, tt.want, d.rereads(tt.cp, ns(tt.at)))
		})
	}

	// prune lets go of the rest.
	d.cap, d.seen = noCap{}, seenSet{1: ns(mark.Add(-30 * time.Second)), 2: ns(mark.Add(-time.Hour))}
	d.prune(closed)
	assert.Equal(t, seenSet{1: ns(mark.Add(-30 * time.Second))}, d.seen)
}

// filteredWiz is a Wiz that serves, on one page, the nodes whose filter
// time (which a node need not carry) lies after the query's `after` on
// field and, unless it ignores that bound, before its `before`.
type filteredWiz struct {
	field        string
	ignoreBefore bool
	nodes        []filteredNode
}

// filteredNode is a node as Wiz serves it, and the time Wiz filters it by.
type filteredNode struct {
	at   time.Time
	json string
}

// afterOnly is a Wiz that honours a query's `after` but not its `before`:
// it serves every audit entry dated after the query's start, future-dated
// ones included.
func afterOnly(entries map[string]time.Time) filteredWiz {
	f := filteredWiz{field: "timestamp", ignoreBefore: true}
	for _, id := range slices.Sorted(maps.Keys(entries)) {
		f.nodes = append(f.nodes, filteredNode{at: entries[id], json: `{"id":"` + id + `","timestamp":"` + formatTime(entries[id]) + `"}`})
	}
	return f
}

func (f filteredWiz) FetchPage(_ context.Context, req wiz.Request) (wiz.Page, error) {
	bounds := req.Variables["filterBy"].(map[string]any)[f.field].(map[string]any)
	after, err := time.Parse(time.RFC3339Nano, bounds["after"].(string))
	if err != nil {
		return wiz.Page{}, err
	}
	before, err := time.Parse(time.RFC3339Nano, bounds["before"].(string))
	if err != nil {
		return wiz.Page{}, err
	}
	var page wiz.Page
	for _, n := range f.nodes {
		if n.at.After(after) && (f.ignoreBefore || n.at.Before(before)) {
			page.Nodes = append(page.Nodes, json.RawMessage(n.json))
		}
	}
	return page, nil
}

// emittedIDs counts the records sink holds by their body's id.
func emittedIDs(sink *consumertest.LogsSink) map[string]int {
	emitted := map[string]int{}
	for _, logs := range sink.AllLogs() {
		for _, id := range ids(logs) {
			emitted[id]++
		}
	}
	return emitted
}

// A node dated past its window's end is delivered by the window Wiz served
// it in, once. Its key is kept as of the window's end, so no key waits in
// the seen set for a date that may be far off; a Wiz that ignores the
// query's end serves it again at every poll, which refreshes the key to
// the later window's end, so it is not repeated either until its date
// passes. A checkpoint that holds a key past its own bound (an earlier
// release kept keys by the node's date) lets go of it on restore.
func TestFutureDatedNodes(t *testing.T) {
	clock := wiztest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, "http://127.0.0.1:1")
	e.enableOnly("audit")
	e.MaxWindow = 30 * 24 * time.Hour
	sink := &consumertest.LogsSink{}
	e.Next, e.Now = sink, clock.Now
	future := clock.Now().Add(365 * 24 * time.Hour)
	e.wrap = func(Client) Client {
		return afterOnly(map[string]time.Time{"now": clock.Now().Add(-time.Minute), "next-year": future})
	}
	s, _ := e.stream(t)
	nextYear := hashKey(mapping.Key{ID: "next-year", Time: future})

	require.NoError(t, s.Poll(context.Background()))
	assert.Equal(t, map[string]int{"now": 1, "next-year": 1}, emittedIDs(sink), "delivered by the window Wiz served it in")
	assert.Equal(t, seenSet{
		hashKey(mapping.Key{ID: "now", Time: clock.Now().Add(-time.Minute)}): clock.Now().Add(-time.Minute).UnixNano(),
		nextYear: clock.Now().UnixNano(),
	}, s.walker.dedup.seen, "the future node's key is kept as of the window's end")
	for range 3 {
		clock.Advance(e.Overlap)
		require.NoError(t, s.Poll(context.Background()))
		assert.Equal(t, seenSet{nextYear: clock.Now().UnixNano()}, s.walker.dedup.seen, "served again: kept as of the later window's end")
	}
	assert.Equal(t, map[string]int{"now": 1, "next-year": 1}, emittedIDs(sink), "not repeated while Wiz serves it")

	// Its date comes and goes: it is not delivered again, and its key is
	// let go with the overlap.
	clock.Advance(future.Sub(clock.Now()) + time.Second)
	for range 16 {
		require.NoError(t, s.Poll(context.Background()))
		clock.Advance(e.Overlap)
	}
	assert.Equal(t, map[string]int{"now": 1, "next-year": 1}, emittedIDs(sink))
	assert.Empty(t, s.walker.dedup.seen)

	// A stored key past the checkpoint's own bound is let go on restore.
	stored := checkpoint{Version: checkpointVersion, Watermark: clock.Now(), Seen: []seenKey{
		{Hash: 1, Time: clock.Now().Add(-time.Second).UnixNano()}, {Hash: 2, Time: clock.Now().Add(time.Hour).UnixNano()},
	}}
	raw, err := json.Marshal(stored)
	require.NoError(t, err)
	restored := fuzzStreamAt(t, raw, filteredWiz{}, clock.Now)
	require.NoError(t, restored.Restore(context.Background()))
	assert.Equal(t, seenSet{1: clock.Now().Add(-time.Second).UnixNano()}, restored.walker.dedup.seen)
}

// A vulnerability finding polled on first_seen_at is filtered by Wiz's
// firstSeenAt but dated by its firstDetectedAt, or lastDetectedAt when it
// has none: its date may lie past the window Wiz serves it in, and no
// later window serves it. It is delivered there, once, and its key is let
// go with the overlap.
func TestNodeDatedPastItsWindowByAnotherField(t *testing.T) {
	clock := wiztest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, "http://127.0.0.1:1")
	e.enableOnly(logtype.VulnerabilityFindings.Key)
	e.logType(&logtype.VulnerabilityFindings).(*logtype.VulnerabilityFindingsConfig).TimeField = "first_seen_at"
	sink := &consumertest.LogsSink{}
	e.Next, e.Now = sink, clock.Now
	firstSeen := clock.Now().Add(-20 * time.Second)
	lastDetected := clock.Now().Add(time.Hour)
	e.wrap = func(Client) Client {
		return filteredWiz{field: "firstSeenAt", nodes: []filteredNode{
			{at: firstSeen, json: `{"id":"redetected","lastDetectedAt":"` + formatTime(lastDetected) + `"}`},
			{at: firstSeen, json: `{"id":"new","firstDetectedAt":"` + formatTime(firstSeen) + `"}`},
		}}
	}
	s, _ := e.stream(t)
	key := hashKey(mapping.Key{ID: "redetected", Time: lastDetected})

	require.NoError(t, s.Poll(context.Background()))
	assert.Equal(t, map[string]int{"redetected": 1, "new": 1}, emittedIDs(sink))
	assert.Equal(t, clock.Now().UnixNano(), s.walker.dedup.seen[key], "kept as of the window's end")

	// Polls until its date has passed by more than the overlap: the
	// overlap serves it again, and it is recognised; then its key goes.
	for clock.Now().Before(lastDetected.Add(2 * e.Overlap)) {
		clock.Advance(e.Overlap / 4)
		require.NoError(t, s.Poll(context.Background()))
	}
	assert.Equal(t, map[string]int{"redetected": 1, "new": 1}, emittedIDs(sink), "each once")
	assert.Empty(t, s.walker.dedup.seen, "let go with the overlap")
}
