package wizreceiver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
)

func repeat(f mockwiz.Fault, n int) []mockwiz.Fault {
	out := make([]mockwiz.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// Each fault, injected while the receiver walks several pages of all three
// log types, costs nothing: every record arrives exactly once.
func TestFaultsLoseAndRepeatNothing(t *testing.T) {
	inOneSecond := time.Now().Add(time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name   string
		opts   mockwiz.Options
		inject func(srv *mockwiz.Server)
		check  func(t *testing.T, srv *mockwiz.Server)
	}{
		{name: "429 with Retry-After in seconds", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Status: 429, RetryAfter: "1"}, mockwiz.Fault{Status: 429, RetryAfter: "1"})
		}},
		{name: "429 with Retry-After as an HTTP date", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Status: 429, RetryAfter: inOneSecond})
		}},
		{name: "429 without Retry-After", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 429}, 3)...)
		}},
		{name: "500", inject: func(srv *mockwiz.Server) { srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 500}, 3)...) }},
		{name: "502", inject: func(srv *mockwiz.Server) { srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 502}, 3)...) }},
		{name: "503", inject: func(srv *mockwiz.Server) { srv.InjectGraphQLFaults(repeat(mockwiz.Fault{Status: 503}, 3)...) }},
		{name: "connection dropped mid-body", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{DropMidBody: true}, mockwiz.Fault{DropMidBody: true})
		}},
		{name: "GraphQL error with HTTP 200", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(repeat(mockwiz.Fault{GraphQLCode: "INTERNAL"}, 3)...)
		}},
		{name: "token expiring mid-walk", opts: mockwiz.Options{TokenLifetime: 300 * time.Millisecond}, check: func(t *testing.T, srv *mockwiz.Server) {
			assert.Greater(t, srv.Stats().TokenRequests, 1)
		}},
		{name: "token endpoint down for a while", inject: func(srv *mockwiz.Server) {
			srv.InjectTokenFaults(mockwiz.Fault{Status: 503}, mockwiz.Fault{Status: 502}, mockwiz.Fault{DropMidBody: true}, mockwiz.Fault{Latency: 200 * time.Millisecond})
		}},
		{name: "repeated cursor", inject: func(srv *mockwiz.Server) {
			srv.InjectGraphQLFaults(mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{Latency: time.Millisecond},
				mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{RepeatCursor: true}, mockwiz.Fault{RepeatCursor: true})
		}},
		{name: "random mix", inject: func(srv *mockwiz.Server) { srv.SetFaultRate(0.2, 11) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Dataset = smallDataset(90, 50, 70)
			srv, url := newMock(t, opts)
			if tt.inject != nil {
				tt.inject(srv)
			}
			cfg := testConfig(url)
			cfg.PageSize = 15
			cfg.RequestsPerSecond = 40
			sink := &consumertest.LogsSink{}
			startReceiver(t, cfg, sink, componenttest.NewNopHost(), nil)

			want := expectedUIDs(srv, "statusChangedAt", "updatedAt")
			require.Eventually(t, func() bool { return allArrived(want, receivedUIDs(sink)) }, 30*time.Second, 20*time.Millisecond)
			time.Sleep(300 * time.Millisecond)
			requireExactlyOnce(t, want, receivedUIDs(sink))
			if tt.check != nil {
				tt.check(t, srv)
			}
		})
	}
}

// An entry Wiz indexes after a poll passed its timestamp is picked up by
// the overlap, once.
func TestLateEntriesInsideOverlap(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(20, 0, 0)})
	cfg := testConfig(url)
	cfg.Issues.Enabled, cfg.VulnerabilityFindings.Enabled = false, false
	cfg.Overlap = time.Minute
	sink := &consumertest.LogsSink{}

	// Three entries stamped 10s ago become visible only in 600ms, after
	// the first polls have moved the checkpoint past their time.
	late := srv.AddAuditEntries(3, time.Now().Add(-10*time.Second))
	for _, id := range late {
		srv.HideUntil(id, time.Now().Add(600*time.Millisecond))
	}
	startReceiver(t, cfg, sink, componenttest.NewNopHost(), nil)

	want := expectedUIDs(srv, "", "")
	require.Eventually(t, func() bool { return allArrived(want, receivedUIDs(sink)) }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	requireExactlyOnce(t, want, receivedUIDs(sink))
	got := receivedUIDs(sink)["Wiz.Audit"]
	for _, id := range late {
		assert.Equal(t, 1, got[id], "late entry %s", id)
	}
}

// A corrupt or unknown-version checkpoint is reported and ignored: the
// stream reads from initial_lookback and does not crash-loop.
func TestCorruptCheckpoint(t *testing.T) {
	for name, stored := range map[string]string{
		"not json":        "\x00\x01garbage",
		"future version":  `{"version":99,"watermark":"2026-01-01T00:00:00Z"}`,
		"wrong json type": `[1,2,3]`,
		"no watermark":    `{"version":1,"seen":[{"h":1,"t":2}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(25, 0, 0)})
			cfg := testConfig(url)
			cfg.Issues.Enabled, cfg.VulnerabilityFindings.Enabled = false, false
			storageID := storagetest.NewStorageID("cp")
			cfg.StorageID = &storageID
			dir := t.TempDir()
			set := receivertestSettings()

			// Plant the bad checkpoint where the receiver will look.
			ext := storagetest.NewFileBackedStorageExtension("cp", dir)
			client, err := ext.GetClient(context.Background(), component.KindReceiver, set.ID, "")
			require.NoError(t, err)
			require.NoError(t, client.Set(context.Background(), "checkpoint.audit", []byte(stored)))
			require.NoError(t, client.Close(context.Background()))

			core, logs := observer.New(zapcore.InfoLevel)
			set.Logger = zap.New(core)
			sink := &consumertest.LogsSink{}
			rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, sink)
			require.NoError(t, err)
			require.NoError(t, rcv.Start(context.Background(), storagetest.NewStorageHost().WithFileBackedStorageExtension("cp", dir)))
			t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })

			want := expectedUIDs(srv, "", "")
			require.Eventually(t, func() bool { return allArrived(want, receivedUIDs(sink)) }, 10*time.Second, 20*time.Millisecond)
			requireExactlyOnce(t, want, receivedUIDs(sink))
			require.Equal(t, 1, logs.FilterMessage("Ignoring unusable checkpoint; reading from initial_lookback instead").Len())
		})
	}
}

// A window that reaches Wiz's result cap is split until every part fits,
// so nothing beyond the cap is lost.
func TestResultCapSplitsWindow(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(230, 0, 0), AuditResultCap: 50})
	cfg := testConfig(url)
	cfg.PageSize = 20
	cfg.Issues.Enabled, cfg.VulnerabilityFindings.Enabled = false, false
	sink := &consumertest.LogsSink{}
	rcv, err := newWizReceiver(receivertestSettings(), cfg, sink)
	require.NoError(t, err)
	streams, err := rcv.buildStreams(context.Background(), componenttest.NewNopHost())
	require.NoError(t, err)
	s := streams[0]
	s.spec.resultCap = 50 // the mock's cap, standing in for Wiz's 10,000
	s.restore(context.Background())
	require.NoError(t, s.poll(context.Background()))

	want := expectedUIDs(srv, "", "")
	delete(want, "Wiz.Issues")
	delete(want, "Wiz.VulnerabilityFinding")
	requireExactlyOnce(t, want, receivedUIDs(sink))
	require.NoError(t, rcv.storage.Close(context.Background()))
	rcv.metrics.tb.Shutdown()
}
