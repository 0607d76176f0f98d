package wizreceiver

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

// TestPageReleasedBeforeExport: once a page is mapped, the receiver lets go
// of the page as Wiz sent it. The records hold what they read, and an
// exporter makes a copy of its own (the marshalled request): holding the
// page through the export would keep one more copy of it at the
// collector's memory peak.
func TestPageReleasedBeforeExport(t *testing.T) {
	_, url := newMock(t, mockwiz.Options{Dataset: smallDataset(0, 0, 120)})
	cfg := testConfig(url)
	enableOnly(cfg, "vulnerability_findings")
	pages := &pageWatcher{}
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
	rcv, err := newWizReceiver(receivertestSettings(), cfg, next)
	require.NoError(t, err)
	s, _ := firstStream(t, rcv, componenttest.NewNopHost())
	pages.pageFetcher = s.client
	s.client = pages

	require.NoError(t, s.poll(context.Background()))
	require.Positive(t, exports)
	assert.Zero(t, held, "of %d exports, these ran while the receiver still held the page's bytes", exports)
}

// pageWatcher keeps a weak pointer to the bytes of the last page fetched:
// it turns nil once nothing holds the page.
type pageWatcher struct {
	pageFetcher
	last weak.Pointer[byte]
}

func (p *pageWatcher) FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error) {
	page, err := p.pageFetcher.FetchPage(ctx, req)
	if err == nil && len(page.Nodes) > 0 {
		p.last = weak.Make(&page.Nodes[0][0])
	}
	return page, err
}
