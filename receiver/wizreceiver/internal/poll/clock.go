// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"time"

	"go.uber.org/zap"
)

// clock is the time a stream cuts its windows by (see
// docs/design/checkpointing.md). Wiz stamps records by its own clock, so a
// window that ends past Wiz's clock by more than overlap moves the
// watermark past records Wiz has yet to write, and skips them; this host's
// clock, running ahead, would do just that.
type clock struct {
	wiz  WizClock
	host func() time.Time
	// stream and logger name the stream in the WARN of a clamp.
	stream string
	logger *zap.Logger
}

// wizNow is the latest Wiz's clock reads now, as the client read it from
// Wiz's answers (at most a second and a request's duration past it), or
// this host's clock until Wiz has told its own.
func (c clock) wizNow() (now time.Time, known bool) {
	if now, known = c.wiz.Now(); known {
		return now, true
	}
	return c.host(), false
}

// bound is the latest time a window may end: the earlier of this host's
// clock and Wiz's. Either clock can only hold windows back, so a skewed
// host or a wrong Date header delays records and never skips them.
func (c clock) bound() time.Time {
	wizNow, _ := c.wizNow()
	return minTime(c.host(), wizNow)
}

// clamp is where a watermark that lies past Wiz's clock moves back to,
// with a WARN; ok is false for a watermark at or before Wiz's clock. Such
// a watermark was cut by a host clock running ahead of Wiz's (an earlier
// release's, or another host's), so it moves back by this host's lead over
// Wiz, to where Wiz's clock stood when it was cut should this host have
// led by as much then, and at least to Wiz's clock. The lead is what Wiz's
// Date shows, which is believed up to a day (see the client).
//
// Until Wiz has told its clock, this host's stands in, and the WARN says
// so. The WARN comes at each poll that finds the watermark ahead: once,
// unless this host's clock stood in and Wiz's, told later, lies behind it;
// then once more.
func (c clock) clamp(watermark time.Time) (to time.Time, ok bool) {
	wizNow, known := c.wizNow()
	if !watermark.After(wizNow) {
		return time.Time{}, false
	}
	host := c.host()
	to = minTime(wizNow, watermark.Add(wizNow.Sub(host)))
	fields := []zap.Field{zap.String("stream", c.stream), zap.Time("watermark", watermark), zap.Time("host_clock", host)}
	msg := "Checkpoint lies ahead of this host's clock, which stands in for Wiz's until Wiz answers; " +
		"moving it back, as records after Wiz's clock would be skipped"
	if known {
		fields = append(fields, zap.Time("wiz_clock", wizNow))
		msg = "Checkpoint lies ahead of Wiz's clock; moving it back, as records after Wiz's clock would be skipped"
	}
	c.logger.Warn(msg, append(fields, zap.Time("moved_to", to))...)
	return to, true
}

// recut cuts a window that was cut before Wiz told its clock, and ends past
// it, at Wiz's clock (never below the watermark), before any of it is
// delivered. It reports whether it did: the window is then read again.
func (c clock) recut(w *window, watermark time.Time) bool {
	wizNow, _ := c.wizNow()
	if !w.End.After(wizNow) {
		return false
	}
	w.End = maxTime(c.bound(), watermark)
	return true
}
