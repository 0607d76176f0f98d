// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

// split_refused_pages reaches the streams and the webhook. Beside a
// pipeline that refuses one record for good, the pipeline that takes
// everything gets some records again while the page, and the array, are
// sent again in halves (true, the default); each record once when they
// are refused whole (false).
func TestSplitRefusedPages(t *testing.T) {
	for _, split := range []bool{true, false} {
		t.Run(fmt.Sprintf("split_refused_pages=%t", split), func(t *testing.T) {
			srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(60, 0, 0)})
			audit := srv.Snapshot()[logtype.Audit.Name]
			srv.SetActionParameters(audit[30]["id"].(string), wiztest.DeepParams(wiztest.DeepLevels))
			cfg := testConfig(url)
			cfg.PageSize = 20
			cfg.SplitRefusedPages = split
			enableOnly(cfg, logtype.Audit.Key)
			polled := &consumertest.LogsSink{}
			rcv, err := newWizReceiver(receivertestSettings(), cfg, wiztest.FanOut{polled, &wiztest.StrictBackend{Limit: wiztest.StrictLimit}})
			require.NoError(t, err)
			streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())
			want := polltest.AuditOnly(wiztest.Expected(t, srv))
			polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(polled)) })

			pushed := &consumertest.LogsSink{}
			w := startWebhook(t, wiztest.FanOut{pushed, &wiztest.StrictBackend{Limit: wiztest.StrictLimit}}, func(c *Config) { c.SplitRefusedPages = split })
			deep, err := json.Marshal(wiztest.DeepParams(wiztest.DeepLevels))
			require.NoError(t, err)
			payloads := [][]byte{
				mockwiz.WebhookPayload(mockwiz.WebhookThreat, 1, pushedAt),
				append([]byte(`{"deep":`+string(deep)+`,`), mockwiz.WebhookPayload(mockwiz.WebhookThreat, 2, pushedAt)[1:]...),
				mockwiz.WebhookPayload(mockwiz.WebhookThreat, 3, pushedAt),
			}
			a := w.push(t, append(append([]byte("["), bytes.Join(payloads, []byte(","))...), ']'))

			if split {
				assert.Greater(t, polled.LogRecordCount(), len(audit), "halves of the page again")
				assert.Equal(t, http.StatusOK, a.Status, a.Body)
				assert.Greater(t, pushed.LogRecordCount(), len(payloads), "halves of the array again")
				return
			}
			wiztest.RequireExactlyOnce(t, want, wiztest.Received(polled))
			assert.Equal(t, http.StatusInternalServerError, a.Status, a.Body)
			uids := make([]string, len(payloads))
			for i, p := range payloads {
				uids[i] = wizreceivertest.PayloadUID(p)
			}
			wiztest.RequireExactlyOnce(t, wiztest.UIDs{logtype.Threats.Name: uids}, wiztest.Received(pushed))
		})
	}
}
