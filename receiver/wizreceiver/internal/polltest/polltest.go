// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package polltest holds the helpers the receiver's tests and the engine's
// (internal/poll) share: a mock Wiz with the test's client, data sets, and
// polling streams directly, as their poll intervals would. It imports
// neither the receiver nor the engine, so that the engine's own tests can
// import it.
package polltest

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
)

// The service account the mock knows the tests by.
const (
	ClientID     = "mock-client-id"
	ClientSecret = "mock-client-secret-4f1d9c2e"
)

// NewMock starts a mock Wiz with the test client (every scope, unless o
// names the clients) and the given dataset, and returns it with its base
// URL.
func NewMock(t testing.TB, o mockwiz.Options) (*mockwiz.Server, string) {
	t.Helper()
	if o.Clients == nil {
		o.Clients = []mockwiz.Client{{ID: ClientID, Secret: ClientSecret, Scopes: mockwiz.AllScopes()}}
	}
	srv, httpSrv := mockwiz.NewTestServer(t, o)
	return srv, httpSrv.URL
}

// EachRequestErrorStatus runs test once for each way a GraphQL server
// answers a query it refuses to run (one that fails validation, say): with
// 400, as GraphQL-over-HTTP servers and Apollo Server 4 do, and with 200,
// as older servers do. test passes the status on to the mock.
func EachRequestErrorStatus(t *testing.T, test func(t *testing.T, requestErrorStatus int)) {
	for _, status := range []int{http.StatusBadRequest, http.StatusOK} {
		t.Run(strconv.Itoa(status), func(t *testing.T) { test(t, status) })
	}
}

// SmallDataset is a dataset of the three first log types spread over the
// last 12 hours, inside the default initial_lookback.
func SmallDataset(audit, issues, findings int) *mockwiz.Dataset {
	return DatasetOf(42, map[string]int{
		logtype.Audit.Name: audit, logtype.Issues.Name: issues, logtype.VulnerabilityFindings.Name: findings,
	})
}

// DatasetOf is a dataset with counts nodes of each log type (by name),
// spread over the last 12 hours.
func DatasetOf(seed int64, counts map[string]int) *mockwiz.Dataset {
	end := time.Now().Add(-time.Minute)
	return mockwiz.GenerateDataset(mockwiz.DatasetOptions{Seed: seed, Start: end.Add(-12 * time.Hour), End: end, Counts: counts})
}

// WithStatus is the nodes whose status is status.
func WithStatus(nodes []map[string]any, status string) []map[string]any {
	var out []map[string]any
	for _, n := range nodes {
		if n["status"] == status {
			out = append(out, n)
		}
	}
	return out
}

// InProjects reports whether the node's projects at path, a dotted path
// through objects and lists of them, include any of ids.
func InProjects(node map[string]any, path string, ids []string) bool {
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

// ForEachRecord calls fn with every record of logs.
func ForEachRecord(logs plog.Logs, fn func(plog.LogRecord)) {
	for _, rl := range logs.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				fn(lr)
			}
		}
	}
}

// Dedupe is in without repeats, in order.
func Dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// AuditOnly is want less the log types other than audit the small
// datasets hold.
func AuditOnly(want wiztest.UIDs) wiztest.UIDs {
	delete(want, logtype.Issues.Name)
	delete(want, logtype.VulnerabilityFindings.Name)
	return want
}

// AssertAuditOnce asserts that each of the audit entries ids arrived
// exactly once.
func AssertAuditOnce(t testing.TB, ids []string, sink *consumertest.LogsSink) {
	t.Helper()
	got := wiztest.Received(sink)[logtype.Audit.Name]
	for _, id := range ids {
		assert.Equal(t, 1, got[id], "entry %s", id)
	}
}

