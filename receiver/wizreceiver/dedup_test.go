package wizreceiver

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

// Stored checkpoints hold these hashes: hashKey must keep them.
func TestHashKeyIsStable(t *testing.T) {
	for want, k := range map[uint64]mapping.Key{
		0x4202163e9808b793: {ID: "0b9d6a5e-3f0e-4c6e-9a59-6d7c1f0f6c21", Time: time.Date(2026, 11, 27, 1, 2, 3, 456789000, time.UTC)},
		0x08e31007b58142b1: {ID: "", Time: time.Unix(0, 0)},
		0x5d999320ef365fff: {ID: "x", Time: time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC)},
	} {
		assert.Equal(t, want, hashKey(k), "%+v", k)
	}
}

// Hashing a record key allocates nothing: deliver hashes every record.
func TestHashKeyAllocatesNothing(t *testing.T) {
	k := mapping.Key{ID: "0b9d6a5e-3f0e-4c6e-9a59-6d7c1f0f6c21", Time: time.Now()}
	assert.Zero(t, testing.AllocsPerRun(100, func() { hashKey(k) }))
}

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
	cfg := testConfig("http://127.0.0.1:1")
	enableOnly(cfg, "audit")
	sink := &consumertest.LogsSink{}
	rcv, err := newWizReceiver(receivertestSettings(), cfg, sink)
	require.NoError(t, err)
	rcv.now = clock.Now
	s, _ := firstStream(t, rcv, componenttest.NewNopHost())
	future := clock.Now().Add(365 * 24 * time.Hour)
	s.client = afterOnly{nodes: map[string]time.Time{"now": clock.Now().Add(-time.Minute), "next-year": future}}
	emitted := func() map[string]int {
		ids := map[string]int{}
		for _, logs := range sink.AllLogs() {
			forEachRecord(logs, func(lr plog.LogRecord) {
				id, _ := lr.Body().Map().Get("id")
				ids[id.Str()]++
			})
		}
		return ids
	}

	require.NoError(t, s.poll(context.Background()))
	assert.Equal(t, seenSet{hashKey(mapping.Key{ID: "now", Time: clock.Now().Add(-time.Minute)}): clock.Now().Add(-time.Minute).UnixNano()},
		s.dedup.seen, "only the key of the node delivered, which the next window's overlap reads again")
	for range 3 {
		clock.Advance(cfg.PollInterval)
		require.NoError(t, s.poll(context.Background()))
		assert.Empty(t, s.dedup.seen)
	}
	assert.Equal(t, map[string]int{"now": 1}, emitted(), "the future node waits for its window")

	// Its time comes: the window that covers it delivers it, once.
	clock.Advance(future.Sub(clock.Now()) + time.Second)
	for range 3 {
		require.NoError(t, s.poll(context.Background()))
		clock.Advance(cfg.PollInterval)
	}
	assert.Equal(t, map[string]int{"now": 1, "next-year": 1}, emitted())

	// A stored future-dated key is let go on restore.
	stored := checkpoint{Version: checkpointVersion, Watermark: clock.Now(), Seen: []seenKey{
		{Hash: 1, Time: clock.Now().Add(-time.Second).UnixNano()}, {Hash: 2, Time: clock.Now().Add(time.Hour).UnixNano()},
	}}
	raw, err := json.Marshal(stored)
	require.NoError(t, err)
	restored := fuzzStream(t, raw, afterOnly{})
	restored.now = clock.Now
	require.NoError(t, restored.restore(context.Background()))
	assert.Equal(t, seenSet{1: clock.Now().Add(-time.Second).UnixNano()}, restored.dedup.seen)
}
