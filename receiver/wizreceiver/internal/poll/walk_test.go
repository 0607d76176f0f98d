// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

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
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// The checkpoint advances only after the next consumer accepted a page,
// in the shape of awscloudwatch's acknowledged-checkpoint test.
func TestCheckpointAdvancesOnlyAfterConsume(t *testing.T) {
	tests := []struct {
		name          string
		audit         int
		faults        []mockwiz.Fault
		consumerErr   error
		wantErr       bool
		wantWatermark bool // the watermark moved to now
		wantCursor    bool // an unfinished window with a cursor was saved
		accepted      int  // records the consumer accepted before the failure
	}{
		{name: "api failure", audit: 30, faults: []mockwiz.Fault{{Status: 500}}, wantErr: true},
		{name: "accepted page then api failure", audit: 30, faults: []mockwiz.Fault{{Latency: time.Millisecond}, {Status: 503}}, wantErr: true, wantCursor: true, accepted: 20},
		{name: "consumer failure", audit: 30, consumerErr: errors.New("downstream unavailable"), wantErr: true},
		{name: "accepted", audit: 30, wantWatermark: true},
		{name: "empty window", audit: 0, wantWatermark: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(tt.audit, 0, 0)})
			e := newEnv(t, url)
			e.PageSize = 20
			e.Overlap = 0
			e.BackOff.Enabled = false
			e.enableOnly("audit")
			e.memoryStorage()

			var next = consumertest.NewNop()
			if tt.consumerErr != nil {
				next = consumertest.NewErr(tt.consumerErr)
			}
			now := time.Now()
			e.Next, e.Now = next, func() time.Time { return now }
			s, _ := e.stream(t)
			start := s.walker.state.Watermark

			srv.InjectGraphQLFaults(tt.faults...)
			err := s.Poll(context.Background())
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}

			cp, ok, err := s.walker.store.load(context.Background())
			require.NoError(t, err)
			switch {
			case tt.wantWatermark:
				require.True(t, ok)
				assert.True(t, cp.Watermark.Equal(now), "watermark %s, want %s", cp.Watermark, now)
				assert.Nil(t, cp.Window)
			case tt.wantCursor:
				require.True(t, ok)
				assert.True(t, cp.Watermark.Equal(start), "the watermark must not move mid-window")
				require.NotNil(t, cp.Window)
				assert.NotEmpty(t, cp.Window.Cursor)
				assert.Equal(t, tt.accepted, cp.Window.Served, "the walk's count toward Wiz's result cap")
				// Audit has a result cap: a window narrowed at the cap reads
				// these keys again, so the checkpoint keeps all of them.
				assert.Len(t, cp.Seen, tt.accepted)
			default:
				assert.False(t, ok, "nothing may be saved before the consumer accepted a page")
			}

			// Resuming from what was saved delivers the rest exactly once.
			sink := &consumertest.LogsSink{}
			s.walker.delivery.next = sink
			if !tt.wantWatermark {
				require.NoError(t, s.Poll(context.Background()))
				delivered := map[string]int{}
				for _, logs := range sink.AllLogs() {
					polltest.ForEachRecord(logs, func(lr plog.LogRecord) {
						uid, _ := lr.Attributes().Get("log.record.uid")
						delivered[uid.Str()]++
					})
				}
				assert.Len(t, delivered, tt.audit-tt.accepted)
				for uid, n := range delivered {
					assert.Equal(t, 1, n, uid)
				}
			}
		})
	}
}

