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
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

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
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
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

// startReceiver creates the receiver through its factory and starts it.
func startReceiver(t *testing.T, cfg *Config, next consumer.Logs, host component.Host, logger *zap.Logger) *wizReceiver {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	if logger != nil {
		set.Logger = logger
	}
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	rcv.(*wizReceiver).afterSave = checkInvariants(t)
	require.NoError(t, rcv.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	return rcv.(*wizReceiver)
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
