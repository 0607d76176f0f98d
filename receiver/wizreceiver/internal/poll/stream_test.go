// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// The no-events alert rises when a stream delivers nothing for
// no_events_timeout while its polls succeed, and clears when records flow.
func TestNoEventsAlert(t *testing.T) {
	// Wiz and the collector share the clock: windows end at Wiz's.
	clock := wiztest.NewClock(time.Now())
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(10, 0, 0), Now: clock.Now})
	e := newEnv(t, url)
	e.NoEventsTimeout = time.Hour
	e.enableOnly("audit")

	core, logs := observer.New(zapcore.InfoLevel)
	e.Logger, e.Now = zap.New(core), clock.Now
	s, _ := e.stream(t)

	pollAndReport := func() {
		t.Helper()
		require.NoError(t, s.Poll(context.Background()))
		s.status(s.logType.Key, s.checkSilence(), false)
	}
	noEvents := func(raised bool) {
		t.Helper()
		assert.Equal(t, raised, e.telemetryOf("Wiz.Audit").noEvents, "wiz_no_events")
	}
	healthy := func() {
		t.Helper()
		assert.Equal(t, wiztest.Status{Name: "audit"}, *e.statuses.Last())
	}

	pollAndReport()
	healthy()

	// 59 silent minutes: still fine. 61: the alert rises, once.
	clock.Advance(59 * time.Minute)
	pollAndReport()
	healthy()
	clock.Advance(2 * time.Minute)
	pollAndReport()
	pollAndReport()
	status := e.statuses.Last()
	assert.False(t, status.Permanent)
	assert.Contains(t, status.Err.Error(), "audit stream: no records for 1h1m0s (last record at")
	require.Equal(t, 1, logs.FilterMessage("No events").Len())
	assert.Equal(t, "audit", logs.FilterMessage("No events").All()[0].ContextMap()["stream"])
	noEvents(true)

	// Wiz records something (at the fake clock's now): the alert clears.
	srv.AddAuditEntries(1, clock.Now().Add(time.Second))
	clock.Advance(2 * time.Second)
	pollAndReport()
	healthy()
	assert.Equal(t, 1, logs.FilterMessage("Records are flowing again").Len())
	noEvents(false)
}
