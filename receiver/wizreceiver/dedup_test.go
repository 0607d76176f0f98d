package wizreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
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
