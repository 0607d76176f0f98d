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

// jitterAllowance is how much more one request may be delayed on its way
// to Wiz than another without Wiz counting more than requests_per_second
// in a one-second window. Requests leave evenly spaced, but scheduling and
// the network delay each one differently, and Wiz counts them as they
// arrive. Spacing them (1 s + jitterAllowance) / requests_per_second apart
// makes any requests_per_second + 1 consecutive requests leave at least
// 1 s + jitterAllowance apart, so they cannot arrive within one second
// unless their delays differ by more than that. 100 ms costs 9% of the
// rate. On a loaded 2-core machine under the race detector, delays were
// seen to differ by over 30 ms, which the 3% this used to cost could not
// absorb.
const jitterAllowance = 100 * time.Millisecond

// pacedRate is the rate the limiter sends at for a requests_per_second.
func pacedRate(requestsPerSecond float64) rate.Limit {
	return rate.Limit(requestsPerSecond * float64(time.Second) / float64(time.Second+jitterAllowance))
}

// NewLimiter allows requestsPerSecond, evenly spaced, with jitterAllowance.
// The bucket holds one token: a larger burst would let streams that were
// idle send a burst on top of the steady rate, and a one-second window
// could then see up to twice the allowed requests.
//
// The bucket starts empty, so the first request waits one spacing. A
// receiver restarted in the same process (a config reload) gets a new
// limiter, and the instance before it may have sent a request a moment
// ago: a full bucket would let the two land closer than the rate allows.
func NewLimiter(requestsPerSecond float64) *Limiter {
	bucket := rate.NewLimiter(pacedRate(requestsPerSecond), 1)
	bucket.Allow()
	return &Limiter{bucket: bucket, now: time.Now}
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
