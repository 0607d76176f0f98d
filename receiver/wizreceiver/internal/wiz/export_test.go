// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"context"
	"time"
)

// DecodePage lets the benchmarks of package wiz_test, which iterate over
// the registry of log types (a package that imports this one), time the
// client's page decoding.
var DecodePage = decodePage

// Redact is what the client leaves of text an upstream sent when its
// credentials are credentials.
func Redact(text string, credentials ...string) string {
	return newRedactor(credentials...).text(text)
}

// The client's tests run in package wiz_test, against wiztest.FakeWiz (a
// package that imports this one). What they read or replace of the
// client follows.

// MaxUpstreamText is how much of a server's own text an error keeps.
const MaxUpstreamText = maxUpstreamText

// JitterAllowance is what the limiter adds to each second's spacing.
const JitterAllowance = jitterAllowance

// NopObserver discards the client's self-telemetry.
type NopObserver = nopObserver

// NewLimiterOn is NewLimiter on a clock of the test's: now reads it, sleep
// waits on it.
func NewLimiterOn(requestsPerSecond float64, now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	return newLimiter(requestsPerSecond, clock{now: now, sleep: sleep})
}

// PausedUntil is when the limiter's pause ends; zero when it never paused.
func (l *Limiter) PausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil
}

// SetClock puts the client's retries and pauses on now, the clock of its
// limiter's.
func (c *Client) SetClock(now func() time.Time) {
	c.now = now
}

// SetTokenClock puts the renewal of the client's token on now. A token's
// expiry is oauth2's reading of expires_in by this host's clock: now must
// start there.
func (c *Client) SetTokenClock(now func() time.Time) {
	c.tokens.now = now
}
