package wiz

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock whose sleeps move it forward at once.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) clock() clock {
	return clock{
		now: func() time.Time {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.t
		},
		sleep: func(ctx context.Context, d time.Duration) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			f.t = f.t.Add(d)
			return nil
		},
	}
}

var fakeStart = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// Requests leave evenly spaced, (1 s + jitterAllowance) / rps apart, from
// the first one on: any rps + 1 consecutive requests leave at least
// 1 s + jitterAllowance apart, so Wiz counts at most rps in any second
// unless the network delays two of them by more than jitterAllowance apart.
func TestLimiterPacing(t *testing.T) {
	for _, rps := range []float64{0.5, 3, 25, 200} {
		clk := &fakeClock{t: fakeStart}
		l := newLimiter(rps, clk.clock())
		spacing := time.Duration(float64(time.Second+jitterAllowance) / rps)
		var sent []time.Time
		for range 3*int(rps) + 10 {
			_, err := l.Wait(context.Background())
			require.NoError(t, err)
			sent = append(sent, clk.t)
		}
		assert.InDelta(t, spacing, sent[0].Sub(fakeStart), float64(time.Microsecond), "rps %v: the first request waits one spacing", rps)
		for i := 1; i < len(sent); i++ {
			assert.InDelta(t, spacing, sent[i].Sub(sent[i-1]), float64(time.Microsecond), "rps %v: request %d", rps, i)
		}
		n := max(1, int(rps)) // requests allowed in one second
		for i := 0; i+n < len(sent); i++ {
			assert.GreaterOrEqual(t, sent[i+n].Sub(sent[i]), time.Second+jitterAllowance-time.Microsecond,
				"rps %v: %d requests from request %d leave within 1 s + jitterAllowance", rps, n+1, i)
		}
	}
}

// A pause holds every caller until it ends, then pacing resumes; an earlier
// pause does not shorten it.
func TestLimiterPause(t *testing.T) {
	clk := &fakeClock{t: fakeStart}
	l := newLimiter(10, clk.clock())
	l.PauseUntil(fakeStart.Add(5 * time.Second))
	l.PauseUntil(fakeStart.Add(time.Second))
	waited, err := l.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, waited, "the bucket refilled during the pause")
	waited, err = l.Wait(context.Background())
	require.NoError(t, err)
	assert.InDelta(t, (time.Second+jitterAllowance)/10, waited, float64(time.Microsecond), "pacing resumes after the pause")
}

// A cancelled wait returns at once, and gives its slot back.
func TestLimiterWaitIsCancellable(t *testing.T) {
	clk := &fakeClock{t: fakeStart}
	l := newLimiter(1, clk.clock())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.Wait(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, fakeStart, clk.t)
	waited, err := l.Wait(context.Background())
	require.NoError(t, err)
	assert.InDelta(t, time.Second+jitterAllowance, waited, float64(time.Microsecond), "one spacing, not two")

	l.PauseUntil(clk.t.Add(time.Hour))
	_, err = l.Wait(ctx)
	require.ErrorIs(t, err, context.Canceled, "a pause ends at cancellation too")
}