// AssertAuditArrived asserts that each of the audit entries ids arrived,
// repeats allowed.
func AssertAuditArrived(t testing.TB, ids []string, sink *consumertest.LogsSink) {
	t.Helper()
	got := wiztest.Received(sink)[logtype.Audit.Name]
	for _, id := range ids {
		assert.Positive(t, got[id], "entry %s lost", id)
	}
}

// Poller is a stream polled directly: the engine's Stream.
type Poller interface {
	Key() string
	Poll(ctx context.Context) error
}

// PollUntil polls each stream in turn, as their poll intervals would, until
// done reports true, then once more: a poll after everything arrived must
// add nothing, which the caller's exactly-once check sees. (On a settable
// clock that stands still that poll reads nothing: move the clock and poll
// again before the check.) A failed poll is
// the fault under test (logged); the next round is the next interval's
// retry. It fails after rounds rounds.
func PollUntil[P Poller](t testing.TB, streams []P, rounds int, done func() bool) {
	t.Helper()
	for round := 0; !done(); round++ {
		require.Less(t, round, rounds, "not done after %d rounds of polls", rounds)
		for _, s := range streams {
			if err := s.Poll(context.Background()); err != nil {
				t.Logf("round %d: %s: %v", round, s.Key(), err)
			}
		}
	}
	for _, s := range streams {
		if err := s.Poll(context.Background()); err != nil {
			t.Logf("after: %s: %v", s.Key(), err)
		}
	}
}

// Pacer stands in for the wait between a running stream's polls (see
// poll.Settings.Sleep): a stream that finished a poll waits at the pacer
// until the test lets it poll again. The test reads what the streams did
// while they all wait, when nothing moves, and moves them on a whole poll
// at a time: a running receiver, driven as PollUntil drives streams.
type Pacer struct {
	mu sync.Mutex
	// waiting counts the streams waiting for next.
	waiting int
	next    chan struct{}
	// arrived is signalled at each arrival.
	arrived chan struct{}
}

// NewPacer is a pacer no stream waits at yet.
func NewPacer() *Pacer {
	return &Pacer{next: make(chan struct{}), arrived: make(chan struct{}, 1)}
}

// Sleep is the streams' wait between polls: it returns when the test lets
// the streams poll again (see Next), or ctx ends.
func (p *Pacer) Sleep(ctx context.Context, _ time.Duration) error {
	p.mu.Lock()
	p.waiting++
	next := p.next
	p.mu.Unlock()
	select {
	case p.arrived <- struct{}{}:
	default:
	}
	select {
	case <-next:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		if p.next == next {
			p.waiting--
		}
		p.mu.Unlock()
		return ctx.Err()
	}
}

// Await waits until n streams wait at the pacer, each having finished its
// poll (or its connection check, when that failed): the streams that have
// not stopped.
func (p *Pacer) Await(t testing.TB, n int) {
	t.Helper()
	guard := time.NewTimer(wiztest.HangGuard)
	defer guard.Stop()
	for {
		p.mu.Lock()
		waiting := p.waiting
		p.mu.Unlock()
		require.LessOrEqual(t, waiting, n, "more streams than expected wait for their next poll")
		if waiting == n {
			return
		}
		select {
		case <-p.arrived:
		case <-guard.C:
			t.Fatalf("%d of %d streams came to their next poll", waiting, n)
		}
	}
}

// Next lets the waiting streams poll once more.
func (p *Pacer) Next() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.next)
	p.next, p.waiting = make(chan struct{}), 0
}

// Until moves n running streams on, a poll at a time, until done reports
// true, then by one poll more: a poll after everything arrived must add
// nothing, which the caller's exactly-once check sees (on a settable clock,
// see PollUntil). It fails after rounds polls.
func (p *Pacer) Until(t testing.TB, n, rounds int, done func() bool) {
	t.Helper()
	p.Await(t, n)
	for round := 0; !done(); round++ {
		require.Less(t, round, rounds, "not done after %d polls", rounds)
		p.Next()
		p.Await(t, n)
	}
	p.Next()
	p.Await(t, n)
}
