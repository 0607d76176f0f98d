package wizreceiver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
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
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// sometimesRefusing refuses one ConsumeLogs call in every `every`, as an
// exporter with a full queue would.
type sometimesRefusing struct {
	*consumertest.LogsSink
	every   int64
	calls   atomic.Int64
	refused atomic.Int64
}

func (c *sometimesRefusing) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if c.calls.Add(1)%c.every == 0 {
		c.refused.Add(1)
		return errors.New("sending queue is full")
	}
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

// TestSoak mixes every fault over 20,000 records of the three types while
// Wiz keeps changing: random 429/5xx/dropped bodies/GraphQL errors, short
// token lifetimes, a refusing consumer, late entries, an audit result cap
// far below the backlog, and a restart. It asserts counts only: 0 lost, 0
// duplicated, and that faults, retries and refusals happened. The rate it
// saw is printed, not asserted: TestLimiterPacing checks the pacing on a
// clock of its own, where a loaded machine's timing cannot move it.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in -short mode")
	}
	const rps, auditCap = 25, 2000
	seed := wiztest.Seed(t)
	ds := polltest.DatasetOf(int64(seed), map[string]int{logtype.Audit.Name: 8000, logtype.Issues.Name: 4000, logtype.VulnerabilityFindings.Name: 8000})
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: ds, TokenLifetime: 3 * time.Second, AuditResultCap: auditCap})
	srv.SetFaultRate(0.1, int64(seed))
	cfg := testConfig(url)
	cfg.PageSize = 100
	cfg.RequestsPerSecond = rps
	cfg.PollInterval = 200 * time.Millisecond
	storageID := storagetest.NewStorageID("soak")
	cfg.StorageID = &storageID
	dir := t.TempDir()
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tt)
	sink := &consumertest.LogsSink{}
	next := &sometimesRefusing{LogsSink: sink, every: 17}

	invariants := checkInvariants(t)
	start := func() func() {
		rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
		require.NoError(t, err)
		rcv.(*wizReceiver).afterSave = invariants
		// The audit backlog is four times the cap: windows split, and the
		// restart may land inside a split one.
		rcv.(*wizReceiver).resultCaps["audit"] = auditCap
		require.NoError(t, rcv.Start(context.Background(), storagetest.NewStorageHost().WithFileBackedStorageExtension("soak", dir)))
		return func() { require.NoError(t, rcv.Shutdown(context.Background())) }
	}

	// Wiz changes while the receiver runs: new audit entries, status
	// changes, re-detections, and entries indexed late.
	stopChanges := make(chan struct{})
	var changes sync.WaitGroup
	changes.Go(func() {
		rng := rand.New(rand.NewPCG(seed, 4))
		snapshot := srv.Snapshot()
		issues, findings := snapshot[logtype.Issues.Name], snapshot[logtype.VulnerabilityFindings.Name]
		statuses := []string{"IN_PROGRESS", "RESOLVED", "REJECTED", "OPEN"}
		for i := 0; ; i++ {
			select {
			case <-stopChanges:
				return
			case <-time.After(100 * time.Millisecond):
			}
			now := time.Now()
			srv.AddAuditEntries(2, now)
			srv.ChangeIssueStatus(issues[rng.IntN(len(issues))]["id"].(string), statuses[i%len(statuses)], now)
			srv.RedetectVulnerabilityFinding(findings[rng.IntN(len(findings))]["id"].(string), now)
			if i%5 == 0 {
				for _, id := range srv.AddAuditEntries(1, now.Add(-5*time.Second)) {
					srv.HideUntil(id, now.Add(2*time.Second))
				}
			}
		}
	})

	began := time.Now()
	stop := start()
	time.Sleep(6 * time.Second)
	stop() // a restart in the middle of the backlog
	stop = start()
	time.Sleep(4 * time.Second)
	close(stopChanges)
	changes.Wait()

	want := wiztest.Expected(t, srv)
	total := 0
	for _, uids := range want {
		total += len(uids)
	}
	// Not require: on a timeout the figures below say what was lost.
	assert.Eventually(t, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) }, 90*time.Second, 100*time.Millisecond)
	time.Sleep(time.Second)
	stop()
	elapsed := time.Since(began)

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
	t.Logf("soak: %d current records (%d delivered incl. earlier versions) in %s; lost %d, duplicated %d; "+
		"max observed %d req/s (limit %d); %d requests, %d faults served, %d retries (%s), %d consumer refusals, %d token requests",
		total, delivered, elapsed.Truncate(time.Millisecond), lost, duplicated, stats.MaxObservedRate, rps,
		stats.GraphQLRequests, stats.FaultsServed, retries, byReason, next.refused.Load(), stats.TokenRequests)
	assert.GreaterOrEqual(t, total, 20000)
	assert.Zero(t, lost, "records lost")
	assert.Zero(t, duplicated, "records duplicated")
	assert.Positive(t, stats.FaultsServed)
	assert.Positive(t, retries)
	assert.Positive(t, next.refused.Load())
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
