// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
)

// keptLevels is how many levels of objects and arrays a body keeps, the
// body itself the first.
const keptLevels = 31

// nest is value inside levels objects (`{"a":…}`) or arrays (`[…]`).
func nest(levels int, array bool, value string) string {
	if array {
		return strings.Repeat(`[`, levels) + value + strings.Repeat(`]`, levels)
	}
	return strings.Repeat(`{"a":`, levels) + value + strings.Repeat(`}`, levels)
}

// auditNode is an audit entry whose actionParameters, the mutation's input
// as its author wrote it, is params.
func auditNode(params string) []byte {
	return []byte(`{"id":"deep-1","action":"UpdateSavedGraphQuery","status":"SUCCESS","timestamp":"2026-11-27T10:15:30Z",` +
		`"actionParameters":` + params + `}`)
}

// exportOne wraps lr in a request, as a page is sent.
func exportOne(lr plog.LogRecord) plog.Logs {
	logs := plog.NewLogs()
	lr.CopyTo(logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
	return logs
}

// descend follows the only path of a body nested like nest's, from the body
// (level 1) down to the value at level, which it returns.
func descend(t *testing.T, body pcommon.Map, level int) pcommon.Value {
	t.Helper()
	v, ok := body.Get("actionParameters")
	require.True(t, ok)
	for l := 2; l < level; l++ {
		switch v.Type() {
		case pcommon.ValueTypeMap:
			v, ok = v.Map().Get("a")
			require.True(t, ok, "level %d", l)
		case pcommon.ValueTypeSlice:
			require.Equal(t, 1, v.Slice().Len(), "level %d", l)
			v = v.Slice().At(0)
		default:
			t.Fatalf("level %d is a %s, not an object or array", l, v.Type())
		}
	}
	return v
}

// The bound is the protobuf limit's: a body of keptLevels levels of
// objects, the costliest nesting (AnyValue, KeyValueList and KeyValue per
// level), is the deepest a strict OTLP backend decodes.
func TestBodyDepthBoundIsTheProtobufLimit(t *testing.T) {
	deepest := func(levels int) plog.Logs {
		lr := plog.NewLogRecord()
		v := lr.Body()
		for range levels {
			v = v.SetEmptyMap().PutEmpty("a")
		}
		v.SetStr("leaf")
		return exportOne(lr)
	}
	_, err := wiztest.DecodeOTLP(deepest(keptLevels), wiztest.OTLPRecursionLimit)
	require.NoError(t, err, "%d levels of objects fit", keptLevels)
	_, err = wiztest.DecodeOTLP(deepest(keptLevels+1), wiztest.OTLPRecursionLimit)
	require.Error(t, err, "one level more does not")
}

// A body as deep as the node decoder takes (10,000 levels) maps to a record
// a strict OTLP backend decodes: the body keeps keptLevels levels, and
// each value below them is kept as its JSON text.
func TestDeepBodyKeptAsJSONText(t *testing.T) {
	const levels = 10000
	for _, array := range []bool{false, true} {
		// The node is the first level, actionParameters the second.
		inner := nest(levels-keptLevels, array, `"leaf"`)
		node := auditNode(nest(keptLevels-1, array, inner))
		lr := plog.NewLogRecord()
		res, err := logtype.Audit.Mapper(logtype.Audit.TimeFields[0]).Map(node, lr)
		require.NoError(t, err)
		assert.True(t, res.Flattened, "the mapping tells, for the count")

		got, err := wiztest.DecodeOTLP(exportOne(lr), wiztest.OTLPRecursionLimit)
		require.NoError(t, err, "the record is exportable over OTLP/protobuf")
		assert.True(t, got.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Equal(lr.Body()), "the record round-trips")

		text := descend(t, lr.Body().Map(), keptLevels+1)
		require.Equal(t, pcommon.ValueTypeStr, text.Type(), "level %d is text", keptLevels+1)
		assert.Equal(t, inner, text.Str(), "the value below the bound is its JSON text")

		// A pushed payload is bounded alike.
		pushed := plog.NewLogRecord()
		p, err := logtype.MapPushed(node, time.Now(), pushed)
		require.NoError(t, err)
		assert.True(t, p.Flattened)
		_, err = wiztest.DecodeOTLP(exportOne(pushed), wiztest.OTLPRecursionLimit)
		require.NoError(t, err, "the pushed record is exportable over OTLP/protobuf")
		text = descend(t, pushed.Body().Map(), keptLevels+1)
		require.Equal(t, pcommon.ValueTypeStr, text.Type())
		assert.Equal(t, inner, text.Str())
	}
}

// A body keptLevels deep is kept whole; one level deeper, its deepest
// value is kept as text, without white space.
func TestBodyDepthBoundary(t *testing.T) {
	const value = `[ 1, "x" ]`
	for _, tt := range []struct {
		objects int
		text    bool
	}{{keptLevels - 2, false}, {keptLevels - 1, true}} {
		lr := plog.NewLogRecord()
		res, err := logtype.Audit.Mapper(logtype.Audit.TimeFields[0]).Map(auditNode(nest(tt.objects, false, value)), lr)
		require.NoError(t, err)
		assert.Equal(t, tt.text, res.Flattened)
		// The node is level 1, the objects follow, then the value.
		v := descend(t, lr.Body().Map(), tt.objects+2)
		if tt.text {
			require.Equal(t, pcommon.ValueTypeStr, v.Type(), "level %d is text", tt.objects+2)
			assert.Equal(t, `[1,"x"]`, v.Str())
		} else {
			assert.Equal(t, pcommon.ValueTypeSlice, v.Type(), "level %d is kept", tt.objects+2)
		}
	}
}
