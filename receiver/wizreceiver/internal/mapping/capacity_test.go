// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// fullNodes holds, by log type key, a node that fills every attribute the
// log type's mapper sets; $ts stands for a time.
var fullNodes = map[string]string{
	"audit": `{"id":"a","timestamp":$ts,"action":"x","status":"FAILED","requestId":"r","sourceIP":"1.2.3.4",
		"userAgent":"ua","user":{"id":"u","name":"n"},"serviceAccount":{"id":"s","name":"n"}}`,
	"issues": `{"id":"i","statusChangedAt":$ts,"severity":"HIGH","status":"OPEN",
		"type":"TOXIC_COMBINATION","createdAt":$ts,"updatedAt":$ts,"dueAt":$ts,"resolvedAt":$ts,"resolutionReason":"r",
		"projects":[{"id":"p"}],"sourceRule":{"id":"r","name":"n","__typename":"Control"},
		"entitySnapshot":{"id":"e","type":"t","name":"n","nativeType":"nt","providerId":"p","cloudPlatform":"AWS",
		"region":"r","subscriptionExternalId":"s"}}`,
	"vulnerability_findings": `{"id":"f","updatedAt":$ts,"vendorSeverity":"HIGH","name":"CVE-1",
		"status":"OPEN","CVSSSeverity":"HIGH","score":1,"epssSeverity":"LOW","epssProbability":0.1,"epssPercentile":0.2,
		"hasExploit":true,"hasCisaKevExploit":false,"detailedName":"p","version":"1","fixedVersion":"2",
		"detectionMethod":"PACKAGE","firstDetectedAt":$ts,"lastDetectedAt":$ts,"resolvedAt":$ts,"resolutionReason":"r",
		"projects":[{"id":"p"}],"vulnerableAsset":{"id":"a","type":"VIRTUAL_MACHINE","name":"vm","cloudPlatform":"AWS",
		"region":"r","subscriptionExternalId":"s","providerUniqueId":"u","ipAddresses":["1.2.3.4"],"operatingSystem":"Linux"}}`,
	"configuration_findings": `{"id":"c","updatedAt":$ts,"severity":"HIGH",
		"status":"OPEN","result":"FAIL","firstSeenAt":$ts,"analyzedAt":$ts,"statusChangedAt":$ts,"resolutionReason":"r",
		"rule":{"id":"r","name":"n","serviceType":"AWS","shortId":"s","securitySubCategories":[{"category":{"framework":{"name":"CIS"}}}]},
		"resource":{"id":"x","type":"t","name":"n","projects":[{"id":"p"}],"cloudPlatform":"AWS","region":"r","providerId":"p",
		"subscription":{"cloudProvider":"AWS","externalId":"e"}}}`,
	"detections": `{"id":"d","updatedAt":$ts,"severity":"HIGH","type":"t","origins":["o"],
		"createdAt":$ts,"startedAt":$ts,"endedAt":$ts,"issue":{"id":"i","url":"u"},
		"ruleMatch":{"rule":{"id":"r","name":"n","sourceType":"S","securitySubCategories":[{"title":"T","externalId":"T1",
		"category":{"name":"c","framework":{"name":"MITRE ATT&CK Matrix"}}}]}},
		"primaryActor":{"id":"a","name":"n","type":"USER","email":"e","userAgent":"ua"},
		"triggeringEvents":{"totalCount":1,"nodes":[{"actorIP":"1.2.3.4"}]},"cloudAccounts":[{"linkedProjects":[{"id":"p"}]}],
		"primaryResource":{"id":"x","type":"t","name":"n","region":"r","providerUniqueId":"u",
		"cloudAccount":{"cloudProvider":"AWS","externalId":"e"}}}`,
}

// Each mapper's attribute capacity is exactly what a node that fills every
// attribute gets: a new attribute must raise it, or the attribute map
// grows again on every record.
func TestAttributeCapacity(t *testing.T) {
	const ts = `"2026-11-27T00:00:00Z"`
	for _, lt := range logtype.All {
		node, ok := fullNodes[lt.Key]
		if !assert.True(t, ok, "fullNodes has no node for %s (see docs/design/adding-a-data-set.md)", lt.Key) {
			continue
		}
		mapper := defaultMapper(lt)
		want := mapping.MaxAttrs(mapper)
		require.Positive(t, want, "export_test.go's MaxAttrs does not know %T (see docs/design/adding-a-data-set.md)", mapper)
		lr := plog.NewLogRecord()
		_, err := mapper.Map([]byte(strings.ReplaceAll(node, "$ts", ts)), lr)
		require.NoError(t, err, lt.Key)
		require.Equal(t, want, lr.Attributes().Len(), "%s: attributes %v", lt.Key, lr.Attributes().AsRaw())
	}
}
