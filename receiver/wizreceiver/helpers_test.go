package wizreceiver

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
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
		o.Clients = []mockwiz.Client{{
			ID: testClientID, Secret: testClientSecret,
			Scopes: []string{"admin:audit", "read:issues", "read:vulnerabilities"},
		}}
	}
	srv, httpSrv := mockwiz.NewTestServer(t, o)
	return srv, httpSrv.URL
}

// smallDataset is a dataset spread over the last 12 hours, inside the
// default initial_lookback.
func smallDataset(audit, issues, findings int) *mockwiz.Dataset {
	end := time.Now().Add(-time.Minute)
	return mockwiz.GenerateDataset(mockwiz.DatasetOptions{
		Seed: 42, Start: end.Add(-12 * time.Hour), End: end,
		Audit: audit, Issues: issues, Findings: findings,
	})
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
	require.NoError(t, rcv.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	return rcv.(*wizReceiver)
}

// receivedUIDs counts every log.record.uid the sink got, per log type.
func receivedUIDs(sink *consumertest.LogsSink) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, logs := range sink.AllLogs() {
		forEachRecord(logs, func(lr plog.LogRecord) {
			typ, _ := lr.Attributes().Get("wiz.log_type")
			uid, _ := lr.Attributes().Get("log.record.uid")
			if out[typ.Str()] == nil {
				out[typ.Str()] = map[string]int{}
			}
			out[typ.Str()][uid.Str()]++
		})
	}
	return out
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

// expectedUIDs is what the receiver must deliver for the mock's current
// data: audit ids, and id@time for issues and findings.
func expectedUIDs(srv *mockwiz.Server, issueTime, findingTime string) map[string][]string {
	audit, issues, findings := srv.Snapshot()
	out := map[string][]string{}
	for _, n := range audit {
		out["Wiz.Audit"] = append(out["Wiz.Audit"], n["id"].(string))
	}
	for _, n := range issues {
		out["Wiz.Issues"] = append(out["Wiz.Issues"], uidAt(n, issueTime, "createdAt"))
	}
	for _, n := range findings {
		out["Wiz.VulnerabilityFinding"] = append(out["Wiz.VulnerabilityFinding"], uidAt(n, findingTime, "lastDetectedAt"))
	}
	return out
}

func uidAt(n map[string]any, field, fallback string) string {
	ts, _ := n[field].(string)
	if ts == "" {
		ts, _ = n[fallback].(string)
	}
	parsed, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		panic(fmt.Sprintf("node %v: bad %s %q", n["id"], field, ts))
	}
	return n["id"].(string) + "@" + parsed.UTC().Format(time.RFC3339Nano)
}

// requireExactlyOnce fails unless every expected uid arrived exactly once
// and nothing else arrived.
func requireExactlyOnce(t *testing.T, want map[string][]string, got map[string]map[string]int) {
	t.Helper()
	for typ, uids := range want {
		var missing, dups []string
		for _, uid := range uids {
			switch got[typ][uid] {
			case 0:
				missing = append(missing, uid)
			case 1:
			default:
				dups = append(dups, uid)
			}
		}
		require.Empty(t, missing, "%s: %d of %d records lost", typ, len(missing), len(uids))
		require.Empty(t, dups, "%s: records duplicated", typ)
		var extra []string
		for uid := range got[typ] {
			if !slices.Contains(uids, uid) {
				extra = append(extra, uid)
			}
		}
		require.Empty(t, extra, "%s: unexpected records", typ)
	}
}

// allArrived reports whether every expected uid has arrived at least once.
func allArrived(want map[string][]string, got map[string]map[string]int) bool {
	for typ, uids := range want {
		for _, uid := range uids {
			if got[typ][uid] == 0 {
				return false
			}
		}
	}
	return true
}

// firstStream builds rcv's streams on host and returns the first one,
// restored from its checkpoint. The returned func releases the receiver's
// storage client and telemetry, as a shutdown does; it also runs at cleanup.
func firstStream(t *testing.T, rcv *wizReceiver, host component.Host) (*stream, func()) {
	t.Helper()
	streams, err := rcv.buildStreams(context.Background(), host)
	require.NoError(t, err)
	var once sync.Once
	release := func() {
		once.Do(func() {
			require.NoError(t, rcv.storage.Close(context.Background()))
			rcv.metrics.tb.Shutdown()
		})
	}
	t.Cleanup(release)
	s := streams[0]
	require.NoError(t, s.restore(context.Background()))
	return s, release
}

func receivertestSettings() receiver.Settings {
	return receivertest.NewNopSettings(metadata.Type)
}
