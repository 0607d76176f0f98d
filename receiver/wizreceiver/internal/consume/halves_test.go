// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package consume

import (
	"context"
	"errors"
	"math/bits"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
)

// batchOf is a batch of n records in one scope, each with its index as
// body.
func batchOf(n int) plog.Logs {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("wiz.api.endpoint", "https://api.us1.app.wiz.io/graphql")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("wizreceiver")
	for i := range n {
		sl.LogRecords().AppendEmpty().Body().SetInt(int64(i))
	}
	return logs
}

// refusing refuses for good every request holding one of the bad records,
// and fails for now the request numbered failAt (1-based).
type refusing struct {
	bad    []int64
	failAt int
	sends  int
	got    []int64
}

func (r *refusing) send(_ context.Context, logs plog.Logs) error {
	r.sends++
	if r.sends == r.failAt {
		return errors.New("backend unavailable")
	}
	rl := logs.ResourceLogs().At(0)
	if v, _ := rl.Resource().Attributes().Get("wiz.api.endpoint"); v.Str() == "" {
		return consumererror.NewPermanent(errors.New("the resource was lost"))
	}
	records := rl.ScopeLogs().At(0).LogRecords()
	var bodies []int64
	for i := range records.Len() {
		bodies = append(bodies, records.At(i).Body().Int())
	}
	for _, b := range bodies {
		if slices.Contains(r.bad, b) {
			return consumererror.NewPermanent(errors.New("cannot decode"))
		}
	}
	r.got = append(r.got, bodies...)
	return nil
}

// Only the records refused alone are dropped; every other record is
// accepted once, with its resource and scope, within 2·log2(n) more
// requests per refused record.
func TestInHalvesDropsOnlyTheRefusedRecords(t *testing.T) {
	const n = 20
	r := &refusing{bad: []int64{3, 17}}
	var ranges [][2]int
	refused, err := InHalves(context.Background(), batchOf(n), r.send, func(lo, hi int) { ranges = append(ranges, [2]int{lo, hi}) })
	require.NoError(t, err)
	require.Len(t, refused, 2)
	assert.Equal(t, []int{3, 17}, []int{refused[0].Index, refused[1].Index})
	assert.True(t, consumererror.IsPermanent(refused[0].Err))
	accepted := 0
	for _, rg := range ranges {
		accepted += rg[1] - rg[0]
	}
	assert.Equal(t, n-2, accepted)
	assert.Len(t, r.got, n-2)
	slices.Sort(r.got)
	assert.Equal(t, len(r.got), len(slices.Compact(slices.Clone(r.got))), "no record accepted twice")
	assert.LessOrEqual(t, r.sends, 1+2*2*bits.Len(n))
}

// A refusal for now stops the halving: what was accepted before it is
// reported, the rest waits for the batch to be sent again.
func TestInHalvesStopsAtARefusalForNow(t *testing.T) {
	r := &refusing{bad: []int64{0}, failAt: 6}
	accepted := 0
	refused, err := InHalves(context.Background(), batchOf(8), r.send, func(lo, hi int) { accepted += hi - lo })
	require.EqualError(t, err, "backend unavailable")
	assert.Len(t, refused, 1, "the record refused alone before the outage")
	assert.Equal(t, len(r.got), accepted)
	assert.Equal(t, 1, accepted, "record 1, before [2, 4) failed")
}

// Without the split, a batch refused for good is refused whole, in one
// request: each record is reported refused with the batch's error, none
// accepted. A refusal for now is returned as it is.
func TestBatchWithoutSplit(t *testing.T) {
	r := &refusing{bad: []int64{3}}
	accepted := 0
	refused, err := Batch(context.Background(), batchOf(8), false, r.send, func(lo, hi int) { accepted += hi - lo })
	require.NoError(t, err)
	assert.Equal(t, 1, r.sends)
	assert.Zero(t, accepted)
	require.Len(t, refused, 8)
	for i, rf := range refused {
		assert.Equal(t, i, rf.Index)
		assert.True(t, consumererror.IsPermanent(rf.Err))
	}

	r = &refusing{failAt: 1}
	refused, err = Batch(context.Background(), batchOf(8), false, r.send, func(int, int) { t.Error("nothing is accepted") })
	require.EqualError(t, err, "backend unavailable")
	assert.Empty(t, refused)

	r = &refusing{}
	refused, err = Batch(context.Background(), batchOf(8), false, r.send, func(lo, hi int) { accepted += hi - lo })
	require.NoError(t, err)
	assert.Empty(t, refused)
	assert.Equal(t, 8, accepted)
}
