// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
)

// Format runs on every record of a push, after its uid is set; a record it
// fails on goes out as it was, and is counted as unconverted by log type.
func TestWebhookFormat(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(s *Settings) {
		s.Format = func(logType string, lr plog.LogRecord) error {
			if logType == "Wiz.Threats" {
				return errors.New("no class")
			}
			lr.Body().SetStr("formatted " + logType)
			return nil
		}
	})
	for n, kind := range mockwiz.WebhookKinds {
		require.Equal(t, http.StatusOK, w.push(t, mockwiz.WebhookPayload(kind, n, pushedAt)).Status)
	}
	bodies := map[string]string{}
	for _, logs := range sink.AllLogs() {
		lr := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		typ, _ := lr.Attributes().Get("wiz.log_type")
		uid, ok := lr.Attributes().Get("log.record.uid")
		require.True(t, ok, "the uid is set before the format runs")
		require.NotEmpty(t, uid.Str())
		bodies[typ.Str()] = lr.Body().AsString()
	}
	assert.Equal(t, "formatted Wiz.IssuesWebhook", bodies["Wiz.IssuesWebhook"])
	assert.Equal(t, "formatted Wiz.Detections", bodies["Wiz.Detections"])
	assert.Contains(t, bodies["Wiz.Threats"], `"trigger"`, "left as Wiz sent it")
	assert.Equal(t, map[string]int64{"Wiz.Threats": 1}, w.metrics.snapshot().unconverted)
}
