package wizreceiver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

// brokenPagingServer is a Wiz that never ends a walk: it answers every
// query with the same page.
func brokenPagingServer(t *testing.T, page string) (string, *atomic.Int64) {
	var queries atomic.Int64
	url := stdlibWiz(t, func(w http.ResponseWriter, _ *http.Request) {
		queries.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, page)
	})
	return url, &queries
}

func TestLoopGuards(t *testing.T) {
	node := `{"id":"a-1","action":"Login","requestId":"a-1","status":"SUCCESS","timestamp":"%s","actionParameters":null,"userAgent":null,"sourceIP":null,"serviceAccount":null,"user":null}`
	node = fmt.Sprintf(node, time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano))
	tests := map[string]string{
		"repeated end cursor":          `{"data":{"auditLogEntries":{"nodes":[` + node + `],"pageInfo":{"hasNextPage":true,"endCursor":"c1"}}}}`,
		"hasNextPage without nodes":    `{"data":{"auditLogEntries":{"nodes":[],"pageInfo":{"hasNextPage":true,"endCursor":"c2"}}}}`,
		"hasNextPage without a cursor": `{"data":{"auditLogEntries":{"nodes":[` + node + `],"pageInfo":{"hasNextPage":true,"endCursor":null}}}}`,
	}
	for name, page := range tests {
		t.Run(name, func(t *testing.T) {
			url, queries := brokenPagingServer(t, page)
			cfg := testConfig(url)
			enableOnly(cfg, "audit")
			rcv, err := newWizReceiver(receivertestSettings(), cfg, consumertest.NewNop())
			require.NoError(t, err)
			s, _ := firstStream(t, rcv, componenttest.NewNopHost())

			err = s.poll(context.Background())
			require.ErrorIs(t, err, errPagingLoop)
			assert.LessOrEqual(t, queries.Load(), int64(2), "the walk stops at the first repeat")
		})
	}
}

// A project-scoped service account: issues and findings keep flowing
// (restricted to its projects), while audit stops with an error that says
// why and what to do.
func TestProjectScopedAccount(t *testing.T) {
	ds := smallDataset(20, 60, 60)
	srv, url := newMock(t, mockwiz.Options{
		Dataset: ds,
		Clients: []mockwiz.Client{{
			ID: testClientID, Secret: testClientSecret,
			Scopes:     []string{"admin:audit", "read:issues", "read:vulnerabilities"},
			ProjectIDs: ds.Projects[:1],
		}},
	})
	cfg := testConfig(url)
	cfg.ProjectIDs = ds.Projects[:1]
	host := &statusHost{Host: componenttest.NewNopHost()}
	sink := &consumertest.LogsSink{}
	startReceiver(t, cfg, sink, host, nil)

	want := wiztest.UIDs{}
	wiztest.EachExpected(t, srv, func(typ, uid string, node map[string]any) {
		if typ != "Wiz.Audit" && inProjects(node, "projects", ds.Projects[:1]) {
			want[typ] = append(want[typ], uid)
		}
	})
	require.NotEmpty(t, want["Wiz.Issues"])
	require.NotEmpty(t, want["Wiz.VulnerabilityFinding"])
	require.Eventually(t, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) }, 10*time.Second, 20*time.Millisecond)
	got := wiztest.Received(sink)
	wiztest.RequireExactlyOnce(t, want, got)
	assert.Empty(t, got["Wiz.Audit"])

	require.Eventually(t, func() bool {
		ev := host.last()
		return ev != nil && ev.Status() == componentstatus.StatusPermanentError
	}, 5*time.Second, 10*time.Millisecond)
	msg := host.last().Err().Error()
	assert.Contains(t, msg, "this service account is limited to projects; Wiz does not serve audit logs to it; disable `audit` or use an unscoped account")

	// The project filter reached the queries.
	for _, req := range srv.Requests() {
		filter, _ := req.Variables["filterBy"].(map[string]any)
		switch req.RootField {
		case "issuesV2":
			assert.Equal(t, []any{ds.Projects[0]}, filter["project"])
		case "vulnerabilityFindings":
			assert.Equal(t, []any{ds.Projects[0]}, filter["projectId"])
		}
	}
	// The audit stream stopped: it asked once and gave up.
	audits := 0
	for _, req := range srv.Requests() {
		if req.RootField == "auditLogEntries" {
			audits++
		}
	}
	assert.Equal(t, 1, audits)
}

// A missing scope stops only the stream that needs it, naming the scope.
func TestMissingScope(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{
		Dataset: smallDataset(10, 10, 10),
		Clients: []mockwiz.Client{{ID: testClientID, Secret: testClientSecret, Scopes: []string{"admin:audit", "read:issues"}}},
	})
	host := &statusHost{Host: componenttest.NewNopHost()}
	sink := &consumertest.LogsSink{}
	startReceiver(t, testConfig(url), sink, host, nil)

	want := wiztest.Expected(t, srv)
	delete(want, "Wiz.VulnerabilityFinding")
	require.Eventually(t, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) }, 10*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		ev := host.last()
		return ev != nil && ev.Status() == componentstatus.StatusPermanentError
	}, 5*time.Second, 10*time.Millisecond)
	msg := host.last().Err().Error()
	assert.Contains(t, msg, "vulnerability_findings stream stopped: the service account lacks the read:vulnerabilities scope")
	assert.Contains(t, msg, "vulnerability_findings.enabled: false")
}

// A consumer that refuses a page a few times gets the same page again, and
// nothing is lost or repeated.
func TestDownstreamBackPressure(t *testing.T) {
	srv, url := newMock(t, mockwiz.Options{Dataset: smallDataset(60, 0, 0)})
	cfg := testConfig(url)
	cfg.PageSize = 20
	enableOnly(cfg, "audit")

	sink := &consumertest.LogsSink{}
	failing := &flakyConsumer{LogsSink: sink, failures: 3}
	rcv, err := newWizReceiver(receivertestSettings(), cfg, failing)
	require.NoError(t, err)
	streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())
	want := wiztest.Expected(t, srv)
	delete(want, "Wiz.Issues")
	delete(want, "Wiz.VulnerabilityFinding")
	pollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
	assert.Equal(t, int64(3), failing.refused.Load())
}

// A permanent refusal drops the page and the stream moves on (the dropped
// count is checked in TestDroppedRecordsByReason).
func TestPermanentConsumerError(t *testing.T) {
	_, url := newMock(t, mockwiz.Options{Dataset: smallDataset(40, 0, 0)})
	cfg := testConfig(url)
	cfg.PageSize = 20
	cfg.Overlap = 0
	enableOnly(cfg, "audit")
	rcv, err := newWizReceiver(receivertestSettings(), cfg, consumertest.NewErr(consumererror.NewPermanent(errors.New("malformed records"))))
	require.NoError(t, err)
	s, _ := firstStream(t, rcv, componenttest.NewNopHost())
	require.NoError(t, s.poll(context.Background()), "a permanent refusal drops the page; the stream moves on")
	assert.Nil(t, s.state.Window)
	assert.WithinDuration(t, time.Now(), s.state.Watermark, 10*time.Second, "the watermark moved past the dropped pages")
	assert.Len(t, s.dedup.seen, 0, "overlap 0 keeps nothing behind the watermark")
}

type flakyConsumer struct {
	*consumertest.LogsSink
	failures int64
	refused  atomic.Int64
}

func (c *flakyConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if c.refused.Load() < c.failures {
		c.refused.Add(1)
		return errors.New("exporter queue full")
	}
	return c.LogsSink.ConsumeLogs(ctx, ld)
}
