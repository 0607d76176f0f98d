// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/poll"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// sometimesRefusing refuses one ConsumeLogs call in every `every`, as an
// exporter with a full queue would.
type sometimesRefusing struct {
	*consumertest.LogsSink
	every int64
	// each, when set, sees every call, counted from 1, first.
	each    func(call int64)
	calls   atomic.Int64
	refused atomic.Int64
}

func (c *sometimesRefusing) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	call := c.calls.Add(1)
	if c.each != nil {
		c.each(call)
	}
	if call%c.every == 0 {
		c.refused.Add(1)
		return errors.New("sending queue is full")
	}
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

// TestSoak mixes every fault over 20,000 records of the three types while
// Wiz keeps changing: random 429/5xx/dropped bodies/GraphQL errors, tokens
// expiring mid-walk, a refusing consumer, late entries, an audit result
// cap far below the backlog, and a restart in the middle of a walk. The
// streams are polled in turn, and the one clock of Wiz and the receiver
// moves by the test's hand (a second a round, two minutes a page: a token
// of an hour serves 30 pages), so the seed replays the run. It asserts counts only: 0 lost, 0 duplicated,
// and that faults, retries and refusals happened.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in -short mode")
	}
	const auditCap = 2000
	seed := wiztest.Seed(t)
	clock := wiztest.NewClock(time.Now())
	ds := polltest.DatasetOf(int64(seed), map[string]int{logtype.Audit.Name: 8000, logtype.Issues.Name: 4000, logtype.VulnerabilityFindings.Name: 8000})
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: ds, AuditResultCap: auditCap, Now: clock.Now})
	srv.SetFaultRate(0.1, int64(seed))
	cfg := testConfig(url)
	cfg.PageSize = 100
	storageID := storagetest.NewStorageID("soak")
	cfg.StorageID = &storageID
	dir := t.TempDir()
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tt)
	sink := &consumertest.LogsSink{}
	next := &sometimesRefusing{LogsSink: sink, every: 17}
	// crash, when set, ends the poll in progress.
	var crash context.CancelFunc
	next.each = func(call int64) {
		clock.Advance(100 * time.Millisecond)
		if call%30 == 0 {
			// Wiz refuses the token every 30 pages, as it does one that
			// expired: the client's own renewal goes by this host's real
			// clock, which a replay cannot repeat, so tokens here last
			// the default hour.
			srv.InjectGraphQLFaults(mockwiz.Fault{Status: http.StatusUnauthorized})
		}
		if call == 80 && crash != nil {
			crash()
		}
	}

	invariants := checkInvariants(t)
	start := func() ([]*poll.Stream, func()) {
		rcv, err := newWizReceiver(set, cfg, next)
		require.NoError(t, err)
		rcv.now, rcv.afterSave = clock.Now, invariants
		// The audit backlog is four times the cap: windows split, and the
		// restart lands inside a split one.
		rcv.resultCaps["audit"] = auditCap
		return buildStreams(t, rcv, storagetest.NewStorageHost().WithFileBackedStorageExtension("soak", dir))
	}

	// Wiz changes between polls: new audit entries, status changes,
	// re-detections, and entries indexed late.
	rng := rand.New(rand.NewPCG(seed, 4))
	snapshot := srv.Snapshot()
	issues, findings := snapshot[logtype.Issues.Name], snapshot[logtype.VulnerabilityFindings.Name]
	statuses := []string{"IN_PROGRESS", "RESOLVED", "REJECTED", "OPEN"}
	change := func(round int) {
		now := clock.Now()
		srv.AddAuditEntries(2, now)
		srv.ChangeIssueStatus(issues[rng.IntN(len(issues))]["id"].(string), statuses[round%len(statuses)], now)
		srv.RedetectVulnerabilityFinding(findings[rng.IntN(len(findings))]["id"].(string), now)
		if round%5 == 0 {
			for _, id := range srv.AddAuditEntries(1, now.Add(-5*time.Second)) {
				srv.HideUntil(id, now.Add(2*time.Second))
			}
		}
	}
	round := func(ctx context.Context, streams []*poll.Stream, i int) {
		change(i)
		clock.Advance(time.Second)
		for _, s := range streams {
			if err := s.Poll(ctx); err != nil {
				t.Logf("round %d: %s: %v", i, s.Key(), err)
			}
		}
	}

	// The collector stops a third of the way through the backlog, in the
	// middle of a page walk: the poll's context ends as the 80th page is
	// delivered.
	streams, stop := start()
	ctx, cancel := context.WithCancel(context.Background())
	crash = cancel
	i := 0
	for ; ctx.Err() == nil; i++ {
		require.Less(t, i, 10, "no crash after 10 rounds")
		round(ctx, streams, i)
	}
	stop()

	streams, stop = start()
	for end := i + 10; i < end; i++ {
		round(context.Background(), streams, i)
	}
	// Wiz has indexed every late entry; the next polls read them inside
	// the overlap.
	clock.Advance(5 * time.Second)
	want := wiztest.Expected(t, srv)
	total := 0
	for _, uids := range want {
		total += len(uids)
	}
	polltest.PollUntil(t, streams, 50, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
	// A poll on a clock that stands still reads nothing: one a second
	// later re-reads the overlap, and must repeat nothing.
	clock.Advance(time.Second)
	for _, s := range streams {
		if err := s.Poll(context.Background()); err != nil {
			t.Logf("last: %s: %v", s.Key(), err)
		}
	}
	stop()

	// Lost: a current version that never arrived. Duplicated: any record
	// that arrived twice. Older versions of changed issues and findings
	// arrive once each too; they are records, not duplicates.
	got := wiztest.Received(sink)
	lost, duplicated, delivered := 0, 0, 0
	for typ, uids := range want {
		for _, uid := range uids {
			if got[typ][uid] == 0 {
				lost++
			}
		}
		ids := idsOf(uids)
		for uid, n := range got[typ] {
			delivered++
			if n > 1 {
				duplicated += n - 1
			}
			require.True(t, ids[strings.SplitN(uid, "@", 2)[0]], "unknown record %s", uid)
		}
	}
	stats := srv.Stats()
	retries, byReason := retriesByReason(t, tt)
	t.Logf("soak: %d current records (%d delivered incl. earlier versions); lost %d, duplicated %d; "+
		"%d requests, %d faults served, %d retries (%s), %d consumer refusals, %d token requests",
		total, delivered, lost, duplicated, stats.GraphQLRequests, stats.FaultsServed, retries, byReason, next.refused.Load(), stats.TokenRequests)
	assert.GreaterOrEqual(t, total, 20000)
	assert.Zero(t, lost, "records lost")
	assert.Zero(t, duplicated, "records duplicated")
	assert.Positive(t, stats.FaultsServed)
	assert.Positive(t, retries)
	assert.Positive(t, next.refused.Load())
	assert.Greater(t, stats.TokenRequests, 2, "tokens refused")
}

// retriesByReason sums the receiver's otelcol_wiz_api_retries and lists
// them by reason.
func retriesByReason(t *testing.T, tt *componenttest.Telemetry) (int64, string) {
	got, err := tt.GetMetric("otelcol_wiz_api_retries")
	require.NoError(t, err)
	byReason := map[string]int64{}
	total := int64(0)
	for _, dp := range got.Data.(metricdata.Sum[int64]).DataPoints {
		reason, _ := dp.Attributes.Value("reason")
		byReason[reason.AsString()] += dp.Value
		total += dp.Value
	}
	parts := make([]string, 0, len(byReason))
	for _, reason := range slices.Sorted(maps.Keys(byReason)) {
		parts = append(parts, fmt.Sprintf("%s %d", reason, byReason[reason]))
	}
	return total, strings.Join(parts, ", ")
}

func idsOf(uids []string) map[string]bool {
	out := make(map[string]bool, len(uids))
	for _, uid := range uids {
		out[strings.SplitN(uid, "@", 2)[0]] = true
	}
	return out
}
