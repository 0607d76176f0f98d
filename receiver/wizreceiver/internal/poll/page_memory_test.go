// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// TestPageReleasedBeforeExport: once a page's last batch is mapped, the
// stream lets go of the page as Wiz sent it. The records hold what they
// read, and an exporter makes a copy of its own (the marshalled request):
// holding the page through the export would keep one more copy of it at the
// collector's memory peak. (The env hands each page over whole, in one
// batch; batches before a page's last are exported while it is held.)
func TestPageReleasedBeforeExport(t *testing.T) {
	_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(0, 0, 120)})
	e := newEnv(t, url)
	e.enableOnly("vulnerability_findings")
	pages := &pageWatcher{}
	e.wrap = func(c Client) Client {
		pages.Client = c
		return pages
	}
	exports, held := 0, 0
	next, err := consumer.NewLogs(func(context.Context, plog.Logs) error {
		exports++
		runtime.GC()
		if pages.last.Value() != nil {
			held++
		}
		return nil
	})
	require.NoError(t, err)
	e.Next = next
	s, _ := e.stream(t)

	require.NoError(t, s.Poll(context.Background()))
	require.Positive(t, exports)
	assert.Zero(t, held, "of %d exports, these ran while the stream still held the page's bytes", exports)
}

// pageWatcher keeps a weak pointer to the bytes of the last page fetched:
// it turns nil once nothing holds the page.
type pageWatcher struct {
	Client
	last weak.Pointer[byte]
}

func (p *pageWatcher) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	page, err := p.Client.FetchPage(ctx, req)
	if err == nil && len(page.Nodes) > 0 {
		p.last = weak.Make(&page.Nodes[0][0])
	}
	return page, err
}
