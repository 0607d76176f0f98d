// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// sameAsReference maps node with every log type's mapper, on each time
// field, and fails unless each one refuses what encoding/json refuses and,
// when it maps the node, builds exactly encoding/json's body (doubles
// compared bit for bit, so -0 and 0 differ; key order is free), down to
// maxBodyDepth, and below it JSON text that encoding/json reads as the rest
// of its body. Attributes are pinned by the golden files.
func sameAsReference(t *testing.T, node []byte) {
	t.Helper()
	want, ok := referenceBody(node)
	for _, m := range everyMapper() {
		got := plog.NewLogRecord()
		_, err := m.Map(node, got)
		if !ok && err == nil {
			t.Fatalf("%T mapped %q, which encoding/json refuses", m, node)
		}
		if err == nil && !sameMap(got.Body().Map(), want, 1) {
			// The nodes can be 10,000 levels deep: the message shows the
			// start of each.
			t.Fatalf("%T on %.200q: body %.200v, reference %.200v", m, node, got.Body().AsRaw(), want.AsRaw())
		}
	}
}

// unbounded is the level of values compared without mapping.MaxBodyDepth.
const unbounded = math.MinInt32

// sameMap compares a, a map at level of a body, with the reference b.
func sameMap(a, b pcommon.Map, level int) bool {
	if a.Len() != b.Len() {
		return false
	}
	for k, av := range a.All() {
		bv, ok := b.Get(k)
		if !ok || !sameValue(av, bv, level+1) {
			return false
		}
	}
	return true
}

// sameValue compares a, a value at level of a body, with the reference b.
// Below mapping.MaxBodyDepth an object or array is JSON text.
func sameValue(a, b pcommon.Value, level int) bool {
	if level > mapping.MaxBodyDepth && (b.Type() == pcommon.ValueTypeMap || b.Type() == pcommon.ValueTypeSlice) {
		if a.Type() != pcommon.ValueTypeStr {
			return false
		}
		text, ok := referenceValue(a.Str())
		return ok && sameValue(text, b, unbounded)
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Type() {
	case pcommon.ValueTypeMap:
		return sameMap(a.Map(), b.Map(), level)
	case pcommon.ValueTypeSlice:
		if a.Slice().Len() != b.Slice().Len() {
			return false
		}
		for i := range a.Slice().Len() {
			if !sameValue(a.Slice().At(i), b.Slice().At(i), level+1) {
				return false
			}
		}
		return true
	case pcommon.ValueTypeDouble:
		return math.Float64bits(a.Double()) == math.Float64bits(b.Double()) ||
			(math.IsNaN(a.Double()) && math.IsNaN(b.Double()))
	default:
		return a.Equal(b)
	}
}

// The mappers agree with the map[string]any code they replaced, on the
// test data and on the corners of JSON.
func TestMatchesReference(t *testing.T) {
	for _, lt := range logtype.All {
		for _, node := range readNodes(t, lt) {
			sameAsReference(t, node)
		}
	}
	const ok = `"id":"x","timestamp":"2026-11-27T00:00:00Z","statusChangedAt":"2026-11-27T00:00:00Z","updatedAt":"2026-11-27T00:00:00Z"`
	for _, node := range []string{
		`{` + ok + `}`,
		` {` + ok + `} trailing garbage is ignored`,
		`{` + ok + `}}`,
		`{` + ok + `,"score":-0,"epssProbability":-0.0,"epssPercentile":0}`,
		`{` + ok + `,"score":1e400,"epssProbability":-1e400,"epssPercentile":123456789012345678901234567890}`,
		`{` + ok + `,"score":9223372036854775807,"epssProbability":-9223372036854775808,"epssPercentile":9223372036854775808}`,
		`{` + ok + `,"score":1.5e3,"epssProbability":1E-3,"epssPercentile":0.1,"n":[1,2.0,-3,1e2]}`,
		`{` + ok + `,"id":"y","id":"z"}`,
		`{"id":1e400,"timestamp":"2026-11-27T00:00:00Z"}`,
		`{"id":"1e400","timestamp":"2026-11-27T00:00:00Z","name":1e999,"status":-0}`,
		`{` + ok + `,"name":"\u00e9\ud83d\ude00\ud800\udc00\ud800x\udc00\u0000\"\\\/\b\f\n\r\t"}`,
		`{` + ok + `,"name":"` + "\xff\xfe\xed\xa0\x80 caf\xc3\xa9 \xef\xbf\xbd" + `","k` + "\x80" + `":1}`,
		`{` + ok + `,"user":{"id":"u","name":"n","id":"u2"},"serviceAccount":{"id":null,"name":7}}`,
		`{` + ok + `,"projects":[{"id":"p1"},{"id":""},{"id":2},"p3",null,{"name":"x"}]}`,
		`{` + ok + `,"projects":{"id":"p"}}`,
		`{` + ok + `,"sourceRule":{},"sourceRules":[{"id":"r"}]}`,
		`{` + ok + `,"sourceRule":null,"sourceRules":[{"id":"r","name":"n","__typename":"Control"}]}`,
		`{` + ok + `,"sourceRules":["r"]}`,
		`{` + ok + `,"entitySnapshot":{"cloudPlatform":"AWS","providerId":"","externalId":"e"}}`,
		`{` + ok + `,"vulnerableAsset":{"type":"VIRTUAL_MACHINE","ipAddresses":["1.2.3.4",1,null,""],"name":"vm"}}`,
		`{` + ok + `,"vulnerableAsset":{"type":"VIRTUAL_MACHINE","ipAddresses":"1.2.3.4"}}`,
		`{` + ok + `,"hasExploit":true,"hasCisaKevExploit":"true","vendorSeverity":"","severity":"HIGH"}`,
		`{"id":"x","createdAt":"2026-11-27T00:00:00Z","lastDetectedAt":"2026-11-27T00:00:00Z","timestamp":"bad"}`,
		"{\n\t\"id\" : \"x\" ,\r\n \"timestamp\":\"2026-11-27T00:00:00Z\" , \"updatedAt\" : \"2026-11-27T00:00:00Z\",\"statusChangedAt\":\"2026-11-27T00:00:00Z\" } ",
		`{}`, `{"id":"x"}`, `null`, `nul`, `[]`, `"x"`, `1`, ``, ` `, `{`, `{"id"`, `{"id":}`, `{"id":"x",}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.1}`, `{"a":1e}`, `{"a":-}`, `{"a":+1}`, `{"a":tru}`, `{"a":"\x"}`, `{"a":"\u12"}`,
		`{"a":"` + "\x01" + `"}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a" 1}`, `{1:1}`, `{"a":1"b":2}`,
		strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000),
		strings.Repeat(`{"a":`, 10001) + `1` + strings.Repeat(`}`, 10001),
		`{` + ok + `,"a":` + strings.Repeat(`[`, 9999) + strings.Repeat(`]`, 9999) + `}`,
		`{` + ok + `,"a":` + strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000) + `}`,
	} {
		sameAsReference(t, []byte(node))
	}
}

