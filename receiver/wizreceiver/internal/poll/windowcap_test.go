// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

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
