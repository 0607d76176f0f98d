package wizreceiver

import (
	"sync"
	"testing"
	"time"
)

// checkInvariants returns a hook that checks a stream's checkpoint after
// every write, across the restarts of a test that keeps the hook (see
// docs/design/checkpointing.md):
//   - the watermark never moves back, unless it lay past Wiz's clock;
//   - the seen set holds only keys a later query reads again: the next
//     window's overlap, the part of the open window below the watermark,
//     or, for a capped stream, the open window's walks; and none dated
//     past the clock, where every window ends;
//   - a narrowed window's Until stays within the window.
func checkInvariants(t *testing.T) func(*stream) {
	var mu sync.Mutex
	// By log type: a restarted receiver's stream must not move back
	// either.
	watermarks := map[string]time.Time{}
	return func(s *stream) {
		mu.Lock()
		defer mu.Unlock()
		cp := s.state
		if last := watermarks[s.logType.Key]; cp.Watermark.Before(last) && !last.After(wizNow(s)) {
			t.Errorf("%s: the watermark moved back from %s to %s", s.logType.Key, last, cp.Watermark)
		}
		watermarks[s.logType.Key] = cp.Watermark
		future := s.clockBound().Add(timeTick).UnixNano()
		for h, ts := range s.dedup.seen {
			if !readAgain(s, ts) {
				t.Errorf("%s: the seen set holds key %x at %s, which no later query reads", s.logType.Key, h, time.Unix(0, ts).UTC())
			}
			if ts > future {
				t.Errorf("%s: the seen set holds key %x at %s, past the clock", s.logType.Key, h, time.Unix(0, ts).UTC())
			}
		}
		if w := cp.Window; w != nil && !w.capWalkValid() {
			t.Errorf("%s: until %s lies outside the window [%s, %s]", s.logType.Key, w.Until, w.Start, w.End)
		}
	}
}

// wizNow is the stream's reading of Wiz's clock, which a watermark past it
// is clamped to.
func wizNow(s *stream) time.Time {
	now, _ := s.wizNow()
	return now
}

// readAgain reports whether a query still to come reads polled time t.
// Every query reads from a tick before its start to a tick past its end.
func readAgain(s *stream, t int64) bool {
	cp := s.state
	at := time.Unix(0, t)
	nextWindowStart := cp.Watermark
	if w := cp.Window; w != nil {
		nextWindowStart = w.End
		if !at.After(cp.Watermark.Add(timeTick)) {
			return true // the open window's overlap, below the watermark
		}
		if s.cap.keepsWalkKeys() && !at.Before(w.Start.Add(-timeTick)) && !at.After(s.cap.queryEnd(w).Add(timeTick)) {
			return true // the capped window's next walk
		}
	}
	return !at.Before(nextWindowStart.Add(-s.cfg.Overlap - timeTick))
}
