package wizreceiver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
)

const (
	testClientID     = "mock-client-id"
	testClientSecret = "mock-client-secret-4f1d9c2e"
)

// testConfig points a fast-polling receiver at the mock's URL.
func testConfig(url string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = url + "/graphql"
	cfg.TokenURL = url + "/oauth/token"
	cfg.ClientID = testClientID
	cfg.ClientSecret = testClientSecret
	cfg.PollInterval = 100 * time.Millisecond
	cfg.PageSize = 50
	cfg.RequestsPerSecond = 200
	cfg.BackOff.InitialInterval = 10 * time.Millisecond
	cfg.BackOff.MaxInterval = 50 * time.Millisecond
	cfg.BackOff.MaxElapsedTime = 5 * time.Second
	return cfg
}

// newMock starts a mock Wiz with the test client and the given dataset, and
// returns it with its base URL.
func newMock(t *testing.T, o mockwiz.Options) (*mockwiz.Server, string) {
	t.Helper()
	if o.Clients == nil {
		o.Clients = []mockwiz.Client{{ID: testClientID, Secret: testClientSecret, Scopes: mockwiz.AllScopes()}}
	}
	srv, httpSrv := mockwiz.NewTestServer(t, o)
	return srv, httpSrv.URL
}

// stdlibWiz is a Wiz written with the standard library alone, not our
// mock: it serves tokens as Wiz does and answers /graphql with graphql. It
// returns its base URL.
func stdlibWiz(t *testing.T, graphql http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprint(w, `{"access_token":"stdlib-fake-access-token","token_type":"Bearer","expires_in":3600}`)
			return
		}
		graphql(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// eachRequestErrorStatus runs test once for each way a GraphQL server
// answers a query it refuses to run (one that fails validation, say): with
// 400, as GraphQL-over-HTTP servers and Apollo Server 4 do, and with 200,
// as older servers do. test passes the status on to the mock.
func eachRequestErrorStatus(t *testing.T, test func(t *testing.T, requestErrorStatus int)) {
	for _, status := range []int{http.StatusBadRequest, http.StatusOK} {
		t.Run(strconv.Itoa(status), func(t *testing.T) { test(t, status) })
	}
}

// smallDataset is a dataset of the three first log types spread over the
// last 12 hours, inside the default initial_lookback.
func smallDataset(audit, issues, findings int) *mockwiz.Dataset {
	return datasetOf(42, map[string]int{
		logtype.Audit.Name: audit, logtype.Issues.Name: issues, logtype.VulnerabilityFindings.Name: findings,
	})
}

// datasetOf is a dataset with counts nodes of each log type (by name),
// spread over the last 12 hours.
func datasetOf(seed int64, counts map[string]int) *mockwiz.Dataset {
	end := time.Now().Add(-time.Minute)
	return mockwiz.GenerateDataset(mockwiz.DatasetOptions{Seed: seed, Start: end.Add(-12 * time.Hour), End: end, Counts: counts})
}

// withStatus is the nodes whose status is status.
func withStatus(nodes []map[string]any, status string) []map[string]any {
	var out []map[string]any
	for _, n := range nodes {
		if n["status"] == status {
			out = append(out, n)
		}
	}
	return out
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

func forEachRecord(logs plog.Logs, fn func(plog.LogRecord)) {
	for _, rl := range logs.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				fn(lr)
			}
		}
	}
}

// buildStreams builds rcv's streams on host, each restored from its
// checkpoint, for a test to poll directly. The returned func releases the
// receiver's storage client and telemetry, as a shutdown does; it also runs
// at cleanup.
func buildStreams(t *testing.T, rcv *wizReceiver, host component.Host) ([]*stream, func()) {
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
		require.NoError(t, s.restore(context.Background()))
	}
	return streams, release
}

// firstStream is buildStreams' first stream.
func firstStream(t *testing.T, rcv *wizReceiver, host component.Host) (*stream, func()) {
	t.Helper()
	streams, release := buildStreams(t, rcv, host)
	return streams[0], release
}

// pollUntil polls each stream in turn, as their poll intervals would, until
// done reports true, then once more: a poll after everything arrived must
// add nothing, which the caller's exactly-once check sees. A failed poll is
// the fault under test (logged); the next round is the next interval's
// retry. It fails after rounds rounds.
func pollUntil(t *testing.T, streams []*stream, rounds int, done func() bool) {
	t.Helper()
	for round := 0; !done(); round++ {
		require.Less(t, round, rounds, "not done after %d rounds of polls", rounds)
		for _, s := range streams {
			if err := s.poll(context.Background()); err != nil {
				t.Logf("round %d: %s: %v", round, s.logType.Key, err)
			}
		}
	}
	for _, s := range streams {
		if err := s.poll(context.Background()); err != nil {
			t.Logf("after: %s: %v", s.logType.Key, err)
		}
	}
}

func receivertestSettings() receiver.Settings {
	return receivertest.NewNopSettings(metadata.Type)
}

// observedSettings are receiver settings whose telemetry and logs (INFO and
// above) the test reads.
func observedSettings(t *testing.T) (receiver.Settings, *componenttest.Telemetry, *observer.ObservedLogs) {
	t.Helper()
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tt)
	core, logs := observer.New(zapcore.InfoLevel)
	set.Logger = zap.New(core)
	return set, tt, logs
}

// inProjects reports whether the node's projects at path, a dotted path
// through objects and lists of them, include any of ids.
func inProjects(node map[string]any, path string, ids []string) bool {
	values := []any{node}
	for _, key := range strings.Split(path, ".") {
		var next []any
		for _, v := range values {
			m, _ := v.(map[string]any)
			switch x := m[key].(type) {
			case []any:
				next = append(next, x...)
			case map[string]any:
				next = append(next, x)
			}
		}
		values = next
	}
	return slices.ContainsFunc(values, func(p any) bool {
		id, _ := p.(map[string]any)["id"].(string)
		return slices.Contains(ids, id)
	})
}
