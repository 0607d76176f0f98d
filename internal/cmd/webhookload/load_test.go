// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

// Every payload is a valid detection of the same size with an id of its
// own, so the webhook never takes one for a re-delivery.
func TestDetectionsAreDistinct(t *testing.T) {
	d, err := newDetections(time.Now())
	require.NoError(t, err)
	uids := map[string]bool{}
	for _, n := range []int{0, 1, 2, 1 << 24, 2<<24 + 99999, 3 << 24} {
		p := d.payload(n)
		require.True(t, json.Valid(p), "payload %d", n)
		assert.Len(t, p, len(d.base))
		var doc struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.Unmarshal(p, &doc))
		assert.Len(t, doc.ID, 36)
		uids[wizreceivertest.PayloadUID(p)] = true
	}
	assert.Len(t, uids, 6)
	assert.InDelta(t, 5000, len(d.base), 500)
}

func TestResultFigures(t *testing.T) {
	r := result{outcomes: []outcome{
		{uid: "a", status: http.StatusOK, latency: time.Millisecond},
		{uid: "b", status: http.StatusOK, latency: 3 * time.Millisecond},
		{uid: "c", status: http.StatusServiceUnavailable, latency: 2 * time.Millisecond},
		{uid: "d", status: 0},
	}}
	assert.Equal(t, map[int]int{200: 2, 503: 1, 0: 1}, r.statuses())
	assert.Equal(t, 2*time.Millisecond, r.percentile(50))
	assert.Equal(t, 3*time.Millisecond, r.percentile(100))

	b := newBackend()
	b.uids = map[string]int{"a": 1, "b": 2, "c": 1}
	delivered, lost, repeated, unexpected := r.delivery(b)
	assert.Equal(t, []int{2, 0, 1, 1}, []int{delivered, lost, repeated, unexpected})
}
