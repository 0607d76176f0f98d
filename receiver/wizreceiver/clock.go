package wizreceiver

import (
	"time"

	"go.uber.org/zap"
)

// The clocks a stream cuts its windows by (see docs/design/checkpointing.md).
// Wiz stamps records by its own clock, so a window that ends past Wiz's
// clock by more than overlap moves the watermark past records Wiz has yet
// to write, and skips them; this host's clock, running ahead, would do just
// that.

// wizNow is the latest Wiz's clock reads now, as the client read it from
// Wiz's answers (at most a second and a request's duration past it), or
// this host's clock until Wiz has told its own.
func (s *stream) wizNow() (now time.Time, known bool) {
	if now, known = s.wizClock.Now(); known {
		return now, true
	}
	return s.now(), false
}

// clockBound is the latest time a window may end: the earlier of this
// host's clock and Wiz's. Either clock can only hold windows back, so a
// skewed host or a wrong Date header delays records and never skips them.
func (s *stream) clockBound() time.Time {
	wizNow, _ := s.wizNow()
	return minTime(s.now(), wizNow)
}

// clampToClock moves a watermark that lies past Wiz's clock back, with the
// window it opened, and logs it once. Such a watermark was cut by a host
// clock running ahead of Wiz's (an earlier release's, or another host's),
// so it moves back by this host's lead over Wiz, to where Wiz's clock stood
// when it was cut should this host have led by as much then, and at least
// to Wiz's clock. The keys delivered stay in the seen set, so what it
// re-reads and still recognises is not repeated.
func (s *stream) clampToClock() {
	from := s.state.Watermark
	wizNow, known := s.wizNow()
	if !from.After(wizNow) {
		return
	}
	host := s.now()
	to := minTime(wizNow, from.Add(wizNow.Sub(host)))
	fields := []zap.Field{zap.String("stream", s.logType.Key), zap.Time("watermark", from), zap.Time("host_clock", host)}
	if known {
		fields = append(fields, zap.Time("wiz_clock", wizNow))
	}
	s.logger.Warn("Checkpoint lies ahead of Wiz's clock; moving it back, as records after Wiz's clock would be skipped",
		append(fields, zap.Time("moved_to", to))...)
	s.state.Watermark = to
	s.state.Window = nil
	s.dedup.prune(&s.state)
}

// recut cuts a window that was cut before Wiz told its clock, and ends past
// it, at Wiz's clock (never below the watermark), before any of it is
// delivered. It reports whether it did: the window is then read again.
func (s *stream) recut(w *window) bool {
	wizNow, _ := s.wizNow()
	if !w.End.After(wizNow) {
		return false
	}
	w.End = maxTime(s.clockBound(), s.state.Watermark)
	return true
}
