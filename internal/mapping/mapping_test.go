package mapping

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func readNodes(t testing.TB, file string) []json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	var nodes []json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &nodes))
	return nodes
}

// mapAll maps nodes into one ResourceLogs, as a receiver page does.
func mapAll(t testing.TB, m Mapper, nodes []json.RawMessage) (plog.Logs, []Key) {
	t.Helper()
	logs := plog.NewLogs()
	records := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	keys := make([]Key, 0, len(nodes))
	for _, n := range nodes {
		res, err := m.Map(n, records.AppendEmpty())
		require.NoError(t, err)
		keys = append(keys, res.Key)
	}
	return logs, keys
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		mapper Mapper
		nodes  string
	}{
		{"audit", Audit{}, "audit_nodes.json"},
		{"issue", Issue{TimeField: "statusChangedAt"}, "issue_nodes.json"},
		{"finding", Finding{TimeField: "updatedAt"}, "finding_nodes.json"},
		{"configuration_finding", ConfigurationFinding{TimeField: "updatedAt"}, "configuration_finding_nodes.json"},
		{"detection", Detection{TimeField: "updatedAt"}, "detection_nodes.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, _ := mapAll(t, tt.mapper, readNodes(t, tt.nodes))
			path := filepath.Join("testdata", tt.name+"_expected.yaml")
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, logs))
			}
			expected, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(expected, logs))
		})
	}
}

// The body carries the node exactly as Wiz sent it: same keys, nesting,
// nulls and number types.
func TestBodyIsTheWholeNode(t *testing.T) {
	tests := map[string]Mapper{
		"audit_nodes.json":                 Audit{},
		"issue_nodes.json":                 Issue{TimeField: "statusChangedAt"},
		"finding_nodes.json":               Finding{TimeField: "updatedAt"},
		"configuration_finding_nodes.json": ConfigurationFinding{TimeField: "updatedAt"},
		"detection_nodes.json":             Detection{TimeField: "updatedAt"},
	}
	for file, mapper := range tests {
		for _, node := range readNodes(t, file) {
			lr := plog.NewLogRecord()
			_, err := mapper.Map(node, lr)
			require.NoError(t, err)
			got, err := json.Marshal(lr.Body().Map().AsRaw())
			require.NoError(t, err)
			assert.JSONEq(t, string(node), string(got), file)
		}
	}
}

func TestKeysFollowTheTimeField(t *testing.T) {
	nodes := readNodes(t, "issue_nodes.json")
	_, byStatus := mapAll(t, Issue{TimeField: "statusChangedAt"}, nodes)
	_, byCreated := mapAll(t, Issue{TimeField: "createdAt"}, nodes)
	assert.Equal(t, "9a4e1c2b-7f30-4d58-b6a9-3e2c1d0f8b71", byStatus[0].ID)
	assert.Equal(t, time.Date(2026, 11, 27, 7, 30, 0, 120044000, time.UTC), byStatus[0].Time)
	assert.Equal(t, time.Date(2026, 11, 20, 14, 2, 11, 803417000, time.UTC), byCreated[0].Time)
	assert.NotEqual(t, byStatus[0], byCreated[0], "a status change is a new key for the same issue")

	findings := readNodes(t, "finding_nodes.json")
	_, byUpdate := mapAll(t, Finding{TimeField: "updatedAt"}, findings)
	_, byFirstSeen := mapAll(t, Finding{TimeField: "firstDetectedAt"}, findings)
	assert.Equal(t, time.Date(2026, 11, 27, 4, 30, 0, 0, time.UTC), byUpdate[3].Time)
	assert.Equal(t, time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC), byFirstSeen[3].Time)

	configurationFindings := readNodes(t, "configuration_finding_nodes.json")
	_, byUpdated := mapAll(t, ConfigurationFinding{TimeField: "updatedAt"}, configurationFindings)
	_, byAnalyzed := mapAll(t, ConfigurationFinding{TimeField: "analyzedAt"}, configurationFindings)
	assert.Equal(t, time.Date(2026, 11, 26, 18, 40, 12, 4417000, time.UTC), byUpdated[0].Time)
	assert.Equal(t, time.Date(2026, 11, 27, 6, 2, 44, 908113000, time.UTC), byAnalyzed[0].Time)
	assert.Equal(t, time.Date(2026, 11, 18, 22, 47, 31, 663920000, time.UTC), byUpdated[2].Time, "no updatedAt: firstSeenAt")

	// Detection times keep all their digits, seven or nine.
	detections := readNodes(t, "detection_nodes.json")
	_, byDetectionUpdate := mapAll(t, Detection{TimeField: "updatedAt"}, detections)
	_, byCreation := mapAll(t, Detection{TimeField: "createdAt"}, detections)
	assert.Equal(t, time.Date(2026, 11, 27, 15, 13, 36, 318130100, time.UTC), byDetectionUpdate[0].Time)
	assert.Equal(t, time.Date(2026, 11, 27, 8, 19, 49, 640710912, time.UTC), byDetectionUpdate[1].Time)
	assert.Equal(t, time.Date(2026, 11, 26, 10, 53, 40, 878210512, time.UTC), byCreation[1].Time)
	assert.NotEqual(t, byDetectionUpdate[1], byCreation[1], "an update is a new key for the same detection")
	assert.Equal(t, byCreation[4], byDetectionUpdate[4], "no updatedAt: createdAt")
}

