// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// testBatchBytes makes batches of a few test findings.
const testBatchBytes = 16 << 10

// servedNodes records every node Wiz served: its size, and which page
// (counted from 1) it came on.
type servedNodes struct {
	Client
	mu    sync.Mutex
	pages int
	size  map[string]int
	page  map[string]int
}

func (n *servedNodes) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	page, err := n.Client.FetchPage(ctx, req)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pages++
	for _, node := range page.Nodes {
		n.size[nodeID(node)] = len(node)
		n.page[nodeID(node)] = n.pages
	}
	return page, err
}

// ids are the Wiz ids of the records of logs, in order (a snapshot's end
// marker has none).
func ids(logs plog.Logs) []string {
	var out []string
	polltest.ForEachRecord(logs, func(lr plog.LogRecord) {
		if lr.Body().Type() != pcommon.ValueTypeMap {
			return
		}
		id, _ := lr.Body().Map().Get("id")
		out = append(out, id.Str())
	})
	return out
}

// A page is handed to the next consumer in batches of at most
// max_batch_bytes of Wiz's JSON, each filled as far as the bound allows:
// every record arrives once, and each batch but a page's last would have
// passed the bound with the record that opens the next.
func TestPageHandedOverInBatches(t *testing.T) {
	_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 120)})
	e := newEnv(t, url)
	e.enableOnly("vulnerability_findings")
	e.MaxBatchBytes = testBatchBytes
	served := &servedNodes{size: map[string]int{}, page: map[string]int{}}
	e.wrap = func(c Client) Client {
		served.Client = c
		return served
	}
	sink := &consumertest.LogsSink{}
	e.Next = sink
	s, _ := e.stream(t)

	require.NoError(t, s.Poll(context.Background()))
	batches := sink.AllLogs()
	emitted := map[string]int{}
	for i, logs := range batches {
		batch := ids(logs)
		bytes := 0
		for _, id := range batch {
			emitted[id]++
			bytes += served.size[id]
		}
		if len(batch) > 1 {
			assert.LessOrEqual(t, bytes, e.MaxBatchBytes, "batch %d of %d records", i, len(batch))
		}
		if i+1 < len(batches) {
			next := ids(batches[i+1])[0]
			if served.page[next] == served.page[batch[0]] {
				assert.Greater(t, bytes+served.size[next], e.MaxBatchBytes, "batch %d closed before it was full", i)
			}
		}
	}
	assert.Len(t, emitted, len(served.size), "every finding served was emitted")
	for id, n := range emitted {
		assert.Equal(t, 1, n, "finding %s", id)
	}
	assert.Greater(t, len(batches), served.pages, "pages of %d findings split into batches", e.PageSize)
}

// A record larger than max_batch_bytes is handed over alone, not dropped.
func TestRecordLargerThanABatchGoesAlone(t *testing.T) {
	_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 30)})
	e := newEnv(t, url)
	e.enableOnly("vulnerability_findings")
	e.MaxBatchBytes = 1
	sink := &consumertest.LogsSink{}
	e.Next = sink
	s, _ := e.stream(t)

	require.NoError(t, s.Poll(context.Background()))
	assert.Len(t, emittedIDs(sink), 30)
	for _, logs := range sink.AllLogs() {
		assert.Equal(t, 1, logs.LogRecordCount())
	}
}

// batchOutage is a next consumer that fails for now its call number
// failAt (from 1), refuses for good any batch holding the record refused,
// and fails for now, once, the first batch holding the record late.
type batchOutage struct {
	consumertest.LogsSink
	calls          int
	failAt         int
	refused, late  string
	lateFailedOnce bool
}

func (c *batchOutage) ConsumeLogs(ctx context.Context, logs plog.Logs) error {
	c.calls++
	if c.calls == c.failAt {
		return errors.New("backend unavailable")
	}
	for _, id := range ids(logs) {
		switch {
		case id == c.refused:
			return consumererror.NewPermanent(errors.New("record refused"))
		case id == c.late && !c.lateFailedOnce:
			c.lateFailedOnce = true
			return errors.New("backend unavailable")
		}
	}
	return c.LogsSink.ConsumeLogs(ctx, logs)
}