// Memory stays flat on a long backlog: in the middle of a window, a stream
// without a result cap holds only the keys a later query reads again (the
// overlaps), not every key it has delivered from the window.
func TestWindowKeysStayBounded(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 200)})
	e := newEnv(t, url)
	e.PageSize = 20
	e.Overlap = 30 * time.Second
	e.enableOnly("vulnerability_findings")
	e.BackOff.Enabled = false
	s, _ := e.stream(t)
	pass := mockwiz.Fault{Latency: time.Millisecond}
	srv.InjectGraphQLFaults(pass, pass, pass, mockwiz.Fault{Status: 500})
	require.Error(t, s.Poll(context.Background()))

	require.NotNil(t, s.walker.state.Window)
	assert.NotEmpty(t, s.walker.state.Window.Cursor, "three pages were delivered")
	assert.Empty(t, s.walker.dedup.seen, "60 delivered keys, none inside an overlap")
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
			// A Wiz that never ends a walk: it answers every query with
			// the same page.
			fake := wiztest.NewFakeWiz(t, wiztest.WithAPI(wiztest.JSONReply(http.StatusOK, page)))
			e := newEnv(t, fake.URL)
			e.enableOnly("audit")
			s, _ := e.stream(t)

			err := s.Poll(context.Background())
			require.ErrorIs(t, err, errPagingLoop)
			assert.LessOrEqual(t, len(fake.RequestsTo("/graphql")), 2, "the walk stops at the first repeat")
		})
	}
}

// A consumer that refuses a page a few times gets the same page again, and
// nothing is lost or repeated.
func TestDownstreamBackPressure(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(60, 0, 0)})
	e := newEnv(t, url)
	e.PageSize = 20
	e.enableOnly("audit")

	sink := &consumertest.LogsSink{}
	failing := &flakyConsumer{LogsSink: sink, failures: 3}
	e.Next = failing
	streams, _ := e.streams(t)
	want := wiztest.Expected(t, srv)
	delete(want, "Wiz.Issues")
	delete(want, "Wiz.VulnerabilityFinding")
	polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
	assert.Equal(t, int64(3), failing.refused.Load())
}

// A permanent refusal drops the page and the stream moves on (the dropped
// count is checked in TestDroppedRecordsByReason).
func TestPermanentConsumerError(t *testing.T) {
	clock := wiztest.NewClock(time.Now())
	_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(40, 0, 0), Now: clock.Now})
	e := newEnv(t, url)
	e.Now = clock.Now
	e.PageSize = 20
	e.Overlap = 0
	e.enableOnly("audit")
	e.Next = consumertest.NewErr(consumererror.NewPermanent(errors.New("malformed records")))
	s, _ := e.stream(t)
	require.NoError(t, s.Poll(context.Background()), "a permanent refusal drops the page; the stream moves on")
	assert.Nil(t, s.walker.state.Window)
	assert.Equal(t, clock.Now(), s.walker.state.Watermark, "the watermark moved past the dropped pages, to the clock")
	assert.Len(t, s.walker.dedup.seen, 0, "overlap 0 keeps nothing behind the watermark")
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

// A server that hands out a new cursor with every page, without end, gets
// at most maxPages pages a walk: the poll ends with an error that names
// max_window, and the next goes on from the saved cursor.
func TestWalkPagesAreBounded(t *testing.T) {
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
	var queries atomic.Int64
	url := wiztest.NewFakeWiz(t, wiztest.WithAPI(func(w http.ResponseWriter, _ *http.Request) {
		n := queries.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"data":{"auditLogEntries":{"nodes":[{"id":"a-%d","action":"Login","requestId":"a-%d","status":"SUCCESS","timestamp":%q,"actionParameters":null,"userAgent":null,"sourceIP":null,"serviceAccount":null,"user":null}],"pageInfo":{"hasNextPage":true,"endCursor":"c%d"}}}}`, n, n, at, n)
	})).URL
	e := newEnv(t, url)
	e.enableOnly("audit")
	s, _ := e.stream(t)
	s.walker.maxPages = 25

	err := s.Poll(context.Background())
	require.ErrorIs(t, err, errWalkTooLong)
	assert.ErrorContains(t, err, "lower max_window")
	first := queries.Load()
	assert.LessOrEqual(t, first, int64(25+2), "one walk reads at most maxPages pages, besides the connection check")
	assert.Equal(t, fmt.Sprintf("c%d", first-1), s.walker.state.Window.Cursor, "the cursor of the last page delivered is saved")

	require.ErrorIs(t, s.Poll(context.Background()), errWalkTooLong)
	assert.LessOrEqual(t, queries.Load()-first, int64(25+1), "the next poll goes on, bounded the same")
}
