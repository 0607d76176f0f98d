// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// nodeSizes records the size of every node Wiz served, by id.
type nodeSizes struct {
	Client
	mu    sync.Mutex
	pages int
	size  map[string]int
}

func (n *nodeSizes) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	page, err := n.Client.FetchPage(ctx, req)
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(page.Nodes) > 0 {
		n.pages++
	}
	for _, node := range page.Nodes {
		n.size[nodeID(node)] = len(node)
	}
	return page, err
}

// batchBytes is the size, as Wiz served them, of the nodes of a batch's
// records.
func (n *nodeSizes) batchBytes(logs plog.Logs) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	total := 0
	polltest.ForEachRecord(logs, func(lr plog.LogRecord) {
		id, _ := lr.Body().Map().Get("id")
		total += n.size[id.Str()]
	})
	return total
}

// A page is handed to the next consumer in batches of at most
// max_batch_bytes of Wiz's JSON (a larger record alone), so the records
// built at once do not grow with the page: every record arrives once, in
// more batches than pages.
func TestPageHandedOverInBatches(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 120)})
	e := newEnv(t, url)
	e.enableOnly("vulnerability_findings")
	e.PageSize = 50
	e.MaxBatchBytes = 16 << 10
	sizes := &nodeSizes{size: map[string]int{}}
	e.wrap = func(c Client) Client {
		sizes.Client = c
		return sizes
	}
	sink := &consumertest.LogsSink{}
	e.Next = sink
	s, _ := e.stream(t)

	require.NoError(t, s.Poll(context.Background()))
	want := map[string][]string{logtype.VulnerabilityFindings.Name: wiztest.Expected(t, srv)[logtype.VulnerabilityFindings.Name]}
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
	batches := sink.AllLogs()
	assert.Greater(t, len(batches), sizes.pages, "pages of %d findings split into batches", e.PageSize)
	for i, logs := range batches {
		if n := logs.LogRecordCount(); n > 1 {
			assert.LessOrEqual(t, sizes.batchBytes(logs), e.MaxBatchBytes, "batch %d of %d records", i, n)
		}
	}
}

// A record larger than max_batch_bytes is handed over alone, not dropped.
func TestRecordLargerThanABatchGoesAlone(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 30)})
	e := newEnv(t, url)
	e.enableOnly("vulnerability_findings")
	e.MaxBatchBytes = 1
	sink := &consumertest.LogsSink{}
	e.Next = sink
	s, _ := e.stream(t)

	require.NoError(t, s.Poll(context.Background()))
	want := map[string][]string{logtype.VulnerabilityFindings.Name: wiztest.Expected(t, srv)[logtype.VulnerabilityFindings.Name]}
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
	for _, logs := range sink.AllLogs() {
		assert.Equal(t, 1, logs.LogRecordCount())
	}
}

// failOnce accepts the first batch it is handed, refuses the second for
// now, and accepts everything after.
type failOnce struct {
	consumertest.LogsSink
	calls int
}

func (f *failOnce) ConsumeLogs(ctx context.Context, logs plog.Logs) error {
	f.calls++
	if f.calls == 2 {
		return errors.New("backend unavailable")
	}
	return f.LogsSink.ConsumeLogs(ctx, logs)
}

// When the next consumer fails part-way through a page's batches, the page
// is read again at the next poll, and the batches it took before are not
// sent twice, after a restart either: their keys are saved when the try
// fails.
func TestBatchesRepeatNothingAfterAnOutage(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "same stream", true: "restart"}[restart], func(t *testing.T) {
			srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 40)})
			e := newEnv(t, url)
			e.enableOnly("vulnerability_findings")
			e.BackOff.Enabled = false
			e.MaxBatchBytes = 16 << 10
			dir := t.TempDir()
			e.fileStorage(dir)
			backend := &failOnce{}
			e.Next = backend
			s, release := e.stream(t)

			require.Error(t, s.Poll(context.Background()), "the outage fails the poll")
			taken := backend.LogRecordCount()
			require.Positive(t, taken, "the first batch was taken")
			if restart {
				release()
				e.fileStorage(dir)
				s, _ = e.stream(t)
			}
			require.NoError(t, s.Poll(context.Background()))
			want := map[string][]string{logtype.VulnerabilityFindings.Name: wiztest.Expected(t, srv)[logtype.VulnerabilityFindings.Name]}
			wiztest.RequireExactlyOnce(t, want, wiztest.Received(&backend.LogsSink))
		})
	}
}
