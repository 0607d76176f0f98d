// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/poll"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// testConfig points a fast-polling receiver at the mock's URL.
func testConfig(url string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = url + "/graphql"
	cfg.TokenURL = url + "/oauth/token"
	cfg.ClientID = polltest.ClientID
	cfg.ClientSecret = polltest.ClientSecret
	cfg.PollInterval = 100 * time.Millisecond
	cfg.PageSize = 50
	cfg.RequestsPerSecond = 200
	cfg.BackOff.InitialInterval = 10 * time.Millisecond
	cfg.BackOff.MaxInterval = 50 * time.Millisecond
	cfg.BackOff.MaxElapsedTime = 5 * time.Second
	return cfg
}

// enableOnly enables the log types with the given keys and disables the
// others.
func enableOnly(cfg *Config, keys ...string) {
	for _, lt := range logtype.All {
		cfg.logType(lt).Settings().Enabled = slices.Contains(keys, lt.Key)
	}
}

// statusHost records every status the receiver reports.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
	// reported is signalled at each report.
	reported chan struct{}
}

func newStatusHost() *statusHost {
	return &statusHost{Host: componenttest.NewNopHost(), reported: make(chan struct{}, 1)}
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
	select {
	case h.reported <- struct{}{}:
	default:
	}
}

func (h *statusHost) all() []*componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*componentstatus.Event(nil), h.events...)
}

func (h *statusHost) last() *componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) == 0 {
		return nil
	}
	return h.events[len(h.events)-1]
}

// awaitLast waits until the latest status satisfies want: a stream that
// stops for good reports it as it stops, while the pacer sees only the
// streams that go on.
func (h *statusHost) awaitLast(t *testing.T, want func(*componentstatus.Event) bool) *componentstatus.Event {
	t.Helper()
	guard := time.NewTimer(wiztest.HangGuard)
	defer guard.Stop()
	for {
		if ev := h.last(); ev != nil && want(ev) {
			return ev
		}
		select {
		case <-h.reported:
		case <-guard.C:
			t.Fatalf("the status never became what the test waits for; the last was %v", h.last())
		}
	}
}

// permanent is a permanent error status.
func permanent(ev *componentstatus.Event) bool {
	return ev.Status() == componentstatus.StatusPermanentError
}

// newReceiver creates the receiver through its factory, with set, its
// streams paced by the pacer returned (each waits after every poll until
// the test lets it go on) and its checkpoints checked after every write.
func newReceiver(t *testing.T, set receiver.Settings, cfg *Config, next consumer.Logs) (*wizReceiver, *polltest.Pacer) {
	t.Helper()
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	pacer := polltest.NewPacer()
	r := rcv.(*wizReceiver)
	r.afterSave, r.sleep = checkInvariants(t), pacer.Sleep
	return r, pacer
}

// startReceiver creates the receiver (see newReceiver) and starts it on
// host, until the test ends.
func startReceiver(t *testing.T, cfg *Config, next consumer.Logs, host component.Host, logger *zap.Logger) (*wizReceiver, *polltest.Pacer) {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	if logger != nil {
		set.Logger = logger
	}
	rcv, pacer := newReceiver(t, set, cfg, next)
	require.NoError(t, rcv.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	return rcv, pacer
}

// awaitSignal waits for a signal on ch of what must happen.
func awaitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(wiztest.HangGuard):
		t.Fatalf("no sign of %s", what)
	}
}

// awaitStopped waits until every stream of rcv has stopped for good.
func awaitStopped(t *testing.T, rcv *wizReceiver) {
	t.Helper()
	stopped := make(chan struct{})
	go func() {
		rcv.wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(wiztest.HangGuard):
		t.Fatal("a stream is still running")
	}
}

// buildStreams builds rcv's streams on host, each restored from its
// checkpoint, for a test to poll directly. The returned func releases the
// receiver's storage client and telemetry, as a shutdown does; it also runs
// at cleanup.
func buildStreams(t *testing.T, rcv *wizReceiver, host component.Host) ([]*poll.Stream, func()) {
	t.Helper()
	if rcv.afterSave == nil {
		rcv.afterSave = checkInvariants(t)
	}
	streams, err := rcv.buildStreams(context.Background(), host, newStatusTracker(host))
	require.NoError(t, err)
	var once sync.Once
	release := func() {
		once.Do(func() {
			require.NoError(t, rcv.storage.Close(context.Background()))
			require.NoError(t, rcv.markers.Close(context.Background()))
			rcv.metrics.tb.Shutdown()
		})
	}
	t.Cleanup(release)
	for _, s := range streams {
		require.NoError(t, s.Restore(context.Background()))
	}
	return streams, release
}

// firstStream is buildStreams' first stream.
func firstStream(t *testing.T, rcv *wizReceiver, host component.Host) (*poll.Stream, func()) {
	t.Helper()
	streams, release := buildStreams(t, rcv, host)
	return streams[0], release
}

func receivertestSettings() receiver.Settings {
	return receivertest.NewNopSettings(metadata.Type)
}

// checkInvariants is a hook that checks a stream's checkpoint after every
// write (see poll.Invariants), across the restarts of a test that keeps
// the hook.
func checkInvariants(t *testing.T) func(*poll.Stream) {
	return poll.NewInvariants(t.Errorf).Check
}
