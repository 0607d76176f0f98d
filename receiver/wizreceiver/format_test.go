// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/ocsf"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// The OCSF class of each log type's records (docs/ocsf.md). An audit
// entry's class depends on its action, so it is any of two.
var ocsfClasses = map[string][]int64{
	"Wiz.Audit":                     {3002, 6003},
	"Wiz.Issues":                    {2004},
	"Wiz.VulnerabilityFinding":      {2002},
	"Wiz.CloudConfigurationFinding": {2003},
	"Wiz.DefendDetection":           {2004},
	"Wiz.IssuesWebhook":             {2004},
	"Wiz.Threats":                   {2004},
	"Wiz.Detections":                {2004},
}

// With format: ocsf, every record of all five polled data sets arrives
// exactly once as an OCSF 1.5.0 event of its class, Wiz's object in
// raw_data, with the attributes of format: native: wiz.log_type, the uid
// and the severity, so routing and edge detections work the same.
func TestFormatOCSFPolled(t *testing.T) {
	counts := map[string]int{}
	for _, lt := range logtype.All {
		counts[lt.Name] = 30
	}
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.DatasetOf(7, counts)})
	cfg := testConfig(url)
	for _, lt := range logtype.All {
		cfg.logType(lt).Settings().Enabled = true
	}
	cfg.logType(&logtype.ConfigurationFindings).(*logtype.ConfigurationFindingsConfig).Statuses = []string{"OPEN", "IN_PROGRESS", "RESOLVED", "REJECTED"}
	cfg.Format = formatOCSF
	require.NoError(t, cfg.Validate())
	native, ocsfSink := &consumertest.LogsSink{}, &consumertest.LogsSink{}
	nativeCfg := *cfg
	nativeCfg.Format = formatNative

	want := wiztest.Expected(t, srv)
	for _, run := range []struct {
		cfg  *Config
		sink *consumertest.LogsSink
	}{{&nativeCfg, native}, {cfg, ocsfSink}} {
		rcv, err := newWizReceiver(receivertestSettings(), run.cfg, run.sink)
		require.NoError(t, err)
		streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())
		// PollUntil polls once more once all arrived: nothing may repeat.
		polltest.PollUntil(t, streams, 20, func() bool { return wiztest.AllArrived(want, wiztest.Received(run.sink)) })
	}
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(ocsfSink))

	nativeAttrs := map[string]map[string]any{}
	for _, logs := range native.AllLogs() {
		polltest.ForEachRecord(logs, func(lr plog.LogRecord) {
			uid, _ := lr.Attributes().Get("log.record.uid")
			nativeAttrs[uid.Str()] = lr.Attributes().AsRaw()
		})
	}
	checkOCSFRecords(t, ocsfSink, nativeAttrs)
}

// checkOCSFRecords checks that every record of sink is an OCSF event of
// its log type's class, whose attributes are those of the native record
// with the same uid (when nativeAttrs has it), and counts them by type.
func checkOCSFRecords(t *testing.T, sink *consumertest.LogsSink, nativeAttrs map[string]map[string]any) map[string]int {
	t.Helper()
	byType := map[string]int{}
	for _, logs := range sink.AllLogs() {
		polltest.ForEachRecord(logs, func(lr plog.LogRecord) {
			typ, _ := lr.Attributes().Get("wiz.log_type")
			uid, _ := lr.Attributes().Get("log.record.uid")
			byType[typ.Str()]++
			require.Equal(t, "Map", lr.Body().Type().String(), "%s %s", typ.Str(), uid.Str())
			body := lr.Body().Map()
			class, _ := body.Get("class_uid")
			assert.Contains(t, ocsfClasses[typ.Str()], class.Int(), "%s %s: class_uid", typ.Str(), uid.Str())
			version, _ := body.Get("metadata")
			v, _ := version.Map().Get("version")
			assert.Equal(t, ocsf.Version, v.Str(), "%s %s: metadata.version", typ.Str(), uid.Str())
			raw, ok := body.Get("raw_data")
			require.True(t, ok, "%s %s: no raw_data", typ.Str(), uid.Str())
			assert.True(t, json.Valid([]byte(raw.Str())), "%s %s: raw_data is not JSON", typ.Str(), uid.Str())
			if nativeAttrs != nil {
				attrs, ok := nativeAttrs[uid.Str()]
				require.True(t, ok, "%s %s: format: native made no record of this uid", typ.Str(), uid.Str())
				assert.Equal(t, attrs, lr.Attributes().AsRaw(), "%s %s: the attributes differ from format: native's", typ.Str(), uid.Str())
			}
		})
	}
	for typ, n := range byType {
		t.Logf("format: ocsf: %s: %d records, each an OCSF event of class %v", typ, n, ocsfClasses[typ])
	}
	return byType
}

// The webhook converts too: each known kind of push becomes an OCSF event
// of its class; a payload of no known type goes out native as Wiz.Webhook
// and is counted, with its reason, in wiz_records_unconverted.
func TestFormatOCSFPushed(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(cfg *Config) { cfg.Format = formatOCSF })
	for n, kind := range mockwiz.WebhookKinds {
		require.Equal(t, 200, w.push(t, mockwiz.WebhookPayload(kind, n, pushedAt)).Status)
	}
	require.Equal(t, 200, w.push(t, []byte(`{"trigger":{"source":"SOMETHING_NEW"},"id":"x-1"}`)).Status)

	// Each push is one request, so one of the sink's batches.
	var unknown []plog.LogRecord
	known := &consumertest.LogsSink{}
	for _, logs := range sink.AllLogs() {
		lr := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		if typ, _ := lr.Attributes().Get("wiz.log_type"); typ.Str() == logtype.Webhook.Name {
			unknown = append(unknown, lr)
			continue
		}
		require.NoError(t, known.ConsumeLogs(t.Context(), logs))
	}
	byType := checkOCSFRecords(t, known, nil)
	assert.Equal(t, map[string]int{"Wiz.IssuesWebhook": 1, "Wiz.Threats": 1, "Wiz.Detections": 1}, byType)
	require.Len(t, unknown, 1)
	_, isEvent := unknown[0].Body().Map().Get("class_uid")
	assert.False(t, isEvent, "a payload of no known type stays native")
}
