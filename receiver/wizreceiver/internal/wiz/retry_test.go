// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// Transient failures are retried until retry_on_failure.max_elapsed_time
// has passed, by the client's clock; the error keeps the last cause.
func TestRetriesExhausted(t *testing.T) {
	f := wiztest.NewFakeWiz(t)
	clock := wiztest.NewClock(fakeStart)
	// Each 503 takes Wiz 20 ms, by the client's clock.
	f.SetAPI(func(w http.ResponseWriter, r *http.Request) {
		clock.Advance(20 * time.Millisecond)
		status(http.StatusServiceUnavailable)(w, r)
	})
	c := newClient(f, nil, nil, func(cfg *wiz.Config) { cfg.BackOff.MaxElapsedTime = 50 * time.Millisecond })
	c.SetClock(clock.Now)
	_, err := c.FetchPage(context.Background(), auditReq)
	var exhausted *wiz.RetriesExhaustedError
	require.ErrorAs(t, err, &exhausted)
	assert.ErrorContains(t, err, "wiz answered HTTP 503", "the last transient cause is kept")
	assert.Equal(t, len(f.Authorizations()), exhausted.Attempts)
	assert.GreaterOrEqual(t, exhausted.Attempts, 2, "retried while the budget lasted")
	assert.LessOrEqual(t, exhausted.Attempts, 3, "and no longer: 20 ms an answer, 50 ms in all")
}

// A 429 pauses the shared limiter for Retry-After, so every stream of the
// receiver waits, not just the refused one: another stream that asks
// while the refused one waits out the pause waits for the rest of it.
func TestRetryAfterPausesEveryCaller(t *testing.T) {
	f := wiztest.NewFakeWiz(t)
	f.Queue(status(http.StatusTooManyRequests, "Retry-After", "1"))
	clock := wiztest.NewClock(fakeStart)
	var limiter *wiz.Limiter
	var other time.Duration
	asked := false
	limiter = wiz.NewLimiterOn(1000, clock.Now, func(ctx context.Context, d time.Duration) error {
		if !asked && !limiter.PausedUntil().IsZero() {
			// The refused stream waits out the pause: another asks now.
			asked = true
			waited, err := limiter.Wait(ctx)
			require.NoError(t, err)
			other = waited
		}
		return clock.Sleep(ctx, d)
	})
	c := newClient(f, nil, limiter, func(cfg *wiz.Config) { cfg.BackOff.MaxInterval = time.Second })
	c.SetClock(clock.Now)
	var paused time.Time
	req := auditReq
	req.Retrying = func(wiz.Retry) { paused = clock.Now() }
	_, err := c.FetchPage(context.Background(), req)
	require.NoError(t, err)
	require.True(t, asked, "the refused stream waited out a pause")
	assert.Equal(t, paused.Add(time.Second), limiter.PausedUntil(), "paused for Retry-After")
	assert.Equal(t, time.Second, other, "the other stream waited the whole pause")
	assert.Len(t, f.Authorizations(), 2)
}

// Cancelling the request's context (a shutdown) ends a back-off sleep: a
// retry an hour away is not waited for.
func TestShutdownCancelsBackOff(t *testing.T) {
	f := wiztest.NewFakeWiz(t, wiztest.WithAPI(status(http.StatusServiceUnavailable)))
	c := newClient(f, nil, nil, func(cfg *wiz.Config) {
		cfg.BackOff.InitialInterval, cfg.BackOff.MaxInterval, cfg.BackOff.MaxElapsedTime = time.Hour, time.Hour, 0
	})
	ctx, cancel := context.WithCancel(context.Background())
	req := auditReq
	// The client is about to sleep an hour before its retry: shut down.
	req.Retrying = func(wiz.Retry) { cancel() }
	done := make(chan error, 1)
	go func() {
		_, err := c.FetchPage(ctx, req)
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(wiztest.HangGuard):
		// Guards against a hang only: the back-off is an hour.
		t.Fatal("the back-off sleep went on after its context was cancelled")
	}
	assert.Len(t, f.Authorizations(), 1, "no retry")
}

// A Retry-After longer than max_interval, in seconds or as an HTTP date,
// even one past what a time.Duration holds, pauses the shared limiter for
// max_interval, not for what Wiz asked, with a retry budget or without.
// The caller learns what Wiz sent.
func TestRetryAfterCeiling(t *testing.T) {
	for _, sent := range []string{"999999999", "99999999999", "Fri, 01 Jan 2100 00:00:00 GMT"} {
		for _, budget := range []time.Duration{5 * time.Minute, 0} {
			t.Run(fmt.Sprintf("%s with max_elapsed_time %s", sent, budget), func(t *testing.T) {
				retries, pausedUntil := throttledOnce(t, sent, budget)
				assert.False(t, pausedUntil.IsZero(), "the 429 paused the limiter")
				assert.LessOrEqual(t, pausedUntil.Sub(fakeStart), 30*time.Second+time.Second, "paused until %s", pausedUntil)
				require.Len(t, retries, 1)
				assert.Equal(t, 30*time.Second, retries[0].Wait)
				assert.Equal(t, sent, retries[0].RetryAfterCapped, "the caller can log what Wiz sent")
				assert.ErrorContains(t, retries[0].Err, "Retry-After: "+sent+"; waiting retry_on_failure.max_interval (30s) instead")
			})
		}
	}
	t.Run("a megabyte of digits", func(t *testing.T) {
		// Still a number past max_interval, and still text a server
		// chose: what reaches the caller, its logs and health is capped.
		retries, _ := throttledOnce(t, strings.Repeat("9", 1<<20), 5*time.Minute)
		require.Len(t, retries, 1)
		assert.Equal(t, 30*time.Second, retries[0].Wait)
		assert.Less(t, len(retries[0].RetryAfterCapped), 2*wiz.MaxUpstreamText)
		assert.Less(t, len(retries[0].Err.Error()), 3*wiz.MaxUpstreamText)
		assert.Contains(t, retries[0].RetryAfterCapped, "bytes cut]")
	})
	t.Run("within max_interval", func(t *testing.T) {
		retries, _ := throttledOnce(t, "7", 5*time.Minute)
		require.Len(t, retries, 1)
		assert.Equal(t, 7*time.Second, retries[0].Wait, "Wiz's own wait")
		assert.Empty(t, retries[0].RetryAfterCapped)
	})
}

// throttledOnce fetches a page through one 429 with Retry-After: sent, on
// the fake clock from fakeStart, with a max_interval of 30 s and the retry
// budget given. It returns the retries the request was told of, and when
// the limiter's pause ended.
func throttledOnce(t *testing.T, sent string, budget time.Duration) (retries []wiz.Retry, pausedUntil time.Time) {
	t.Helper()
	f := wiztest.NewFakeWiz(t)
	f.Queue(status(http.StatusTooManyRequests, "Retry-After", sent))
	clock := wiztest.NewClock(fakeStart)
	limiter := wiz.NewLimiterOn(1000, clock.Now, clock.Sleep)
	c := newClient(f, nil, limiter, func(cfg *wiz.Config) {
		cfg.BackOff.MaxInterval = 30 * time.Second
		cfg.BackOff.MaxElapsedTime = budget
	})
	c.SetClock(clock.Now)
	req := auditReq
	req.Retrying = func(r wiz.Retry) { retries = append(retries, r) }
	_, err := c.FetchPage(context.Background(), req)
	require.NoError(t, err, "retried after the pause")
	require.Len(t, f.Authorizations(), 2)
	return retries, limiter.PausedUntil()
}