// The body keeps Wiz's key order, which the map[string]any code lost.
func TestBodyKeepsKeyOrder(t *testing.T) {
	for _, lt := range logtype.All {
		for _, node := range readNodes(t, lt) {
			lr := plog.NewLogRecord()
			_, err := defaultMapper(lt).Map(node, lr)
			require.NoError(t, err)
			var keys []string
			for k := range lr.Body().Map().All() {
				keys = append(keys, k)
			}
			// The keys appear in the node in this order.
			at := 0
			for _, k := range keys {
				i := strings.Index(string(node[at:]), `"`+k+`"`)
				require.GreaterOrEqual(t, i, 0, "key %q out of order in %s's nodes", k, lt.Key)
				at += i
			}
		}
	}
}

// A node that fails leaves the record as it was.
func TestFailedMapLeavesRecord(t *testing.T) {
	for _, node := range []string{`{"id":"x","timestamp":"bad","updatedAt":"bad","statusChangedAt":"bad","a":1}`, `{"a":1}`, `{"a":`} {
		for _, p := range everyMapper() {
			lr := plog.NewLogRecord()
			lr.Body().SetStr("before")
			_, err := p.Map([]byte(node), lr)
			require.Error(t, err)
			assert.Equal(t, "before", lr.Body().Str())
			assert.Equal(t, 0, lr.Attributes().Len())
		}
	}
}

// FuzzMatchesReference: on any input, every mapper agrees with the
// map[string]any reference.
func FuzzMatchesReference(f *testing.F) {
	for _, lt := range logtype.All {
		for _, node := range readNodes(f, lt) {
			f.Add([]byte(node))
		}
	}
	f.Add([]byte(`{"id":"x","timestamp":"2026-11-27T00:00:00Z","score":-0,"n":1e400,"s":"\ud800\u00e9` + "\xff" + `","id":"y"}`))
	f.Fuzz(func(t *testing.T, node []byte) {
		sameAsReference(t, node)
	})
}

// The key, read from the tokens before the body is built, is what the
// body holds: the last of repeated names, never a nested member's.
func TestKeyIsTheBodys(t *testing.T) {
	const ts = `"timestamp":"2026-11-27T00:00:00Z"`
	for _, node := range []string{
		`{"id":"a",` + ts + `}`,
		`{"id":"a","id":"b",` + ts + `}`,
		`{"id":7,"id":"b",` + ts + `}`,
		`{"user":{"id":"nested","timestamp":"bad"},"x":[{"id":"n"},["id"]],"id":"top",` + ts + `}`,
		`{"id":"a",` + ts + `,"timestamp":"2026-11-28T00:00:00Z"}`,
		`{"id":"a\u0062",` + ts + `}`,
	} {
		lr := plog.NewLogRecord()
		res, err := defaultMapper(&logtype.Audit).Map([]byte(node), lr)
		require.NoError(t, err, node)
		id, _ := lr.Body().Map().Get("id")
		ts, _ := lr.Body().Map().Get("timestamp")
		assert.Equal(t, id.Str(), res.Key.ID, node)
		assert.Equal(t, ts.Str(), res.Key.Time.Format(time.RFC3339Nano), node)
	}
	for _, node := range []string{`{"id":"a","id":7,` + ts + `}`, `{"user":{"id":"nested"},` + ts + `}`} {
		_, err := defaultMapper(&logtype.Audit).Map([]byte(node), plog.NewLogRecord())
		assert.Error(t, err, node)
	}
}
