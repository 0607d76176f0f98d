// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// skewObserver records the skews the client reports.
type skewObserver struct {
	wiz.NopObserver
	mu    sync.Mutex
	skews []time.Duration
}

func (o *skewObserver) ClockSkew(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.skews = append(o.skews, d)
}

// Wiz's clock comes from the Date header of its answers: the latest it
// reads, Date plus its one-second resolution plus the time since the
// request left, by the host's clock. It never runs back for the second of
// error two answers may differ by, but follows Wiz's clock when it surely
// went back. A Date more than a day from the host's clock, a malformed or
// missing one, and one on an error answer leave it as it was.
func TestWizClockFromDateHeader(t *testing.T) {
	host := wiztest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 300_000_000, time.UTC))
	wizAt := func(d time.Duration) string { return host.Now().Add(d).UTC().Format(http.TimeFormat) }
	d := wiztest.NewFakeWiz(t)
	// answer makes every later answer carry the Date values given (none
	// when none is), and the next API answer an error of status.
	answer := func(status int, date ...string) {
		d.SetDate(date...)
		if status != http.StatusOK {
			d.Queue(wiztest.JSONReply(status, `{"errors":[{"message":"unavailable"}]}`))
		}
	}
	observer := &skewObserver{}
	c := newClient(d, nil, nil, withoutRetries, func(cfg *wiz.Config) { cfg.Observer, cfg.HostClock = observer, host.Now })
	fetch := func() error {
		_, err := c.FetchPage(context.Background(), auditReq)
		return err
	}
	requireReads := func(hms string, msg string) {
		t.Helper()
		want, err := time.Parse(time.DateTime, "2026-12-01 "+hms)
		require.NoError(t, err)
		got, known := c.Now()
		require.True(t, known, msg)
		assert.Equal(t, want, got.UTC(), msg)
	}

	_, known := c.Now()
	assert.False(t, known, "unknown before Wiz answered")

	// Wiz's clock 90.3 s behind the host's: Date truncates it to 11:58:30,
	// so it reads at most a second more (the request took no time by the
	// host's clock).
	answer(http.StatusOK, wizAt(-90*time.Second))
	require.NoError(t, fetch())
	requireReads("11:58:31", "the first answer")
	host.Advance(10 * time.Second)
	requireReads("11:58:41", "advanced by the host's clock")
	assert.Equal(t, []time.Duration{-89*time.Second - 800*time.Millisecond}, observer.skews, "Date's mid-second minus the host's")

	// A later answer a second lower, within Date's error: no step back.
	answer(http.StatusOK, wizAt(-91*time.Second))
	require.NoError(t, fetch())
	requireReads("11:58:41", "an answer a second lower")

	// Answers that do not tell Wiz's time leave the clock as it was.
	for name, answer := range map[string]func(){
		"a Date two days back":    func() { answer(http.StatusOK, wizAt(-48*time.Hour)) },
		"a Date two days ahead":   func() { answer(http.StatusOK, wizAt(48*time.Hour)) },
		"a malformed Date":        func() { answer(http.StatusOK, "yesterday") },
		"no Date":                 func() { answer(http.StatusOK) },
		"an error answer's Date":  func() { answer(http.StatusBadRequest, wizAt(-time.Hour)) },
		"a Date of the Unix zero": func() { answer(http.StatusOK, time.Unix(0, 0).UTC().Format(http.TimeFormat)) },
	} {
		answer()
		_ = fetch()
		requireReads("11:58:41", name)
	}
	assert.Len(t, observer.skews, 5, "reported: the two believed, the two a day off, the Unix zero")

	// Wiz's clock went back five minutes: followed.
	answer(http.StatusOK, wizAt(-90*time.Second-5*time.Minute))
	require.NoError(t, fetch())
	requireReads("11:53:41", "Wiz's clock went back")
}
