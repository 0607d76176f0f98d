// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// clockTestStart is where the clock tests' Wiz clock starts: a whole
// second, as Wiz's Date header has one-second resolution.
var clockTestStart = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// skewedWorld is a mock Wiz on a clock of its own, and a collector host
// whose clock runs skew ahead of it (behind it, when negative). Both
// clocks move only when the test moves them.
type skewedWorld struct {
	t    *testing.T
	srv  *mockwiz.Server
	wiz  *wiztest.Clock
	skew time.Duration
	// env is the collector: one for every run, so a restart is checked
	// against the run before it.
	env     *testEnv
	dir     string // the storage extension's directory
	sink    *consumertest.LogsSink
	streams []*Stream
	release func()
}

func newSkewedWorld(t *testing.T, skew, overlap time.Duration) *skewedWorld {
	w := &skewedWorld{t: t, wiz: wiztest.NewClock(clockTestStart), skew: skew, dir: t.TempDir(), sink: &consumertest.LogsSink{}}
	ds := mockwiz.GenerateDataset(mockwiz.DatasetOptions{Seed: 11, Start: clockTestStart.Add(-2 * time.Hour),
		End: clockTestStart.Add(-time.Second), Counts: map[string]int{logtype.Audit.Name: 60}})
	var url string
	w.srv, url = polltest.NewMock(t, mockwiz.Options{Dataset: ds, Now: w.wiz.Now})
	w.env = newEnv(t, url)
	w.env.Overlap = overlap
	w.env.BackOff.Enabled = false
	w.env.enableOnly("audit")
	w.env.Next, w.env.Now = w.sink, w.hostNow
	return w
}

// hostNow is the collector host's clock.
func (w *skewedWorld) hostNow() time.Time { return w.wiz.Now().Add(w.skew) }

// start builds the audit stream on the world's storage, restored from its
// checkpoint, as a collector start does.
func (w *skewedWorld) start() {
	w.env.fileStorage(w.dir)
	w.streams, w.release = w.env.streams(w.t)
}

// storeCheckpoint writes the audit stream's checkpoint into the world's
// storage, as an earlier run left it.
func (w *skewedWorld) storeCheckpoint(cp checkpoint) {
	w.t.Helper()
	client := storagetest.NewFileBackedClient(component.KindReceiver, storageID, "", w.dir)
	require.NoError(w.t, checkpointStore{client: client, key: "checkpoint.audit"}.save(context.Background(), cp))
	require.NoError(w.t, client.Close(context.Background()))
}

// stop shuts the collector down: the storage writes its file.
func (w *skewedWorld) stop() { w.release() }

func (w *skewedWorld) poll() {
	w.t.Helper()
	for _, s := range w.streams {
		require.NoError(w.t, s.Poll(context.Background()))
	}
}

// writeEntries advances both clocks by d while Wiz writes audit entries,
// the last a second before Wiz's clock.
func (w *skewedWorld) writeEntries(d time.Duration) {
	w.wiz.Advance(d)
	now := w.wiz.Now()
	w.srv.AddAuditEntries(3, now.Add(-d/2))
	w.srv.AddAuditEntries(2, now.Add(-time.Second))
}

// requireExactlyOnce lets both clocks run on past everything Wiz holds (a
// host behind Wiz reads an entry only once its own clock passed it), then
// checks that each entry arrived once.
func (w *skewedWorld) requireExactlyOnce(phase string) {
	w.t.Helper()
	w.wiz.Advance(w.skew.Abs() + w.env.Overlap)
	w.poll()
	w.poll()
	want := wiztest.Expected(w.t, w.srv)["Wiz.Audit"]
	if _, ok := wiztest.ExactlyOnce(w.t, phase, want, wiztest.Received(w.sink)["Wiz.Audit"]); !ok {
		w.t.FailNow()
	}
}

