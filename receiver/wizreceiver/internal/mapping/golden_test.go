// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// readNodes reads lt's sample nodes, testdata/<key>_nodes.json: the golden
// file pins their records, and the fuzzers start from them.
func readNodes(t testing.TB, lt *logtype.LogType) []json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", lt.Key+"_nodes.json"))
	require.NoError(t, err, "%s has no sample nodes (see docs/design/adding-a-data-set.md)", lt.Key)
	var nodes []json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &nodes))
	return nodes
}

// defaultMapper is lt's mapper on its default time field, as a stream
// polls it unless configured otherwise.
func defaultMapper(lt *logtype.LogType) mapping.Mapper {
	return lt.Mapper(lt.TimeFields[0])
}

// polledOn is lt's mapper when it polls on the node field node.
func polledOn(t testing.TB, lt *logtype.LogType, node string) mapping.Mapper {
	t.Helper()
	i := slices.IndexFunc(lt.TimeFields, func(tf logtype.TimeField) bool { return tf.Node == node })
	require.GreaterOrEqual(t, i, 0, "%s polls on no %s", lt.Key, node)
	return lt.Mapper(lt.TimeFields[i])
}

// everyMapper is every log type's mapper on each time field it can poll
// on.
func everyMapper() []mapping.Mapper {
	var mappers []mapping.Mapper
	for _, lt := range logtype.All {
		for _, tf := range lt.TimeFields {
			mappers = append(mappers, lt.Mapper(tf))
		}
	}
	return mappers
}

// mapAll maps nodes into one ResourceLogs, as a receiver page does.
func mapAll(t testing.TB, m mapping.Mapper, nodes []json.RawMessage) (plog.Logs, []mapping.Key) {
	t.Helper()
	logs := plog.NewLogs()
	records := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	keys := make([]mapping.Key, 0, len(nodes))
	for _, n := range nodes {
		res, err := m.Map(n, records.AppendEmpty())
		require.NoError(t, err)
		keys = append(keys, res.Key)
	}
	return logs, keys
}

func TestGolden(t *testing.T) {
	for _, lt := range logtype.All {
		t.Run(lt.Key, func(t *testing.T) {
			logs, _ := mapAll(t, defaultMapper(lt), readNodes(t, lt))
			path := filepath.Join("testdata", lt.Key+"_expected.yaml")
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, logs))
			}
			expected, err := golden.ReadLogs(path)
			require.NoError(t, err, "%s has no golden file (see docs/design/adding-a-data-set.md)", lt.Key)
			require.NoError(t, plogtest.CompareLogs(expected, logs))
		})
	}
}

// The body carries the node exactly as Wiz sent it: same keys, nesting,
// nulls and number types.
func TestBodyIsTheWholeNode(t *testing.T) {
	for _, lt := range logtype.All {
		for _, node := range readNodes(t, lt) {
			lr := plog.NewLogRecord()
			_, err := defaultMapper(lt).Map(node, lr)
			require.NoError(t, err)
			got, err := json.Marshal(lr.Body().Map().AsRaw())
			require.NoError(t, err)
			assert.JSONEq(t, string(node), string(got), lt.Key)
		}
	}
}

