// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// fakeStart is where the tests' clocks start.
var fakeStart = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// Requests leave evenly spaced, (1 s + jitterAllowance) / rps apart, from
// the first one on: any rps + 1 consecutive requests leave at least
// 1 s + jitterAllowance apart, so Wiz counts at most rps in any second
// unless the network delays two of them by more than jitterAllowance apart.
func TestLimiterPacing(t *testing.T) {
	for _, rps := range []float64{0.5, 3, 25, 200} {
		clock := wiztest.NewClock(fakeStart)
		l := wiz.NewLimiterOn(rps, clock.Now, clock.Sleep)
		spacing := time.Duration(float64(time.Second+wiz.JitterAllowance) / rps)
		var sent []time.Time
		for range 3*int(rps) + 10 {
			_, err := l.Wait(context.Background())
			require.NoError(t, err)
			sent = append(sent, clock.Now())
		}
		assert.InDelta(t, spacing, sent[0].Sub(fakeStart), float64(time.Microsecond), "rps %v: the first request waits one spacing", rps)
		for i := 1; i < len(sent); i++ {
			assert.InDelta(t, spacing, sent[i].Sub(sent[i-1]), float64(time.Microsecond), "rps %v: request %d", rps, i)
		}
		n := max(1, int(rps)) // requests allowed in one second
		for i := 0; i+n < len(sent); i++ {
			assert.GreaterOrEqual(t, sent[i+n].Sub(sent[i]), time.Second+wiz.JitterAllowance-time.Microsecond,
				"rps %v: %d requests from request %d leave within 1 s + wiz.JitterAllowance", rps, n+1, i)
		}
	}
}

// A pause holds every caller until it ends, then pacing resumes; an earlier
// pause does not shorten it.
func TestLimiterPause(t *testing.T) {
	clock := wiztest.NewClock(fakeStart)
	l := wiz.NewLimiterOn(10, clock.Now, clock.Sleep)
	l.PauseUntil(fakeStart.Add(5 * time.Second))
	l.PauseUntil(fakeStart.Add(time.Second))
	waited, err := l.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, waited, "the bucket refilled during the pause")
	waited, err = l.Wait(context.Background())
	require.NoError(t, err)
	assert.InDelta(t, (time.Second+wiz.JitterAllowance)/10, waited, float64(time.Microsecond), "pacing resumes after the pause")
}

// A cancelled wait returns at once, and gives its slot back.
func TestLimiterWaitIsCancellable(t *testing.T) {
	clock := wiztest.NewClock(fakeStart)
	l := wiz.NewLimiterOn(1, clock.Now, clock.Sleep)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.Wait(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, fakeStart, clock.Now())
	waited, err := l.Wait(context.Background())
	require.NoError(t, err)
	assert.InDelta(t, time.Second+wiz.JitterAllowance, waited, float64(time.Microsecond), "one spacing, not two")

	l.PauseUntil(clock.Now().Add(time.Hour))
	_, err = l.Wait(ctx)
	require.ErrorIs(t, err, context.Canceled, "a pause ends at cancellation too")
}