// When the next consumer fails part-way through a page's batches, at any
// batch, the page is read again at the next poll, and the batches it took
// before are not sent twice, after a restart either: their keys are saved
// when the try fails. Each record is emitted once; one the consumer
// refused for good before the failure is dropped once.
func TestBatchesRepeatNothingAfterAnOutage(t *testing.T) {
	_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 120)})
	newBatchEnv := func(t *testing.T, next *batchOutage) *testEnv {
		e := newEnv(t, url)
		e.enableOnly("vulnerability_findings")
		e.MaxBatchBytes = testBatchBytes
		e.BackOff.Enabled = false
		e.Next = next
		return e
	}
	clean := &batchOutage{}
	s, _ := newBatchEnv(t, clean).stream(t)
	require.NoError(t, s.Poll(context.Background()))
	batches := clean.AllLogs()
	require.Greater(t, len(batches), 3)
	all := emittedIDs(&clean.LogsSink)

	// run fails one poll with next, then polls again, after a restart when
	// asked, and returns what was emitted and the stream's telemetry.
	run := func(t *testing.T, next *batchOutage, restart bool) (map[string]int, *recordingTelemetry) {
		e := newBatchEnv(t, next)
		dir := t.TempDir()
		e.fileStorage(dir)
		s, release := e.stream(t)
		require.Error(t, s.Poll(context.Background()), "the outage fails the poll")
		if restart {
			release()
			e.fileStorage(dir)
			s, _ = e.stream(t)
		}
		require.NoError(t, s.Poll(context.Background()))
		return emittedIDs(&next.LogsSink), e.telemetryOf(logtype.VulnerabilityFindings.Name)
	}
	for _, restart := range []bool{false, true} {
		for failAt := 1; failAt <= len(batches); failAt++ {
			t.Run(fmt.Sprintf("restart=%v/fail at batch %d", restart, failAt), func(t *testing.T) {
				emitted, telemetry := run(t, &batchOutage{failAt: failAt}, restart)
				assert.Equal(t, all, emitted)
				assert.Equal(t, len(all), telemetry.emitted)
			})
		}
		t.Run(fmt.Sprintf("restart=%v/refused for good, then an outage", restart), func(t *testing.T) {
			refused, late := ids(batches[0])[1], ids(batches[2])[0]
			emitted, telemetry := run(t, &batchOutage{refused: refused, late: late}, restart)
			want := map[string]int{}
			for id := range all {
				if id != refused {
					want[id] = 1
				}
			}
			assert.Equal(t, want, emitted)
			assert.Equal(t, 1, telemetry.refused, "the refused record is dropped once")
		})
	}
}

// A posture snapshot handed over in batches, and failed part-way, then
// resumed after a restart, delivers each finding once, and its end marker
// counts them exactly.
func TestSnapshotBatchesRepeatNothing(t *testing.T) {
	for _, failAt := range []int{1, 4} {
		t.Run(fmt.Sprint("fail at batch ", failAt), func(t *testing.T) {
			e, srv, _, sink := snapshotEnv(t, 2*snapshotCap, "OPEN")
			want := openSet(srv, "OPEN")
			dir := t.TempDir()
			e.fileStorage(dir)
			e.MaxBatchBytes = 4 << 10
			next := &batchOutage{failAt: failAt}
			e.Next = next
			s, release := e.stream(t)
			require.Error(t, s.Snapshot(context.Background()))
			release()
			e.fileStorage(dir)
			s, _ = e.stream(t)
			require.NoError(t, s.Snapshot(context.Background()))
			for _, logs := range next.AllLogs() {
				require.NoError(t, sink.ConsumeLogs(context.Background(), logs))
			}
			assertSnapshot(t, sink, want)
		})
	}
}