// A skew between the collector's clock and Wiz's larger than overlap loses
// and repeats nothing, in either direction: at the first poll, in steady
// polling and across a restart. Windows end at the earlier of the two
// clocks, Wiz's read from the Date header of its answers.
func TestClockSkew(t *testing.T) {
	const overlap = time.Minute
	for name, skew := range map[string]time.Duration{
		"collector ahead of Wiz":  3 * overlap,
		"collector behind Wiz":    -3 * overlap,
		"collector an hour ahead": time.Hour,
	} {
		t.Run(name, func(t *testing.T) {
			w := newSkewedWorld(t, skew, overlap)
			w.start()

			// The first poll, then Wiz writes within a poll interval.
			w.poll()
			w.writeEntries(overlap)
			w.poll()
			w.requireExactlyOnce("first poll")

			// Steady polling, Wiz writing between polls.
			for range 5 {
				w.writeEntries(overlap)
				w.poll()
			}
			w.requireExactlyOnce("steady state")

			// A restart, with Wiz writing while the collector is down
			// and between the first polls after it. The first request
			// fails: the window cut before Wiz told its clock waits for
			// its first answer.
			w.stop()
			w.writeEntries(2 * overlap)
			w.start()
			w.srv.InjectGraphQLFaults(mockwiz.Fault{Status: http.StatusServiceUnavailable})
			require.Error(t, w.streams[0].Poll(context.Background()))
			w.poll()
			w.writeEntries(overlap)
			w.poll()
			w.requireExactlyOnce("restart")
		})
	}
}

// A stored watermark past Wiz's clock is moved back, with one WARN naming
// the stream and the times, and the records Wiz wrote after the position
// it stood for arrive exactly once: restored from a host whose clock ran
// ahead (the case: 90 s ahead, entries a second old), and left by
// an earlier release on a host still ahead of Wiz, with Wiz writing while
// the collector was down. The connection check, as in the receiver, has
// told Wiz's clock before the first poll.
func TestWatermarkAheadOfWizClock(t *testing.T) {
	tests := map[string]struct {
		skew        time.Duration
		ahead       time.Duration // the stored watermark's lead over Wiz's clock
		downtime    time.Duration
		writtenAgo  []time.Duration // Wiz's entries, by age when the collector starts
		wantMovedTo time.Duration   // where the WARN says it moved, from where it stood for
	}{
		"restored from a host that ran ahead": {
			ahead: 90 * time.Second, writtenAgo: []time.Duration{time.Second},
			// To Wiz's clock as it is read: a second past it.
			wantMovedTo: time.Second,
		},
		"left by an earlier release on a host ahead of Wiz": {
			skew: 5 * time.Minute, ahead: 5 * time.Minute, downtime: 2 * time.Minute,
			writtenAgo: []time.Duration{90 * time.Second, 30 * time.Second, time.Second},
			// Back by the host's lead, as Wiz's clock is read: a second
			// past it.
			wantMovedTo: time.Second,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newSkewedWorld(t, tt.skew, time.Minute)
			core, logs := observer.New(zap.WarnLevel)
			w.env.Logger = zap.New(core)
			// The generated entries lie well before the position.
			w.wiz.Advance(10 * time.Minute)
			stoodAt := w.wiz.Now()
			w.storeCheckpoint(checkpoint{Watermark: stoodAt.Add(tt.ahead), LastRecord: stoodAt})
			w.wiz.Advance(tt.downtime)
			before := wiztest.Expected(t, w.srv)["Wiz.Audit"]
			var want []string
			for _, ago := range tt.writtenAgo {
				want = append(want, w.srv.AddAuditEntries(1, w.wiz.Now().Add(-ago))...)
			}

			w.start()
			require.NoError(t, w.streams[0].checkConnection(context.Background()))
			w.poll()
			w.wiz.Advance(2 * time.Minute)
			w.poll()
			got := wiztest.Received(w.sink)["Wiz.Audit"]
			for _, id := range before {
				require.Zero(t, got[id], "nothing before the position is read again")
			}
			var wantUIDs []string
			for _, uid := range wiztest.Expected(t, w.srv)["Wiz.Audit"] {
				if !slices.Contains(before, uid) {
					wantUIDs = append(wantUIDs, uid)
				}
			}
			require.Len(t, wantUIDs, len(want))
			_, ok := wiztest.ExactlyOnce(t, "written after the position", wantUIDs, got)
			require.True(t, ok)

			warned := logs.FilterMessage("Checkpoint lies ahead of Wiz's clock; moving it back, as records after Wiz's clock would be skipped")
			require.Equal(t, 1, warned.Len())
			fields := warned.All()[0].ContextMap()
			assert.Equal(t, "audit", fields["stream"])
			assert.Equal(t, stoodAt.Add(tt.ahead), fields["watermark"].(time.Time).UTC())
			assert.Equal(t, stoodAt.Add(tt.wantMovedTo), fields["moved_to"].(time.Time).UTC())
		})
	}
}

