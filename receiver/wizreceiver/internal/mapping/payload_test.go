// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

// sent is when the sample payloads happened, observed when they arrived.
var (
	sent     = time.Date(2026, 11, 27, 10, 15, 30, 123456789, time.UTC)
	observed = time.Date(2026, 11, 27, 10, 15, 31, 0, time.UTC)
)

// pushedSamples are the payloads the golden files pin: one of each kind
// the mock Wiz sends, and the quirks of testdata/pushed_*.json.
func pushedSamples(t testing.TB) map[string][]byte {
	t.Helper()
	samples := map[string][]byte{}
	for _, kind := range mockwiz.WebhookKinds {
		samples["pushed_mock_"+string(kind)] = mockwiz.WebhookPayload(kind, 3, sent)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "pushed_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		samples[strings.TrimSuffix(filepath.Base(f), ".json")] = raw
	}
	return samples
}

func mapPushed(t testing.TB, payload []byte) (plog.LogRecord, logtype.PushedRecord) {
	t.Helper()
	lr := plog.NewLogRecord()
	p, err := logtype.MapPushed(payload, observed, lr)
	require.NoError(t, err)
	return lr, p
}

func TestPushedGolden(t *testing.T) {
	for name, payload := range pushedSamples(t) {
		t.Run(name, func(t *testing.T) {
			logs := plog.NewLogs()
			lr, _ := mapPushed(t, payload)
			lr.CopyTo(logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
			path := filepath.Join("testdata", name+"_expected.yaml")
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, logs))
			}
			expected, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(expected, logs))
		})
	}
}

// Each type is recognised by trigger.source in any letter case; without
// one, by shape; anything else is the catch-all.
func TestClassify(t *testing.T) {
	tests := []struct {
		payload string
		want    *logtype.PushedType
	}{
		{`{"trigger":{"source":"ISSUE"}}`, &logtype.IssuesWebhook},
		{`{"trigger":{"source":"Issue"},"threat":{}}`, &logtype.IssuesWebhook},
		{`{"trigger":{"source":"DETECTIONS"}}`, &logtype.DetectionsWebhook},
		{`{"trigger":{"source":"detections"}}`, &logtype.DetectionsWebhook},
		{`{"trigger":{"source":"THREATS"}}`, &logtype.Threats},
		{`{"trigger":{"source":"CLOUD_EVENTS"},"issue":{}}`, &logtype.Webhook},
		{`{"issue":{"id":"i"}}`, &logtype.IssuesWebhook},
		{`{"trigger":{"type":"Created"},"issue":{}}`, &logtype.IssuesWebhook},
		{`{"trigger":"ISSUE","threat":{}}`, &logtype.Threats},
		{`{"trigger":{"source":""},"tdrId":"r","createdAt":"t"}`, &logtype.DetectionsWebhook},
		{`{"tdrId":"r"}`, &logtype.Webhook},
		{`{"threat":null}`, &logtype.Threats},
		{`{}`, &logtype.Webhook},
		{`{"trigger":{"source":7}}`, &logtype.Webhook},
	}
	for _, tt := range tests {
		_, p := mapPushed(t, []byte(tt.payload))
		assert.Equal(t, tt.want.Name, p.Type.Name, tt.payload)
	}
}