func TestSeverityNumber(t *testing.T) {
	for wiz, want := range map[string]plog.SeverityNumber{
		"INFORMATIONAL": plog.SeverityNumberInfo,
		"NONE":          plog.SeverityNumberInfo,
		"LOW":           plog.SeverityNumberWarn,
		"MEDIUM":        plog.SeverityNumberError,
		"HIGH":          plog.SeverityNumberError4,
		"CRITICAL":      plog.SeverityNumberFatal,
		"":              plog.SeverityNumberInfo,
	} {
		assert.Equal(t, want, severityNumber(wiz), wiz)
	}
}

func TestCloudProvider(t *testing.T) {
	for wiz, want := range map[string]string{
		"AWS": "aws", "Azure": "azure", "GCP": "gcp", "OCI": "oracle_cloud", "Alibaba": "alibaba_cloud",
		"IBM": "ibm_cloud", "Kubernetes": "", "OpenShift": "", "": "",
	} {
		assert.Equal(t, want, cloudProvider(wiz), wiz)
	}
}

func TestMalformedNodes(t *testing.T) {
	for _, node := range []string{
		`null`, `[]`, `{}`, `{"id": ""}`, `{"id": 7}`, `{"id": "x"}`,
		`{"id": "x", "timestamp": "yesterday", "statusChangedAt": "yesterday", "updatedAt": "yesterday"}`,
		`{"id": "x", "timestamp": "2026-11-27T00:00:00Z"`,
	} {
		for _, m := range allMappers {
			_, err := m.Map([]byte(node), plog.NewLogRecord())
			assert.Error(t, err, "%T %s", m, node)
		}
	}
}

// allMappers is one mapper of each log type.
var allMappers = []Mapper{
	Audit{}, Issue{TimeField: "statusChangedAt"}, Finding{TimeField: "updatedAt"},
	ConfigurationFinding{TimeField: "updatedAt"}, Detection{TimeField: "updatedAt"},
}

// FuzzMap feeds arbitrary nodes to every mapper: none may panic, and a
// node that maps has an id.
func FuzzMap(f *testing.F) {
	for _, file := range []string{"audit_nodes.json", "issue_nodes.json", "finding_nodes.json", "configuration_finding_nodes.json", "detection_nodes.json"} {
		for _, node := range readNodes(f, file) {
			f.Add([]byte(node))
		}
	}
	f.Add([]byte(`{"id":"x","timestamp":"2026-11-27T00:00:00Z","user":[],"serviceAccount":"s","vulnerableAsset":{"type":"VIRTUAL_MACHINE","ipAddresses":[1,null]}}`))
	// Shapes the new mappers walk into: lists where maps belong, and maps
	// where lists belong.
	f.Add([]byte(`{"id":"x","updatedAt":"2026-11-27T00:00:00.123456789Z","rule":{"securitySubCategories":[null,{"category":[]},{"category":{"framework":"MITRE"}}]},"resource":{"subscription":[],"projects":{}}}`))
	f.Add([]byte(`{"id":"x","updatedAt":"2026-11-27T00:00:00Z","ruleMatch":{"rule":{"securitySubCategories":{}}},"triggeringEvents":{"nodes":[1,{"actorIP":7}],"totalCount":"3"},"cloudAccounts":[{"linkedProjects":[null,{"id":1}]}],"primaryResource":{"cloudAccount":null},"primaryActor":[]}`))
	f.Fuzz(func(t *testing.T, node []byte) {
		for _, m := range allMappers {
			res, err := m.Map(node, plog.NewLogRecord())
			if err == nil && res.Key.ID == "" {
				t.Fatalf("%T mapped %q to key %+v", m, node, res.Key)
			}
		}
	})
}