// The skew Wiz's Date header shows is a metric: Wiz's clock minus the
// host's, to half a second (Date's resolution) and half the round trip.
func TestClockSkewMetric(t *testing.T) {
	w := newSkewedWorld(t, 3*time.Minute, time.Minute)
	w.start()
	w.poll()
	skews := w.env.api.skews
	require.NotEmpty(t, skews)
	assert.Equal(t, -179500*time.Millisecond, skews[len(skews)-1], "the gauge shows the latest")
}

// A host clock stepped back across a restart (10 s, less than overlap)
// repeats nothing: the keys of what the last poll delivered are kept by the
// checkpoint's own bound, not by the host clock, which now lies before
// them.
func TestHostClockSteppedBackAcrossARestart(t *testing.T) {
	w := newSkewedWorld(t, 0, time.Minute)
	w.start()
	w.poll()
	w.writeEntries(w.env.Overlap)
	w.poll()
	w.requireExactlyOnce("before the restart")
	// Entries a second old, delivered by the last poll before the stop.
	w.wiz.Advance(5 * time.Second)
	w.srv.AddAuditEntries(3, w.wiz.Now().Add(-time.Second))
	w.poll()
	require.Len(t, w.streams[0].walker.dedup.seen, 3)
	w.stop()

	w.skew = -10 * time.Second
	w.start()
	// The receiver checks its connection before its first poll: Wiz's
	// clock is known by then.
	require.NoError(t, w.streams[0].checkConnection(context.Background()))
	w.poll()
	w.writeEntries(w.env.Overlap / 2)
	w.poll()
	w.requireExactlyOnce("after the restart")
}

// Until Wiz has told its clock (the connection check failed), this host's
// stands in: a stored watermark ahead of it is moved back to it, and the
// WARN says which clock it was measured against. When Wiz's clock, told
// at a later answer, lies behind this host's, the next poll moves it back
// again, to Wiz's, with a WARN of its own: one at each poll that finds the
// watermark ahead.
func TestWatermarkAheadBeforeWizToldItsClock(t *testing.T) {
	w := newSkewedWorld(t, 5*time.Minute, time.Minute)
	core, logs := observer.New(zap.WarnLevel)
	w.env.Logger = zap.New(core)
	// The generated entries lie well before the position.
	w.wiz.Advance(10 * time.Minute)
	host := w.hostNow()
	w.storeCheckpoint(checkpoint{Watermark: host.Add(90 * time.Second), LastRecord: host})
	want := w.srv.AddAuditEntries(2, w.wiz.Now().Add(-time.Second))

	w.start()
	w.poll()
	require.NoError(t, w.streams[0].checkConnection(context.Background()))
	w.poll()
	warned := logs.All()
	require.Len(t, warned, 2)

	assert.Equal(t, "Checkpoint lies ahead of this host's clock, which stands in for Wiz's until Wiz answers; "+
		"moving it back, as records after Wiz's clock would be skipped", warned[0].Message)
	fields := warned[0].ContextMap()
	assert.Equal(t, host, fields["host_clock"].(time.Time).UTC())
	assert.NotContains(t, fields, "wiz_clock")
	assert.Equal(t, host, fields["moved_to"].(time.Time).UTC())

	assert.Equal(t, "Checkpoint lies ahead of Wiz's clock; moving it back, as records after Wiz's clock would be skipped", warned[1].Message)
	assert.Contains(t, warned[1].ContextMap(), "wiz_clock")

	w.wiz.Advance(time.Minute)
	w.poll()
	_, ok := wiztest.ExactlyOnce(t, "written before the position, after Wiz's clock", want, wiztest.Received(w.sink)["Wiz.Audit"])
	assert.True(t, ok)
}
