// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
)

// The samples are the mapping's: its sample nodes of each polled log type,
// the payloads of each kind the mock Wiz pushes and the quirks of its
// pushed_*.json (the mapping moves with this package, so the path holds).
var mappingTestdata = filepath.Join("..", "mapping", "testdata")

// sent is when the sample payloads happened, observed when they arrived.
var (
	sent     = time.Date(2026, 11, 27, 10, 15, 30, 123456789, time.UTC)
	observed = time.Date(2026, 11, 27, 10, 15, 31, 0, time.UTC)
)

// sample is a native record and what it is.
type sample struct {
	// name names the sample in messages and its golden file.
	name, logType string
	record        plog.LogRecord
}

// readNodes reads lt's sample nodes.
func readNodes(t testing.TB, lt *logtype.LogType) []json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(mappingTestdata, lt.Key+"_nodes.json"))
	require.NoError(t, err)
	var nodes []json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &nodes))
	return nodes
}

// polledSamples maps lt's sample nodes as a stream polling on tf does.
func polledSamples(t testing.TB, lt *logtype.LogType, tf logtype.TimeField) []sample {
	t.Helper()
	var out []sample
	for _, node := range readNodes(t, lt) {
		lr := plog.NewLogRecord()
		_, err := lt.Mapper(tf).Map(node, lr)
		require.NoError(t, err)
		out = append(out, sample{name: lt.Key, logType: lt.Name, record: lr})
	}
	return out
}

// pushedPayloads are the pushed samples by name: the mock's payloads of
// each kind at each severity it cycles through, and the mapping's
// pushed_*.json.
func pushedPayloads(t testing.TB) map[string][]byte {
	t.Helper()
	payloads := map[string][]byte{}
	for _, kind := range mockwiz.WebhookKinds {
		for n := range 7 {
			payloads["pushed_mock_"+string(kind)+"_"+string(rune('0'+n))] = mockwiz.WebhookPayload(kind, n, sent)
		}
	}
	files, err := filepath.Glob(filepath.Join(mappingTestdata, "pushed_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		payloads[strings.TrimSuffix(filepath.Base(f), ".json")] = raw
	}
	return payloads
}

// pushedSample maps one payload as the receiver's webhook does.
func pushedSample(t testing.TB, name string, payload []byte) sample {
	t.Helper()
	lr := plog.NewLogRecord()
	p, err := logtype.MapPushed(payload, observed, lr)
	require.NoError(t, err)
	return sample{name: name, logType: p.Type.Name, record: lr}
}

// allSamples is every sample record: each polled log type's nodes on each
// time field it can poll on, and every pushed payload.
func allSamples(t testing.TB) []sample {
	t.Helper()
	var out []sample
	for _, lt := range logtype.All {
		for _, tf := range lt.TimeFields {
			out = append(out, polledSamples(t, lt, tf)...)
		}
	}
	for name, payload := range pushedPayloads(t) {
		out = append(out, pushedSample(t, name, payload))
	}
	return out
}
