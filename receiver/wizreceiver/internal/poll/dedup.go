// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import "time"

// dedup drops records a query reads again. Queries overlap on purpose (the
// overlap catches entries Wiz indexes late, and a narrowed window is read
// again), so the keys of delivered records that a later query reads again
// stay in the seen set, and in the checkpoint with it. The cursor resumes
// past the others, so a long backfill neither holds nor rewrites every key
// it delivered.
type dedup struct {
	seen    seenSet
	overlap time.Duration
	cap     resultCap
}

// delivered reports whether the record with key hash h was delivered.
func (d *dedup) delivered(h uint64) bool {
	_, ok := d.seen[h]
	return ok
}

// add keeps the keys of a page the next consumer took whole that a later
// query reads again, and lets go of the others, a key held from a try at
// the page that failed part-way included. A capped walk keeps all of its
// keys until it ends, as a narrowed window may read any of them again; the
// cap bounds them. A key already kept keeps the later of its two times: a
// node dated past its window's end, kept as of that end, that a later
// window serves again (a Wiz that ignores the query's end serves it at
// every poll until its date) is kept as of the later window's end, so it
// is not delivered again.
func (d *dedup) add(cp *checkpoint, keys seenSet) {
	for h, t := range keys {
		t = d.later(h, t)
		if d.cap.keepsWalkKeys() || d.rereads(cp, t) {
			d.seen[h] = t
		} else {
			delete(d.seen, h)
		}
	}
}

// hold keeps the keys of the records the next consumer took from a page
// before it failed part-way. The page is read again, and Wiz may then
// serve those records on it or on any later page of the walk, so their
// keys stay until a page that holds them is taken whole, or the window
// closes.
func (d *dedup) hold(keys seenSet) {
	for h, t := range keys {
		d.seen[h] = d.later(h, t)
	}
}

// later is the later of t and the time key h is kept by, if it is kept.
func (d *dedup) later(h uint64, t int64) int64 {
	if kept, ok := d.seen[h]; ok {
		return max(t, kept)
	}
	return t
}

// prune lets go of the keys no later query reads.
func (d *dedup) prune(cp *checkpoint) {
	d.seen.keepOnly(func(t int64) bool { return d.rereads(cp, t) })
}

// rereads reports whether a later query reads a record with polled time t
// again: with no window open, every key within overlap of the watermark
// (pruned as it moves); within a window, the keys up to the watermark (the
// overlap this window reads), those within overlap of the window's end (the
// next window reads them), and those the result cap has the window's next
// walk read. Every query reads from a tick before its start, bound included
// should Wiz's bounds be inclusive.
func (d *dedup) rereads(cp *checkpoint, t int64) bool {
	w := cp.Window
	if w == nil {
		return t >= cp.Watermark.Add(-d.overlap-timeTick).UnixNano()
	}
	return t <= cp.Watermark.Add(timeTick).UnixNano() || t >= w.End.Add(-d.overlap-timeTick).UnixNano() || d.cap.rereads(w, t)
}