func TestPushedTimestamps(t *testing.T) {
	tests := []struct {
		name, payload string
		want          time.Time
	}{
		{"detection keeps nine digits", `{"trigger":{"source":"DETECTIONS"},"createdAt":"2026-11-27T10:15:30.123456789Z"}`, sent},
		{"space and no zone is UTC", `{"issue":{"created":"2026-11-27 10:15:30.123456789"}}`, sent},
		{"space with a zone", `{"issue":{"created":"2026-11-27 11:15:30.123456789+01:00"}}`, sent},
		{"threat updatedAt", `{"threat":{"updatedAt":"2026-11-27T10:15:30.123456789Z","created":"2026-11-20T00:00:00Z"}}`, sent},
		{"threat never updated", `{"threat":{"updatedAt":"","created":"2026-11-27T10:15:30.123456789Z"}}`, sent},
		{"unparseable", `{"trigger":{"source":"DETECTIONS"},"createdAt":"yesterday"}`, observed},
		{"missing", `{"trigger":{"source":"ISSUE"},"issue":{}}`, observed},
		{"catch-all", `{"trigger":{"source":"NEW"},"createdAt":"2026-11-27T10:15:30Z"}`, observed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr, _ := mapPushed(t, []byte(tt.payload))
			assert.Equal(t, tt.want, lr.Timestamp().AsTime())
			assert.Equal(t, observed, lr.ObservedTimestamp().AsTime())
			// The body holds what Wiz sent, parseable or not.
			assert.JSONEq(t, tt.payload, bodyJSON(t, lr))
		})
	}
}

func TestPushedSeverity(t *testing.T) {
	for severity, want := range map[string]plog.SeverityNumber{
		"CRITICAL": plog.SeverityNumberFatal, "High": plog.SeverityNumberError4, "medium": plog.SeverityNumberError,
		"Low": plog.SeverityNumberWarn, "INFORMATIONAL": plog.SeverityNumberInfo, "": plog.SeverityNumberInfo,
	} {
		lr, _ := mapPushed(t, []byte(`{"trigger":{"source":"DETECTIONS"},"severity":"`+severity+`"}`))
		assert.Equal(t, want, lr.SeverityNumber(), severity)
		assert.Equal(t, severity, lr.SeverityText(), "SeverityText keeps Wiz's word")
	}
}

// The body is the payload as sent: every value, in Wiz's key order.
func TestPushedBodyIsThePayload(t *testing.T) {
	for name, payload := range pushedSamples(t) {
		lr, _ := mapPushed(t, payload)
		assert.JSONEq(t, string(payload), bodyJSON(t, lr), name)
		var keys []string
		for k := range lr.Body().Map().All() {
			keys = append(keys, k)
		}
		assert.Equal(t, topLevelKeys(t, payload), keys, "%s: key order", name)
	}
}

// log.record.uid is the SHA-256 of the payload's JSON without its
// insignificant whitespace: the payload re-sent with other whitespace has
// the same uid; any other payload, another.
func TestPushedUID(t *testing.T) {
	payload := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 1, sent)
	_, p := mapPushed(t, payload)
	assert.Equal(t, mapping.PayloadUID(payload), p.UID)
	assert.Len(t, p.UID, 64)
	sum := sha256.Sum256(payload)
	assert.Equal(t, hex.EncodeToString(sum[:]), p.UID, "a compact payload's uid is the SHA-256 of its bytes")
	lr, again := mapPushed(t, bytes.Clone(payload))
	assert.Equal(t, p.UID, again.UID)
	uid, _ := lr.Attributes().Get(mapping.AttrRecordUID)
	assert.Equal(t, p.UID, uid.Str())

	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, payload, "\r\n", "\t"))
	for name, same := range map[string][]byte{
		"a trailing newline": append(bytes.Clone(payload), '\n'),
		"spaces around":      append(append([]byte(" \t"), payload...), ' '),
		"re-indented":        indented.Bytes(),
	} {
		_, q := mapPushed(t, same)
		assert.Equal(t, p.UID, q.UID, name)
	}

	for name, other := range map[string][]byte{
		"another detection":     mockwiz.WebhookPayload(mockwiz.WebhookDetection, 2, sent),
		"space inside a string": bytes.Replace(payload, []byte(`":"`), []byte(`":" `), 1),
		"members reordered":     []byte(`{"b":1,"a":2}`),
		"a number written else": []byte(`{"a":2,"b":1.0}`),
	} {
		_, q := mapPushed(t, other)
		assert.NotEqual(t, p.UID, q.UID, name)
	}
	_, ab := mapPushed(t, []byte(`{"a":2,"b":1}`))
	_, ba := mapPushed(t, []byte(`{"b":1,"a":2}`))
	assert.NotEqual(t, ab.UID, ba.UID, "member order is the payload's")
}

