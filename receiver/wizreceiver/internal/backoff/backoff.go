// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package backoff paces retries and waits as the receiver's settings say:
// the Wiz client's retries of a request and the engine's retries of a
// refused page share it, as they share retry_on_failure.
package backoff

import (
	"context"
	"time"

	expbackoff "github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/collector/config/configretry"
)

// BackOff paces the retries of one operation as retry_on_failure says:
// exponential waits with jitter, until max_elapsed_time is spent.
type BackOff struct {
	cfg   configretry.BackOffConfig
	exp   *expbackoff.ExponentialBackOff
	start time.Time
	now   func() time.Time
}

// New starts the retry budget of one operation now.
func New(cfg configretry.BackOffConfig, now func() time.Time) *BackOff {
	exp := &expbackoff.ExponentialBackOff{
		InitialInterval:     cfg.InitialInterval,
		RandomizationFactor: cfg.RandomizationFactor,
		Multiplier:          cfg.Multiplier,
		MaxInterval:         cfg.MaxInterval,
	}
	exp.Reset()
	return &BackOff{cfg: cfg, exp: exp, start: now(), now: now}
}

// Next returns the wait before the next attempt, or ok=false when retries
// are disabled or the wait would overrun max_elapsed_time. A positive
// serverWait (Retry-After) replaces the computed wait.
func (b *BackOff) Next(serverWait time.Duration) (wait time.Duration, ok bool) {
	if !b.cfg.Enabled {
		return 0, false
	}
	wait = serverWait
	if wait <= 0 {
		wait = b.exp.NextBackOff()
	}
	if b.cfg.MaxElapsedTime > 0 && b.now().Add(wait).Sub(b.start) > b.cfg.MaxElapsedTime {
		return 0, false
	}
	return wait, true
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
