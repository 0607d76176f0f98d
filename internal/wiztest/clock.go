// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import (
	"context"
	"sync"
	"time"
)

// HangGuard bounds a test's wait for something that must happen (a
// delivery reaching the consumer, a stream coming to its next poll): it
// fails a test that would otherwise hang, and times nothing.
const HangGuard = 2 * time.Minute

// Clock is a settable clock: it moves only when a test moves it. Tests
// hand its Now to what would read the time (windows, the no-events alert,
// the webhook's dedup window, the mock's own clock).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a clock that reads now until it is moved. Its readings carry
// no monotonic clock reading, so that == and testify's Equal compare them
// as instants, as they compare times read back from storage.
func NewClock(now time.Time) *Clock {
	return &Clock{now: now.Round(0)}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep is a sleep on the clock: it moves the clock by d at once, unless
// ctx has ended. Tests hand it to what would wait (the rate limiter's
// pacing and pauses), to check the waits without waiting them.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}
