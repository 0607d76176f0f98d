// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/backoff"
)

// Limiter paces every request one receiver instance sends. Wiz limits per
// service account, so all streams share one token bucket, and a 429 with
// Retry-After pauses all of them, not just the stream that was refused.
type Limiter struct {
	bucket *rate.Limiter
	clock  clock

	mu          sync.Mutex
	pausedUntil time.Time
}

// clock is the limiter's time: tests replace it to check the pacing
// without waiting for it.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

var wallClock = clock{now: time.Now, sleep: backoff.Sleep}

// jitterAllowance is how much more the network may delay one request on
// its way to Wiz than another without Wiz counting more than
// requests_per_second in a one-second window. Requests leave evenly spaced,
// but Wiz counts them as they arrive. Spacing them (1 s + jitterAllowance) /
// requests_per_second apart makes any requests_per_second + 1 consecutive
// requests leave at least 1 s + jitterAllowance apart, so they cannot
// arrive within one second unless their delays differ by more than that.
//
// The figure is set by the path to Wiz, not by any test machine: on a warm
// connection across the internet, one request's delay differs from
// another's by tens of milliseconds, and 50 ms covers that at a cost of 5%
// of the rate. A lost packet's retransmission, or a new TLS handshake in
// the middle of a backfill, delays a request by more; the 429 Wiz may then
// answer pauses every stream for its Retry-After and loses nothing.
const jitterAllowance = 50 * time.Millisecond

// pacedRate is the rate the limiter sends at for a requests_per_second.
func pacedRate(requestsPerSecond float64) rate.Limit {
	return rate.Limit(requestsPerSecond * float64(time.Second) / float64(time.Second+jitterAllowance))
}

// NewLimiter allows requestsPerSecond, evenly spaced, with jitterAllowance.
func NewLimiter(requestsPerSecond float64) *Limiter {
	return newLimiter(requestsPerSecond, wallClock)
}

// newLimiter is NewLimiter on the given clock.
//
// The bucket holds one token: a larger burst would let streams that were
// idle send a burst on top of the steady rate, and a one-second window
// could then see up to twice the allowed requests.
//
// The bucket starts empty, so the first request waits one spacing. A
// receiver restarted in the same process (a config reload) gets a new
// limiter, and the instance before it may have sent a request a moment
// ago: a full bucket would let the two land closer than the rate allows.
func newLimiter(requestsPerSecond float64, c clock) *Limiter {
	bucket := rate.NewLimiter(pacedRate(requestsPerSecond), 1)
	bucket.AllowN(c.now(), 1)
	return &Limiter{bucket: bucket, clock: c}
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
	start := l.clock.now()
	for {
		l.mu.Lock()
		pause := l.pausedUntil.Sub(l.clock.now())
		l.mu.Unlock()
		if pause <= 0 {
			break
		}
		if err := l.clock.sleep(ctx, pause); err != nil {
			return l.clock.now().Sub(start), err
		}
	}
	now := l.clock.now()
	r := l.bucket.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		if err := l.clock.sleep(ctx, delay); err != nil {
			// The slot was not used: give it back to the next caller.
			r.CancelAt(l.clock.now())
			return l.clock.now().Sub(start), err
		}
	}
	return l.clock.now().Sub(start), nil
}
