// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// A fact Wiz both serves and pushes has one attribute name: the pushed
// record names each of its values as the polled record of the same object
// does.
func TestPushedAndPolledNameFactsAlike(t *testing.T) {
	const ts = "2026-11-27T10:15:30.123456789Z"
	tests := []struct {
		name    string
		polled  *logtype.LogType
		node    string
		payload string
	}{
		{
			name:   "detection",
			polled: &logtype.Detections,
			node: `{"id":"det-1","updatedAt":"` + ts + `","createdAt":"` + ts + `","severity":"HIGH","type":"GENERATED_THREAT",
				"issue":{"id":"thr-1","url":"https://app.wiz.io/issues#thr-1"},
				"ruleMatch":{"rule":{"id":"rule-1","name":"Reverse shell","sourceType":"WIZ_SENSOR"}},
				"triggeringEvents":{"totalCount":1,"nodes":[{"actorIP":"203.0.113.9"}]},
				"primaryResource":{"region":"eu-central-1","providerUniqueId":"arn:aws:eks:pod-1",
				"cloudAccount":{"cloudProvider":"AWS","externalId":"123456789012"}}}`,
			payload: `{"trigger":{"source":"DETECTIONS","type":"Created"},"id":"det-1","threatId":"thr-1",
				"threatURL":"https://app.wiz.io/issues#thr-1","title":"Reverse shell","severity":"HIGH","createdAt":"` + ts + `",
				"tdrId":"rule-1","tdrSource":"WIZ_SENSOR","triggeringEvents":[{"actorIP":"203.0.113.9"}],
				"primaryResource":{"region":"eu-central-1","providerUniqueId":"arn:aws:eks:pod-1",
				"cloudAccount":{"cloudPlatform":"AWS","externalId":"123456789012"}}}`,
		},
		{
			name:   "issue",
			polled: &logtype.Issues,
			node: `{"id":"iss-1","statusChangedAt":"` + ts + `","createdAt":"` + ts + `","status":"OPEN","severity":"HIGH",
				"sourceRule":{"id":"ctl-1","name":"Public bucket","__typename":"Control"},
				"entitySnapshot":{"name":"bucket-1","nativeType":"s3bucket","cloudPlatform":"AWS","region":"eu-central-1",
				"subscriptionExternalId":"123456789012","providerId":"arn:aws:s3:::bucket-1"}}`,
			payload: `{"trigger":{"source":"ISSUE","type":"Created"},"issue":{"id":"iss-1","status":"OPEN","severity":"HIGH","created":"` + ts + `"},
				"control":{"id":"ctl-1","name":"Public bucket"},
				"resource":{"name":"bucket-1","type":"s3bucket","cloudPlatform":"AWS","region":"eu-central-1",
				"subscriptionId":"123456789012","id":"arn:aws:s3:::bucket-1"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			polled := plog.NewLogRecord()
			_, err := defaultMapper(tt.polled).Map([]byte(tt.node), polled)
			require.NoError(t, err)
			// By value: the polled record's names for it.
			named := map[string][]string{}
			for k, v := range polled.Attributes().All() {
				named[v.AsString()] = append(named[v.AsString()], k)
			}
			pushed := plog.NewLogRecord()
			p, err := logtype.MapPushed([]byte(tt.payload), time.Now(), pushed)
			require.NoError(t, err)
			require.NotSame(t, &logtype.Webhook, p.Type)
			for k, v := range pushed.Attributes().All() {
				switch k {
				case mapping.AttrLogType, mapping.AttrRecordUID, mapping.AttrTriggerType, mapping.AttrTriggerRuleID, mapping.AttrTriggerRuleName:
					continue
				}
				names, ok := named[v.AsString()]
				require.True(t, ok, "pushed %s = %q: the polled record does not carry the value, so the test cannot compare", k, v.AsString())
				assert.True(t, slices.Contains(names, k), "pushed %s = %q is %v in the polled record", k, v.AsString(), names)
			}
		})
	}
}
