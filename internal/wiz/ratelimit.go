package wiz

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces every request one receiver instance sends. Wiz limits per
// service account, so all streams share one token bucket, and a 429 with
// Retry-After pauses all of them, not just the stream that was refused.
type Limiter struct {
	bucket *rate.Limiter

	mu          sync.Mutex
	pausedUntil time.Time
	now         func() time.Time
}

// jitterHeadroom is the share of requests_per_second the limiter paces at.
// Requests leave evenly spaced, but scheduling and the network delay each
// one differently, and Wiz counts them as they arrive: pacing at the exact
// limit would let two of them arrive close enough for a one-second window
// to hold one request too many. 3% of the spacing absorbs about 30 ms of
// jitter at any rate.
const jitterHeadroom = 0.97

// NewLimiter allows requestsPerSecond, evenly spaced, with jitterHeadroom.
// The bucket holds one token: a larger burst would let streams that were
// idle send a burst on top of the steady rate, and a one-second window
// could then see up to twice the allowed requests.
func NewLimiter(requestsPerSecond float64) *Limiter {
	return &Limiter{bucket: rate.NewLimiter(rate.Limit(requestsPerSecond*jitterHeadroom), 1), now: time.Now}
}

// PauseUntil holds every caller of Wait until t. An earlier t never shortens
// a pause already in force.
func (l *Limiter) PauseUntil(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.pausedUntil) {
		l.pausedUntil = t
	}
}

// Wait blocks until a request may be sent, returning how long it waited.
func (l *Limiter) Wait(ctx context.Context) (time.Duration, error) {
	start := l.now()
	for {
		l.mu.Lock()
		pause := l.pausedUntil.Sub(l.now())
		l.mu.Unlock()
		if pause <= 0 {
			break
		}
		if err := Sleep(ctx, pause); err != nil {
			return l.now().Sub(start), err
		}
	}
	err := l.bucket.Wait(ctx)
	return l.now().Sub(start), err
}

// Sleep waits for d or until ctx is done, whichever comes first: every
// wait of the receiver (back-off, poll interval) must end at shutdown.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
