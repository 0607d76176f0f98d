// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"net/http"
	"sync"
	"time"
)

// maxClockSkew is the farthest from this host's clock a Date header is
// believed. A host that far off is broken in other ways (TLS, tokens), and
// a Date beyond it more likely comes from a broken proxy or server.
const maxClockSkew = 24 * time.Hour

// dateResolution is the Date header's: whole seconds, truncated.
const dateResolution = time.Second

// wizClock is Wiz's clock as its answers tell it: the Date header of the
// latest answer, advanced by this host's clock since.
//
// Wiz stamped Date, truncated to the second, while the request was under
// way, so at host time h Wiz's clock reads at least Date + (h − arrival)
// and at most Date + 1 s + (h − sending). The clock tells the upper bound:
// a window that ends there ends at most a second and a request's duration
// past Wiz's clock, which the next window's overlap reads again. The lower
// bound would hold every record back by up to that second, and would take
// a host in sync with Wiz for one running ahead; Date plus half the round
// trip errs either way.
type wizClock struct {
	host func() time.Time

	mu sync.Mutex
	// date is the Date of the latest answer; sent and arrived are when its
	// request left and its answer arrived, by the host's clock: with
	// time.Now, readings with a monotonic clock, so that a step of the
	// host's wall clock does not move Wiz's.
	date, sent, arrived time.Time
	// floor is the latest time now returned. Each answer's upper bound
	// lies up to its second and duration past Wiz's clock, so a later one
	// may lie below an earlier one; the clock does not run back for that.
	floor time.Time
}

// observe reads Wiz's clock from the Date header of an answer whose
// request left at sent and arrived at arrived (by the host's clock), and
// returns Wiz's clock minus the host's by that answer, to half a second
// and half the round trip. ok is false when the answer has no valid Date;
// a Date more than maxClockSkew off is reported but not believed.
func (c *wizClock) observe(header http.Header, sent, arrived time.Time) (skew time.Duration, ok bool) {
	date, err := http.ParseTime(header.Get("Date"))
	if err != nil {
		return 0, false
	}
	skew = date.Add(dateResolution / 2).Sub(sent.Add(arrived.Sub(sent) / 2))
	if skew.Abs() > maxClockSkew {
		return skew, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// The latest this answer lets Wiz's clock read lies below the earliest
	// the answer before let it read: Wiz's clock went back. Follow it, or
	// windows would end past what Wiz writes next.
	if !c.date.IsZero() && date.Add(dateResolution+arrived.Sub(sent)).Before(c.date.Add(arrived.Sub(c.arrived))) {
		c.floor = time.Time{}
	}
	c.date, c.sent, c.arrived = date, sent, arrived
	return skew, true
}

// now is the latest Wiz's clock reads now; known is false until an answer
// with a believable Date arrived.
func (c *wizClock) now() (now time.Time, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.date.IsZero() {
		return time.Time{}, false
	}
	now = c.date.Add(dateResolution + c.host().Sub(c.sent))
	if now.Before(c.floor) {
		now = c.floor
	}
	c.floor = now
	return now, true
}