func TestKeysFollowTheTimeField(t *testing.T) {
	nodes := readNodes(t, &logtype.Issues)
	_, byStatus := mapAll(t, polledOn(t, &logtype.Issues, "statusChangedAt"), nodes)
	_, byCreated := mapAll(t, polledOn(t, &logtype.Issues, "createdAt"), nodes)
	assert.Equal(t, "9a4e1c2b-7f30-4d58-b6a9-3e2c1d0f8b71", byStatus[0].ID)
	assert.Equal(t, time.Date(2026, 11, 27, 7, 30, 0, 120044000, time.UTC), byStatus[0].Time)
	assert.Equal(t, time.Date(2026, 11, 20, 14, 2, 11, 803417000, time.UTC), byCreated[0].Time)
	assert.NotEqual(t, byStatus[0], byCreated[0], "a status change is a new key for the same issue")

	findings := readNodes(t, &logtype.VulnerabilityFindings)
	_, byUpdate := mapAll(t, polledOn(t, &logtype.VulnerabilityFindings, "updatedAt"), findings)
	_, byFirstSeen := mapAll(t, polledOn(t, &logtype.VulnerabilityFindings, "firstDetectedAt"), findings)
	assert.Equal(t, time.Date(2026, 11, 27, 4, 30, 0, 0, time.UTC), byUpdate[3].Time)
	assert.Equal(t, time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC), byFirstSeen[3].Time)

	configurationFindings := readNodes(t, &logtype.ConfigurationFindings)
	_, byUpdated := mapAll(t, polledOn(t, &logtype.ConfigurationFindings, "updatedAt"), configurationFindings)
	_, byAnalyzed := mapAll(t, polledOn(t, &logtype.ConfigurationFindings, "analyzedAt"), configurationFindings)
	assert.Equal(t, time.Date(2026, 11, 26, 18, 40, 12, 4417000, time.UTC), byUpdated[0].Time)
	assert.Equal(t, time.Date(2026, 11, 27, 6, 2, 44, 908113000, time.UTC), byAnalyzed[0].Time)
	assert.Equal(t, time.Date(2026, 11, 18, 22, 47, 31, 663920000, time.UTC), byUpdated[2].Time, "no updatedAt: firstSeenAt")

	// Detection times keep all their digits, seven or nine.
	detections := readNodes(t, &logtype.Detections)
	_, byDetectionUpdate := mapAll(t, polledOn(t, &logtype.Detections, "updatedAt"), detections)
	_, byCreation := mapAll(t, polledOn(t, &logtype.Detections, "createdAt"), detections)
	assert.Equal(t, time.Date(2026, 11, 27, 15, 13, 36, 318130100, time.UTC), byDetectionUpdate[0].Time)
	assert.Equal(t, time.Date(2026, 11, 27, 8, 19, 49, 640710912, time.UTC), byDetectionUpdate[1].Time)
	assert.Equal(t, time.Date(2026, 11, 26, 10, 53, 40, 878210512, time.UTC), byCreation[1].Time)
	assert.NotEqual(t, byDetectionUpdate[1], byCreation[1], "an update is a new key for the same detection")
	assert.Equal(t, byCreation[4], byDetectionUpdate[4], "no updatedAt: createdAt")
}

func TestMalformedNodes(t *testing.T) {
	for _, node := range []string{
		`null`, `[]`, `{}`, `{"id": ""}`, `{"id": 7}`, `{"id": "x"}`,
		`{"id": "x", "timestamp": "yesterday", "statusChangedAt": "yesterday", "updatedAt": "yesterday"}`,
		`{"id": "x", "timestamp": "2026-11-27T00:00:00Z"`,
	} {
		for _, m := range everyMapper() {
			_, err := m.Map([]byte(node), plog.NewLogRecord())
			assert.Error(t, err, "%T %s", m, node)
		}
	}
}

// FuzzMap feeds arbitrary nodes to every mapper: none may panic, and a
// node that maps has an id.
func FuzzMap(f *testing.F) {
	for _, lt := range logtype.All {
		for _, node := range readNodes(f, lt) {
			f.Add([]byte(node))
		}
	}
	f.Add([]byte(`{"id":"x","timestamp":"2026-11-27T00:00:00Z","user":[],"serviceAccount":"s","vulnerableAsset":{"type":"VIRTUAL_MACHINE","ipAddresses":[1,null]}}`))
	// Shapes the new mappers walk into: lists where maps belong, and maps
	// where lists belong.
	f.Add([]byte(`{"id":"x","updatedAt":"2026-11-27T00:00:00.123456789Z","rule":{"securitySubCategories":[null,{"category":[]},{"category":{"framework":"MITRE"}}]},"resource":{"subscription":[],"projects":{}}}`))
	f.Add([]byte(`{"id":"x","updatedAt":"2026-11-27T00:00:00Z","ruleMatch":{"rule":{"securitySubCategories":{}}},"triggeringEvents":{"nodes":[1,{"actorIP":7}],"totalCount":"3"},"cloudAccounts":[{"linkedProjects":[null,{"id":1}]}],"primaryResource":{"cloudAccount":null},"primaryActor":[]}`))
	mappers := everyMapper()
	f.Fuzz(func(t *testing.T, node []byte) {
		for _, m := range mappers {
			res, err := m.Map(node, plog.NewLogRecord())
			if err == nil && res.Key.ID == "" {
				t.Fatalf("%T mapped %q to key %+v", m, node, res.Key)
			}
		}
	})
}
