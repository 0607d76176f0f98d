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
//     or, for a capped stream, the open window's walks; and none dated
//     past the furthest end its windows reached (the checkpoint's own
//     bound, or the one before a clamp moved it back), as a key is kept no
//     later than its window's end;
//   - a narrowed window's Until stays within the window.
//
// It is their executable form, written apart from the code that keeps
// them: tests hand Check to Settings.AfterSave, and one Invariants checks
// the streams of every restart of a test, whose watermarks must not move
// back either.
type Invariants struct {
	errorf func(format string, args ...any)

	mu sync.Mutex
	// watermarks is the last watermark seen, by log type.
	watermarks map[string]time.Time
	// reached is the furthest bound a checkpoint had, by log type.
	reached map[string]time.Time
}

// NewInvariants reports each broken invariant to errorf (a test's Errorf).
func NewInvariants(errorf func(format string, args ...any)) *Invariants {
	return &Invariants{errorf: errorf, watermarks: map[string]time.Time{}, reached: map[string]time.Time{}}
}

// Check checks s's checkpoint as it was just written.
func (inv *Invariants) Check(s *Stream) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	w, key := s.walker, s.logType.Key
	cp := w.state
	if last := inv.watermarks[key]; cp.Watermark.Before(last) {
		if wizNow, _ := w.clock.wizNow(); !last.After(wizNow) {
			inv.errorf("%s: the watermark moved back from %s to %s", key, last, cp.Watermark)
		}
	}
	inv.watermarks[key] = cp.Watermark
	reached := maxTime(inv.reached[key], cp.bound())
	inv.reached[key] = reached
	for h, ts := range w.dedup.seen {
		if !readAgain(w, ts) {
			inv.errorf("%s: the seen set holds key %x at %s, which no later query reads", key, h, time.Unix(0, ts).UTC())
		}
		if ts > reached.Add(timeTick).UnixNano() {
			inv.errorf("%s: the seen set holds key %x at %s, past %s, the furthest its windows reached", key, h, time.Unix(0, ts).UTC(), reached)
		}
	}
	if win := cp.Window; win != nil && !win.capWalkValid() {
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
