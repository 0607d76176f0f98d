package wiztest

import (
	"sync"
	"time"
)

// Clock is a settable clock: it moves only when a test moves it. Tests
// hand its Now to what would read the time (windows, the no-events alert,
// the webhook's dedup window, the mock's own clock).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a clock that reads now until it is moved.
func NewClock(now time.Time) *Clock {
	return &Clock{now: now}
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
