// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// seenKey is a hashed record key and the record's polled time, kept so the
// set can be pruned as the watermark moves.
type seenKey struct {
	Hash uint64 `json:"h"`
	Time int64  `json:"t"`
}

// hashKey reduces a record key to 64 bits: checkpoints stay small, and a
// collision among the few thousand keys of an overlap window is negligible.
// It is FNV-1a of "id|unix nanoseconds", which stored checkpoints hold, so
// it must not change.
func hashKey(k mapping.Key) uint64 {
	// Written into a stack buffer, so that hashing every record allocates
	// nothing.
	var buf [96]byte
	b := append(buf[:0], k.ID...)
	b = append(b, '|')
	b = strconv.AppendInt(b, k.Time.UnixNano(), 10)
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}

// seenSet is the in-memory form of checkpoint.Seen.
type seenSet map[uint64]int64

func (s seenSet) toSlice() []seenKey {
	out := make([]seenKey, 0, len(s))
	for h, t := range s {
		out = append(out, seenKey{Hash: h, Time: t})
	}
	// A stable order keeps stored checkpoints comparable.
	slices.SortFunc(out, func(a, b seenKey) int {
		if a.Time != b.Time {
			return int(min(max(a.Time-b.Time, -1), 1))
		}
		if a.Hash < b.Hash {
			return -1
		}
		if a.Hash > b.Hash {
			return 1
		}
		return 0
	})
	return out
}

// keepOnly forgets the keys whose time keep rejects.
func (s seenSet) keepOnly(keep func(t int64) bool) {
	for h, ts := range s {
		if !keep(ts) {
			delete(s, h)
		}
	}
}
