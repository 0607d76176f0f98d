package mapping

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Each mapper's attribute capacity is exactly what a node that fills every
// attribute gets: a new attribute must raise it, or the attribute map
// grows again on every record.
func TestAttributeCapacity(t *testing.T) {
	const ts = `"2026-11-27T00:00:00Z"`
	tests := []struct {
		mapper Mapper
		want   int
		node   string
	}{
		{Audit{}, auditAttrs, `{"id":"a","timestamp":$ts,"action":"x","status":"FAILED","requestId":"r","sourceIP":"1.2.3.4",
			"userAgent":"ua","user":{"id":"u","name":"n"},"serviceAccount":{"id":"s","name":"n"}}`},
		{Issue{TimeField: "statusChangedAt"}, issueAttrs, `{"id":"i","statusChangedAt":$ts,"severity":"HIGH","status":"OPEN",
			"type":"TOXIC_COMBINATION","createdAt":$ts,"updatedAt":$ts,"dueAt":$ts,"resolvedAt":$ts,"resolutionReason":"r",
			"projects":[{"id":"p"}],"sourceRule":{"id":"r","name":"n","__typename":"Control"},
			"entitySnapshot":{"id":"e","type":"t","name":"n","nativeType":"nt","providerId":"p","cloudPlatform":"AWS",
			"region":"r","subscriptionExternalId":"s"}}`},
		{Finding{TimeField: "updatedAt"}, findingAttrs, `{"id":"f","updatedAt":$ts,"vendorSeverity":"HIGH","name":"CVE-1",
			"status":"OPEN","CVSSSeverity":"HIGH","score":1,"epssSeverity":"LOW","epssProbability":0.1,"epssPercentile":0.2,
			"hasExploit":true,"hasCisaKevExploit":false,"detailedName":"p","version":"1","fixedVersion":"2",
			"detectionMethod":"PACKAGE","firstDetectedAt":$ts,"lastDetectedAt":$ts,"resolvedAt":$ts,"resolutionReason":"r",
			"projects":[{"id":"p"}],"vulnerableAsset":{"id":"a","type":"VIRTUAL_MACHINE","name":"vm","cloudPlatform":"AWS",
			"region":"r","subscriptionExternalId":"s","providerUniqueId":"u","ipAddresses":["1.2.3.4"],"operatingSystem":"Linux"}}`},
		{ConfigurationFinding{TimeField: "updatedAt"}, configurationFindingAttrs, `{"id":"c","updatedAt":$ts,"severity":"HIGH",
			"status":"OPEN","result":"FAIL","firstSeenAt":$ts,"analyzedAt":$ts,"statusChangedAt":$ts,"resolutionReason":"r",
			"rule":{"id":"r","name":"n","serviceType":"AWS","shortId":"s","securitySubCategories":[{"category":{"framework":{"name":"CIS"}}}]},
			"resource":{"id":"x","type":"t","name":"n","projects":[{"id":"p"}],"cloudPlatform":"AWS","region":"r","providerId":"p",
			"subscription":{"cloudProvider":"AWS","externalId":"e"}}}`},
		{Detection{TimeField: "updatedAt"}, detectionAttrs, `{"id":"d","updatedAt":$ts,"severity":"HIGH","type":"t","origins":["o"],
			"createdAt":$ts,"startedAt":$ts,"endedAt":$ts,"issue":{"id":"i","url":"u"},
			"ruleMatch":{"rule":{"id":"r","name":"n","sourceType":"S","securitySubCategories":[{"title":"T","externalId":"T1",
			"category":{"name":"c","framework":{"name":"MITRE ATT&CK Matrix"}}}]}},
			"primaryActor":{"id":"a","name":"n","type":"USER","email":"e","userAgent":"ua"},
			"triggeringEvents":{"totalCount":1,"nodes":[{"actorIP":"1.2.3.4"}]},"cloudAccounts":[{"linkedProjects":[{"id":"p"}]}],
			"primaryResource":{"id":"x","type":"t","name":"n","region":"r","providerUniqueId":"u",
			"cloudAccount":{"cloudProvider":"AWS","externalId":"e"}}}`},
	}
	for _, tt := range tests {
		lr := plog.NewLogRecord()
		_, err := tt.mapper.Map([]byte(strings.ReplaceAll(tt.node, "$ts", ts)), lr)
		require.NoError(t, err, "%T", tt.mapper)
		require.Equal(t, tt.want, lr.Attributes().Len(), "%T: attributes %v", tt.mapper, lr.Attributes().AsRaw())
	}
}
