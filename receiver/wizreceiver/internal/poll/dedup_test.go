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
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
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

// afterOnly is a Wiz that honours a query's `after` but not its `before`:
// it serves every node dated after the query's start, future-dated ones
// included, on one page.
type afterOnly struct {
	nodes map[string]time.Time // polled time by id
}

func (f afterOnly) FetchPage(_ context.Context, req wiz.Request) (wiz.Page, error) {
	bounds := req.Variables["filterBy"].(map[string]any)["timestamp"].(map[string]any)
	after, err := time.Parse(time.RFC3339Nano, bounds["after"].(string))
	if err != nil {
		return wiz.Page{}, err
	}
	var page wiz.Page
	for _, id := range slices.Sorted(maps.Keys(f.nodes)) {
		if at := f.nodes[id]; at.After(after) {
			page.Nodes = append(page.Nodes, json.RawMessage(`{"id":"`+id+`","timestamp":"`+formatTime(at)+`"}`))
		}
	}
	return page, nil
}

// A node dated in the future (served by a Wiz that ignores the query's
// end) is not kept in the seen set until its date: it is left to the
// window that covers its time, which delivers it once, and poll after poll
// it is neither repeated nor held. A checkpoint that holds such a key (an
// earlier release kept them) lets go of it on restore.
func TestFutureDatedNodes(t *testing.T) {
	clock := wiztest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, "http://127.0.0.1:1")
	e.enableOnly("audit")
	sink := &consumertest.LogsSink{}
	e.Next, e.Now = sink, clock.Now
	future := clock.Now().Add(365 * 24 * time.Hour)
	e.wrap = func(Client) Client {
		return afterOnly{nodes: map[string]time.Time{"now": clock.Now().Add(-time.Minute), "next-year": future}}
	}
	s, _ := e.stream(t)
	emitted := func() map[string]int {
		ids := map[string]int{}
		for _, logs := range sink.AllLogs() {
			polltest.ForEachRecord(logs, func(lr plog.LogRecord) {
				id, _ := lr.Body().Map().Get("id")
				ids[id.Str()]++
			})
		}
		return ids
	}

	require.NoError(t, s.Poll(context.Background()))
	assert.Equal(t, seenSet{hashKey(mapping.Key{ID: "now", Time: clock.Now().Add(-time.Minute)}): clock.Now().Add(-time.Minute).UnixNano()},
		s.walker.dedup.seen, "only the key of the node delivered, which the next window's overlap reads again")
	for range 3 {
		clock.Advance(e.PollInterval)
		require.NoError(t, s.Poll(context.Background()))
		assert.Empty(t, s.walker.dedup.seen)
	}
	assert.Equal(t, map[string]int{"now": 1}, emitted(), "the future node waits for its window")

	// Its time comes: the window that covers it delivers it, once.
	clock.Advance(future.Sub(clock.Now()) + time.Second)
	for range 3 {
		require.NoError(t, s.Poll(context.Background()))
		clock.Advance(e.PollInterval)
	}
	assert.Equal(t, map[string]int{"now": 1, "next-year": 1}, emitted())

	// A stored future-dated key is let go on restore.
	stored := checkpoint{Version: checkpointVersion, Watermark: clock.Now(), Seen: []seenKey{
		{Hash: 1, Time: clock.Now().Add(-time.Second).UnixNano()}, {Hash: 2, Time: clock.Now().Add(time.Hour).UnixNano()},
	}}
	raw, err := json.Marshal(stored)
	require.NoError(t, err)
	restored := fuzzStreamAt(t, raw, afterOnly{}, clock.Now)
	require.NoError(t, restored.Restore(context.Background()))
	assert.Equal(t, seenSet{1: clock.Now().Add(-time.Second).UnixNano()}, restored.walker.dedup.seen)
}
