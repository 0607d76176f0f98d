// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package backoff

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
)

// Waits grow from initial_interval up to max_interval, a server's wait
// replaces the computed one, and the budget ends at max_elapsed_time, by
// the clock given.
func TestBackOffBudget(t *testing.T) {
	cfg := configretry.NewDefaultBackOffConfig()
	cfg.InitialInterval, cfg.MaxInterval, cfg.MaxElapsedTime = time.Second, 4*time.Second, 10*time.Second
	cfg.RandomizationFactor = 0
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	b := New(cfg, func() time.Time { return now })

	var waits []time.Duration
	for {
		wait, ok := b.Next(0)
		if !ok {
			break
		}
		waits = append(waits, wait)
		now = now.Add(wait)
	}
	assert.Equal(t, []time.Duration{time.Second, 1500 * time.Millisecond, 2250 * time.Millisecond, 3375 * time.Millisecond}, waits,
		"the next wait, 4s, would end past max_elapsed_time")

	b = New(cfg, func() time.Time { return now })
	wait, ok := b.Next(7 * time.Second)
	assert.True(t, ok)
	assert.Equal(t, 7*time.Second, wait, "Retry-After replaces the computed wait")
	_, ok = b.Next(11 * time.Second)
	assert.False(t, ok, "a wait past max_elapsed_time ends the retries")

	cfg.Enabled = false
	_, ok = New(cfg, time.Now).Next(0)
	assert.False(t, ok, "retries disabled")
}

// Sleep ends when its context does.
func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, Sleep(ctx, time.Hour), context.Canceled)
	require.NoError(t, Sleep(context.Background(), 0))
}
