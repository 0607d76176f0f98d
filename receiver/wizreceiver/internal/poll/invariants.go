// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"sync"
	"time"
)

// Invariants checks a stream's checkpoint after every write against the
// invariants docs/design/checkpointing.md states:
//   - the watermark never moves back, unless it lay past Wiz's clock;
//   - the seen set holds only keys a later query reads again: the next
//     window's overlap, the part of the open window below the watermark,
//     for a capped stream the open window's walks, and inside the open
//     window the keys a try that failed part-way held (the walk may serve
//     those records again); and none dated past the furthest end its
//     windows reached (the checkpoint's own bound, or the one before a
//     clamp moved it back), as a key is kept no later than its window's
//     end;
//   - a narrowed window's Until stays within the window.
//
// It is their executable form, written apart from the code that keeps
// them: tests hand Check to Settings.AfterSave, and one Invariants checks
// the streams of every restart of a test, whose watermarks must not move
// back either.
type Invariants struct {
	errorf func(format string, args ...any)

	mu sync.Mutex
	// last is what the last check of each log type saw.
	last map[string]*checked
}

// checked is what the last check of a stream saw.
type checked struct {
	watermark time.Time
	// reached is the furthest bound a checkpoint of the stream had.
	reached time.Time
	// cursor is the open window's cursor, "" when none was open.
	cursor string
	// held holds the keys a try that failed part-way held in the open
	// window: a save that leaves the walk where it was follows such a try,
	// and the keys it adds no other rule admits are the held ones.
	held map[uint64]bool
}

// NewInvariants reports each broken invariant to errorf (a test's Errorf).
func NewInvariants(errorf func(format string, args ...any)) *Invariants {
	return &Invariants{errorf: errorf, last: map[string]*checked{}}
}

// Check checks s's checkpoint as it was just written.
func (inv *Invariants) Check(s *Stream) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	w, key := s.walker, s.logType.Key
	cp := w.state
	last, seenBefore := inv.last[key]
	if !seenBefore {
		last = &checked{held: map[uint64]bool{}}
		inv.last[key] = last
	} else if cp.Watermark.Before(last.watermark) {
		if wizNow, _ := w.clock.wizNow(); !last.watermark.After(wizNow) {
			inv.errorf("%s: the watermark moved back from %s to %s", key, last.watermark, cp.Watermark)
		}
	}
	last.watermark = cp.Watermark
	last.reached = maxTime(last.reached, cp.bound())
	win := cp.Window
	// A stream checked for the first time may have been restored with keys
	// an earlier run held.
	walkStayed := win != nil && (!seenBefore || win.Cursor == last.cursor)
	if win == nil {
		clear(last.held)
		last.cursor = ""
	} else {
		last.cursor = win.Cursor
	}
	for h, ts := range w.dedup.seen {
		at := time.Unix(0, ts).UTC()
		switch {
		case readAgain(w, ts) || last.held[h]:
		case walkStayed && !at.Before(win.Start.Add(-timeTick)) && !at.After(win.End.Add(timeTick)):
			last.held[h] = true
		default:
			inv.errorf("%s: the seen set holds key %x at %s, which no later query reads", key, h, at)
		}
		if ts > last.reached.Add(timeTick).UnixNano() {
			inv.errorf("%s: the seen set holds key %x at %s, past %s, the furthest its windows reached", key, h, at, last.reached)
		}
	}
	if win != nil && !win.capWalkValid() {
		inv.errorf("%s: until %s lies outside the window [%s, %s]", key, win.Until, win.Start, win.End)
	}
}

// readAgain reports whether a query still to come reads polled time t.
// Every query reads from a tick before its start to a tick past its end.
func readAgain(w *walker, t int64) bool {
	cp := w.state
	at := time.Unix(0, t)
	nextWindowStart := cp.Watermark
	if win := cp.Window; win != nil {
		nextWindowStart = win.End
		if !at.After(cp.Watermark.Add(timeTick)) {
			return true // the open window's overlap, below the watermark
		}
		if w.cap.keepsWalkKeys() && !at.Before(win.Start.Add(-timeTick)) && !at.After(w.cap.queryEnd(win).Add(timeTick)) {
			return true // the capped window's next walk
		}
	}
	return !at.Before(nextWindowStart.Add(-w.overlap - timeTick))
}
