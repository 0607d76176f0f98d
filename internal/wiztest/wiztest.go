// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package wiztest holds the helpers the receiver's tests, those of its
// engine and webhook, and the end-to-end tests share: what the mock Wiz
// holds, as the records a receiver must deliver, and what arrived; a
// settable clock, a status recorder and a stand-in authenticator. It
// iterates over the registry of log types, so a new log type needs no
// change here.
package wiztest

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

// UIDs is the log.record.uid of records, by wiz.log_type.
type UIDs map[string][]string

// Counts is how often each log.record.uid arrived, by wiz.log_type.
type Counts map[string]map[string]int

// Holder is a Wiz whose nodes a test knows: the mock (mockwiz.Server). It
// is an interface so that the mock's own tests, inside its package, can use
// wiztest.
type Holder interface {
	// Snapshot is a copy of every node, by log-type name.
	Snapshot() map[string][]map[string]any
}

// Expected is what a receiver polling each log type on its default time
// field must deliver for the mock's current data: the uid of every node,
// named by the log type's own mapper.
func Expected(t testing.TB, srv Holder) UIDs {
	t.Helper()
	want := UIDs{}
	EachExpected(t, srv, func(typ, uid string, _ map[string]any) { want[typ] = append(want[typ], uid) })
	return want
}

// EachExpected calls fn for every node the mock holds, with the log type
// and log.record.uid of the record a receiver polling on the default time
// fields makes of it.
func EachExpected(t testing.TB, srv Holder, fn func(typ, uid string, node map[string]any)) {
	t.Helper()
	snapshot := srv.Snapshot()
	for _, lt := range wizreceivertest.Polled() {
		nodes := snapshot[lt.Name]
		uids := make([]string, len(nodes))
		for i, node := range nodes {
			uids[i] = uid(t, lt, node)
		}
		// Each node is one record: two nodes sharing a uid would hide a
		// loss behind a delivery.
		require.Len(t, slices.Compact(slices.Sorted(slices.Values(uids))), len(uids), "%s: nodes share a log.record.uid", lt.Name)
		for i, node := range nodes {
			fn(lt.Name, uids[i], node)
		}
	}
}

func uid(t testing.TB, lt wizreceivertest.LogType, node map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(node)
	require.NoError(t, err)
	uid, err := lt.UID(raw)
	require.NoError(t, err, "mapping %v", node["id"])
	return uid
}

// Add counts every record of logs into c.
func (c Counts) Add(logs plog.Logs) {
	for _, rl := range logs.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				typ, _ := lr.Attributes().Get(wizreceivertest.AttrLogType)
				uid, _ := lr.Attributes().Get(wizreceivertest.AttrRecordUID)
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

// RequireExactlyOnce fails the test unless, for every log type of want,
// every wanted uid arrived exactly once and nothing else arrived.
func RequireExactlyOnce(t testing.TB, want UIDs, got Counts) {
	t.Helper()
	ok := true
	for typ, uids := range want {
		_, once := ExactlyOnce(t, typ, uids, got[typ])
		ok = ok && once
	}
	if !ok {
		t.FailNow()
	}
}

// ExactlyOnce checks that got (uid → arrivals) holds every uid of want once
// and nothing else, naming up to ten records that are missing, repeated or
// unexpected. It returns how many distinct records want holds, and whether
// the check passed.
func ExactlyOnce(t testing.TB, what string, want []string, got map[string]int) (int, bool) {
	t.Helper()
	wanted := make(map[string]bool, len(want))
	for _, uid := range want {
		wanted[uid] = true
	}
	var missing, repeated, extra []string
	for uid := range wanted {
		if n := got[uid]; n == 0 {
			missing = append(missing, uid)
		} else if n > 1 {
			repeated = append(repeated, fmt.Sprintf("%s ×%d", uid, n))
		}
	}
	for uid := range got {
		if !wanted[uid] {
			extra = append(extra, uid)
		}
	}
	ok := assert.Empty(t, Sample(missing), "%s: %d of %d records lost", what, len(missing), len(wanted))
	ok = assert.Empty(t, Sample(repeated), "%s: %d records duplicated", what, len(repeated)) && ok
	ok = assert.Empty(t, Sample(extra), "%s: %d unexpected records", what, len(extra)) && ok
	return len(wanted), ok
}

// Sample is the first ten of uids, sorted, for a failure message.
func Sample(uids []string) []string {
	slices.Sort(uids)
	return uids[:min(len(uids), 10)]
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