// The payload's own id names it in log lines.
func TestPushedID(t *testing.T) {
	for kind, want := range map[mockwiz.WebhookKind]string{
		mockwiz.WebhookIssue: "issue", mockwiz.WebhookThreat: "threat", mockwiz.WebhookDetection: "",
	} {
		payload := mockwiz.WebhookPayload(kind, 4, sent)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(payload, &doc))
		if want != "" {
			doc = doc[want].(map[string]any)
		}
		_, p := mapPushed(t, payload)
		assert.Equal(t, doc["id"], p.ID, kind)
	}
}

func TestPushedRejectsNonObjects(t *testing.T) {
	for _, payload := range []string{``, `null`, `[]`, `[{}]`, `"issue"`, `7`, `{`, `{"a":}`, `{} {}`, `{"a":1}x`} {
		lr := plog.NewLogRecord()
		_, err := logtype.MapPushed([]byte(payload), observed, lr)
		assert.Error(t, err, payload)
		assert.Equal(t, 0, lr.Attributes().Len(), "%q: the record is left untouched", payload)
	}
}

// FuzzClassifyPushed feeds arbitrary objects to the classifier: it always
// returns one of the types, the one trigger.source names when it names one.
func FuzzClassifyPushed(f *testing.F) {
	addSeeds(f)
	names := map[string]*logtype.PushedType{}
	for _, typ := range logtype.Pushed {
		names[strings.ToUpper(typ.TriggerSource)] = typ
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var raw map[string]any
		if json.Unmarshal(payload, &raw) != nil || raw == nil {
			return
		}
		m := pcommon.NewMap()
		if m.FromRaw(raw) != nil {
			return
		}
		typ := logtype.Classify(m)
		require.True(t, slices.Contains(logtype.Pushed, typ), "%q classified as a type not in logtype.Pushed", payload)
		trigger, _ := raw["trigger"].(map[string]any)
		source, _ := trigger["source"].(string)
		if named, ok := names[strings.ToUpper(source)]; ok && source != "" {
			require.Same(t, named, typ, "%q: trigger.source %q", payload, source)
		}
	})
}

// FuzzMapPushed feeds arbitrary bytes to the mapper: it never panics, and a
// payload it maps is an object whose record names a type and the uid of
// its bytes.
func FuzzMapPushed(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		lr := plog.NewLogRecord()
		p, err := logtype.MapPushed(payload, observed, lr)
		if err != nil {
			return
		}
		require.True(t, json.Valid(payload), "%q is not JSON", payload)
		require.Equal(t, byte('{'), bytes.TrimLeft(payload, " \t\r\n")[0], "%q is not an object", payload)
		require.True(t, slices.Contains(logtype.Pushed, p.Type))
		typ, _ := lr.Attributes().Get(mapping.AttrLogType)
		require.Equal(t, p.Type.Name, typ.Str())
		require.Equal(t, mapping.PayloadUID(payload), p.UID)
		require.NotZero(t, lr.Timestamp())
		require.Equal(t, pcommon.ValueTypeMap, lr.Body().Type())
	})
}

func addSeeds(f *testing.F) {
	for _, payload := range pushedSamples(f) {
		f.Add(payload)
	}
}

func bodyJSON(t *testing.T, lr plog.LogRecord) string {
	t.Helper()
	got, err := json.Marshal(lr.Body().Map().AsRaw())
	require.NoError(t, err)
	return string(got)
}

// topLevelKeys is the order of the payload's top-level keys, the last of
// duplicates where it stays.
func topLevelKeys(t *testing.T, payload []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(payload))
	_, err := dec.Token() // {
	require.NoError(t, err)
	var keys []string
	for dec.More() {
		key, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, key.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}
