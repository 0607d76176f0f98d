// Package wiztest holds the helpers the receiver's tests and the end-to-end
// tests share: what the mock Wiz holds, as the records a receiver must
// deliver, and what arrived. It iterates over the registry of log types,
// so a new log type needs no change here.
package wiztest

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
)

// UIDs is the log.record.uid of records, by wiz.log_type.
type UIDs map[string][]string

// Counts is how often each log.record.uid arrived, by wiz.log_type.
type Counts map[string]map[string]int

// Expected is what a receiver polling each log type on its default time
// field must deliver for the mock's current data: the uid of every node,
// named by the log type's own mapper.
func Expected(t testing.TB, srv *mockwiz.Server) UIDs {
	t.Helper()
	snapshot := srv.Snapshot()
	want := UIDs{}
	for _, lt := range logtype.All {
		nodes := snapshot[lt.Name]
		if len(nodes) == 0 {
			continue
		}
		mapper := lt.NewMapper(lt.TimeFields[0])
		uids := make([]string, 0, len(nodes))
		for _, node := range nodes {
			uids = append(uids, uid(t, mapper, node))
		}
		// Each node is one record: two nodes sharing a uid would hide a
		// loss behind a delivery.
		require.Len(t, slices.Compact(slices.Sorted(slices.Values(uids))), len(uids), "%s: nodes share a log.record.uid", lt.Name)
		want[lt.Name] = uids
	}
	return want
}

func uid(t testing.TB, mapper mapping.Mapper, node map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(node)
	require.NoError(t, err)
	lr := plog.NewLogRecord()
	_, err = mapper.Map(raw, lr)
	require.NoError(t, err, "mapping %v", node["id"])
	v, ok := lr.Attributes().Get(mapping.AttrRecordUID)
	require.True(t, ok, "node %v has no %s", node["id"], mapping.AttrRecordUID)
	return v.Str()
}

// Add counts every record of logs into c.
func (c Counts) Add(logs plog.Logs) {
	for _, rl := range logs.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				typ, _ := lr.Attributes().Get(mapping.AttrLogType)
				uid, _ := lr.Attributes().Get(mapping.AttrRecordUID)
				if c[typ.Str()] == nil {
					c[typ.Str()] = map[string]int{}
				}
				c[typ.Str()][uid.Str()]++
			}
		}
	}
}

// Received counts every record the sink got.
func Received(sink *consumertest.LogsSink) Counts {
	c := Counts{}
	for _, logs := range sink.AllLogs() {
		c.Add(logs)
	}
	return c
}

// AllArrived reports whether every wanted uid arrived at least once.
func AllArrived(want UIDs, got Counts) bool {
	for typ, uids := range want {
		for _, uid := range uids {
			if got[typ][uid] == 0 {
				return false
			}
		}
	}
	return true
}

// RequireExactlyOnce fails unless every wanted uid arrived exactly once and
// nothing else arrived for the wanted log types.
func RequireExactlyOnce(t testing.TB, want UIDs, got Counts) {
	t.Helper()
	for typ, uids := range want {
		var missing, dups []string
		for _, uid := range uids {
			switch got[typ][uid] {
			case 0:
				missing = append(missing, uid)
			case 1:
			default:
				dups = append(dups, uid)
			}
		}
		require.Empty(t, missing, "%s: %d of %d records lost", typ, len(missing), len(uids))
		require.Empty(t, dups, "%s: records duplicated", typ)
		var extra []string
		for uid := range got[typ] {
			if !slices.Contains(uids, uid) {
				extra = append(extra, uid)
			}
		}
		require.Empty(t, extra, "%s: unexpected records", typ)
	}
}

// seedVariable replays a randomised test's run.
const seedVariable = "WIZ_TEST_SEED"

// Seed is the seed of a randomised test: WIZ_TEST_SEED when it is set, so a
// failure can be replayed, or a new one. Either way it is logged.
func Seed(t testing.TB) uint64 {
	t.Helper()
	if v := os.Getenv(seedVariable); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "%s must be an unsigned integer", seedVariable)
		t.Logf("seed %d, from %s", seed, seedVariable)
		return seed
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d; replay this run's data and faults with %s=%d", seed, seedVariable, seed)
	return seed
}
