// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/ocsf"
)

// Every sample record of every log type converts into an event that is
// valid against its OCSF 1.5.0 class, and keeps its attributes,
// timestamps, severity and event name; only the catch-all has no class.
func TestEveryRecordIsAValidEvent(t *testing.T) {
	v := newValidator(readDefinitions(t), true)
	converted := map[string]int{}
	for _, s := range allSamples(t) {
		before := plog.NewLogRecord()
		s.record.CopyTo(before)
		err := ocsf.Convert(s.logType, s.record)
		if s.logType == logtype.Webhook.Name {
			require.ErrorIs(t, err, ocsf.ErrNoClass, s.name)
			assert.Equal(t, before, s.record, "%s: a record left native is untouched", s.name)
			continue
		}
		require.NoError(t, err, s.name)
		converted[s.logType]++
		event := s.record.Body().Map()
		assert.Empty(t, v.problems(event), "%s: %s", s.name, raw(t, event))
		assert.LessOrEqual(t, event.Len(), ocsf.Capacity(s.logType), "%s: the event outgrew the map allocated for it", s.name)

		after := plog.NewLogRecord()
		s.record.CopyTo(after)
		before.Body().CopyTo(after.Body())
		assert.Equal(t, before, after, "%s: the record but its body is as it was", s.name)

		uid, _ := before.Attributes().Get(mapping.AttrRecordUID)
		assert.Equal(t, uid.Str(), text(event, "metadata", "uid"), "%s: metadata.uid is log.record.uid", s.name)
		assert.Equal(t, before.Timestamp().AsTime().UnixMilli(), mustGet(t, event, "time").Int(), "%s: time is the record's", s.name)
		logType, _ := before.Attributes().Get(mapping.AttrLogType)
		assert.Equal(t, logType.Str(), text(event, "metadata", "log_name"), s.name)

		native, err := json.Marshal(before.Body().Map().AsRaw())
		require.NoError(t, err)
		assert.JSONEq(t, string(native), text(event, "raw_data"), "%s: raw_data is the native body", s.name)
	}
	for _, name := range eightLogTypes() {
		assert.Positive(t, converted[name], "no sample of %s", name)
	}
}

// eightLogTypes are the log types OCSF holds: the polled ones and the
// pushed ones but the catch-all.
func eightLogTypes() []string {
	var names []string
	for _, lt := range logtype.All {
		names = append(names, lt.Name)
	}
	for _, pt := range logtype.Pushed {
		if pt != &logtype.Webhook {
			names = append(names, pt.Name)
		}
	}
	return names
}

// Each log type is the class Amazon's Wiz source writes it as.
func TestClasses(t *testing.T) {
	want := map[string][]int64{
		logtype.Audit.Name:                 {3002, 6003},
		logtype.Issues.Name:                {2004},
		logtype.VulnerabilityFindings.Name: {2002},
		logtype.ConfigurationFindings.Name: {2003},
		logtype.Detections.Name:            {2004},
		logtype.IssuesWebhook.Name:         {2004},
		logtype.Threats.Name:               {2004},
		logtype.DetectionsWebhook.Name:     {2004},
	}
	require.ElementsMatch(t, eightLogTypes(), keys(want))
	got := map[string][]int64{}
	for _, s := range allSamples(t) {
		if ocsf.Convert(s.logType, s.record) != nil {
			continue
		}
		class := mustGet(t, s.record.Body().Map(), "class_uid").Int()
		if !contains(got[s.logType], class) {
			got[s.logType] = append(got[s.logType], class)
		}
	}
	for name, classes := range want {
		assert.ElementsMatch(t, classes, got[name], name)
	}
}

// The activity says what happened to the finding or who did what.
func TestActivities(t *testing.T) {
	type want struct {
		id   int64
		name string
	}
	byID := func(t *testing.T, samples []sample) map[string]want {
		t.Helper()
		out := map[string]want{}
		for _, s := range samples {
			require.NoError(t, ocsf.Convert(s.logType, s.record))
			event := s.record.Body().Map()
			key := text(event, "finding_info", "uid")
			if key == "" {
				key = text(event, "metadata", "uid")
			}
			out[key] = want{mustGet(t, event, "activity_id").Int(), text(event, "activity_name")}
		}
		return out
	}
	issues := &logtype.Issues
	assert.Equal(t, map[string]want{
		// In progress, last changed after its creation.
		"9a4e1c2b-7f30-4d58-b6a9-3e2c1d0f8b71": {2, "Update"},
		// Open, never changed.
		"3b7d9f1a-2c4e-4a6b-8d0f-1e3a5c7e9b2d": {1, "Create"},
		"6c8e0a2c-4e6a-4c8e-a0c2-4e6a8c0e2a4c": {3, "Close"},
	}, byID(t, polledSamples(t, issues, issues.TimeFields[0])))
	assert.Equal(t, map[string]want{
		"9a4e1c2b-7f30-4d58-b6a9-3e2c1d0f8b71": {1, "Create"},
		"3b7d9f1a-2c4e-4a6b-8d0f-1e3a5c7e9b2d": {1, "Create"},
		"6c8e0a2c-4e6a-4c8e-a0c2-4e6a8c0e2a4c": {3, "Close"},
	}, byID(t, polledSamples(t, issues, issues.TimeFields[2])), "polled on createdAt, each record is the issue's creation")

	audit := &logtype.Audit
	assert.Equal(t, map[string]want{
		"0c2f7a52-8f0e-4c47-9a3c-2b8f1d6e4a11": {1, "Logon"},
		"7d9e2b14-3a61-4f0c-8e25-91c4a7b3d502": {3, "Update"},
		"e41a8c07-5b2d-4d93-a6f1-0c7e9b2f3d84": {3, "Update"},
	}, byID(t, polledSamples(t, audit, audit.TimeFields[0])))

	for action, activity := range map[string]want{
		"AddSecurityScan":    {1, "Create"},
		"ListUsers":          {2, "Read"},
		"DeleteProject":      {4, "Delete"},
		"Address":            {99, "Address"},
		"SettingsViewed":     {99, "SettingsViewed"},
		"DeviceLogin":        {1, "Logon"},
		"RevokeUserSessions": {4, "Delete"},
		"":                   {0, "Unknown"},
	} {
		lr := auditRecord(t, `{"id":"a","action":"`+action+`","status":"SUCCESS","timestamp":"2026-11-27T00:00:00Z"}`)
		require.NoError(t, ocsf.Convert(audit.Name, lr))
		event := lr.Body().Map()
		assert.Equal(t, activity, want{mustGet(t, event, "activity_id").Int(), text(event, "activity_name")}, action)
	}
}

// An audit entry names no source, or no one: OCSF requires an API
// Activity's actor and source endpoint, and an Authentication's user, so
// they are named Unknown, and the event is valid.
func TestAuditWithoutActorOrSource(t *testing.T) {
	v := newValidator(readDefinitions(t), true)
	for _, action := range []string{"Login", "UpdateUser"} {
		lr := auditRecord(t, `{"id":"a","action":"`+action+`","status":"FAILED","timestamp":"2026-11-27T00:00:00Z","sourceIP":"internal","user":null,"serviceAccount":{}}`)
		require.NoError(t, ocsf.Convert(logtype.Audit.Name, lr))
		event := lr.Body().Map()
		assert.Empty(t, v.problems(event), raw(t, event))
		if action == "Login" {
			assert.Equal(t, "Unknown", text(event, "user", "name"))
			assert.Empty(t, text(event, "src_endpoint", "ip"), "an address that is not an IP is left out")
			continue
		}
		assert.Equal(t, "Unknown", text(event, "actor", "user", "name"))
		assert.Equal(t, "internal", text(event, "src_endpoint", "name"))
	}
}

func auditRecord(t *testing.T, node string) plog.LogRecord {
	t.Helper()
	lr := plog.NewLogRecord()
	_, err := logtype.Audit.Mapper(logtype.Audit.TimeFields[0]).Map([]byte(node), lr)
	require.NoError(t, err)
	return lr
}

// A record Convert cannot convert is reported, and left as it was, for
// the caller to count.
func TestUnconvertedRecordsAreLeftNative(t *testing.T) {
	tests := []struct {
		name, logType string
		record        func(t *testing.T) plog.LogRecord
		want          error
	}{
		{"an unknown log type", "Wiz.Unknown", func(t *testing.T) plog.LogRecord {
			return polledSamples(t, &logtype.Issues, logtype.Issues.TimeFields[0])[0].record
		}, ocsf.ErrNoClass},
		{"the catch-all", logtype.Webhook.Name, func(t *testing.T) plog.LogRecord {
			return pushedSample(t, "unknown", []byte(`{"trigger":{"source":"CLOUD_EVENTS"}}`)).record
		}, ocsf.ErrNoClass},
		{"a pushed issue without its id", logtype.IssuesWebhook.Name, func(t *testing.T) plog.LogRecord {
			return pushedSample(t, "no id", []byte(`{"issue":{"status":"OPEN"},"control":{"name":"c"}}`)).record
		}, ocsf.ErrIncomplete},
		{"a threat without its id", logtype.Threats.Name, func(t *testing.T) plog.LogRecord {
			return pushedSample(t, "no id", []byte(`{"trigger":{"source":"THREATS"},"threat":{"id":""}}`)).record
		}, ocsf.ErrIncomplete},
		{"a pushed detection without its id", logtype.DetectionsWebhook.Name, func(t *testing.T) plog.LogRecord {
			return pushedSample(t, "no id", []byte(`{"trigger":{"source":"DETECTIONS"},"title":"t"}`)).record
		}, ocsf.ErrIncomplete},
		{"a vulnerability finding without the vulnerability", logtype.VulnerabilityFindings.Name, func(t *testing.T) plog.LogRecord {
			lr := plog.NewLogRecord()
			_, err := logtype.VulnerabilityFindings.Mapper(logtype.VulnerabilityFindings.TimeFields[0]).
				Map([]byte(`{"id":"f","updatedAt":"2026-11-27T00:00:00Z","name":null}`), lr)
			require.NoError(t, err)
			return lr
		}, ocsf.ErrIncomplete},
		{"a body that is not an object", logtype.Issues.Name, func(*testing.T) plog.LogRecord {
			lr := plog.NewLogRecord()
			lr.Body().SetStr("not an issue")
			return lr
		}, ocsf.ErrIncomplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := tt.record(t)
			before := plog.NewLogRecord()
			lr.CopyTo(before)
			err := ocsf.Convert(tt.logType, lr)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.want), "%v is not %v", err, tt.want)
			assert.Equal(t, before, lr)
		})
	}
}

// The mapping of the fields a consumer queries most, on one sample of
// each class; the golden files pin the rest.
func TestFields(t *testing.T) {
	events := map[string]pcommon.Map{}
	for _, s := range allSamples(t) {
		if ocsf.Convert(s.logType, s.record) == nil {
			events[text(s.record.Body().Map(), "metadata", "uid")] = s.record.Body().Map()
		}
	}
	issue := events["9a4e1c2b-7f30-4d58-b6a9-3e2c1d0f8b71@2026-11-27T07:30:00.120044Z"]
	require.NotEqual(t, pcommon.Map{}, issue)
	assert.Equal(t, int64(5), mustGet(t, issue, "severity_id").Int())
	assert.Equal(t, int64(2), mustGet(t, issue, "status_id").Int(), "IN_PROGRESS")
	assert.Equal(t, "9a4e1c2b-7f30-4d58-b6a9-3e2c1d0f8b71", text(issue, "finding_info", "uid"))
	assert.Equal(t, "Publicly exposed VM with a critical vulnerability and a high-privileged role", text(issue, "finding_info", "title"))
	assert.Equal(t, []any{"Issue", "TOXIC_COMBINATION"}, mustGet(t, mustGet(t, issue, "finding_info").Map(), "types").Slice().AsRaw())
	assert.Equal(t, int64(1795183331803), mustGet(t, mustGet(t, issue, "finding_info").Map(), "created_time").Int(), "2026-11-20T14:02:11.803417Z in milliseconds")
	assert.Equal(t, "AWS", text(issue, "cloud", "provider"))
	assert.Equal(t, "123456789012", text(issue, "cloud", "account", "uid"))
	assert.Equal(t, []any{"cloud"}, mustGet(t, mustGet(t, issue, "metadata").Map(), "profiles").Slice().AsRaw())

	vulnerability := events["f0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b@2026-11-27T06:09:51.003412Z"]
	require.NotEqual(t, pcommon.Map{}, vulnerability)
	v := mustGet(t, vulnerability, "vulnerabilities").Slice().At(0).Map()
	assert.Equal(t, "CVE-2024-6387", text(v, "cve", "uid"))
	cvss := mustGet(t, mustGet(t, v, "cve").Map(), "cvss").Slice().At(0).Map()
	assert.InDelta(t, 8.1, mustGet(t, cvss, "base_score").Double(), 0)
	assert.Equal(t, "openssh-server", text(mustGet(t, v, "affected_packages").Slice().At(0).Map(), "name"))

	advisory := events["a1b2c3d4-e5f6-4a70-9b8c-0d1e2f3a4b5c@2026-11-27T02:00:07.7Z"]
	require.NotEqual(t, pcommon.Map{}, advisory)
	assert.Equal(t, "GHSA-9wx4-h78v-vm56",
		text(mustGet(t, advisory, "vulnerabilities").Slice().At(0).Map(), "advisory", "uid"), "a GHSA is no CVE")

	configuration := events["3c7a1e52-9b04-4f6d-8e21-5a9c0d7b4f18@2026-11-26T18:40:12.004417Z"]
	require.NotEqual(t, pcommon.Map{}, configuration)
	assert.Equal(t, int64(3), mustGet(t, mustGet(t, configuration, "compliance").Map(), "status_id").Int(), "FAIL")
	assert.Equal(t, []any{"CIS Amazon Web Services Foundations Benchmark v3.0.0", "ISO/IEC 27001:2022", "NIST SP 800-53 Revision 5"},
		mustGet(t, mustGet(t, configuration, "compliance").Map(), "standards").Slice().AsRaw())

	audit := events["7d9e2b14-3a61-4f0c-8e25-91c4a7b3d502"]
	require.NotEqual(t, pcommon.Map{}, audit)
	assert.Equal(t, "RotateServiceAccountSecret", text(audit, "api", "operation"))
	assert.Equal(t, "b8a3c1d2-6e4f-4a09-9d17-5f2e8c0b1a36", text(audit, "api", "request", "uid"))
	assert.Equal(t, "sa-ci-deployer", text(audit, "actor", "user", "uid"))
	assert.Equal(t, "203.0.113.77", text(audit, "src_endpoint", "ip"))
	assert.Equal(t, int64(2), mustGet(t, audit, "status_id").Int(), "FAILED")

	detection := events["83200e8c-0d19-476a-af65-843f9d3c1711@2026-11-27T06:41:07.9Z"]
	require.NotEqual(t, pcommon.Map{}, detection)
	evidence := mustGet(t, detection, "evidences").Slice().At(0).Map()
	assert.Equal(t, "alice.admin", text(evidence, "actor", "user", "name"))
	assert.Equal(t, "203.0.113.45", text(evidence, "src_endpoint", "ip"))
	attack := mustGet(t, mustGet(t, detection, "finding_info").Map(), "attacks").Slice().At(0).Map()
	assert.Equal(t, "T1098.001", text(attack, "sub_technique", "uid"))
	assert.Equal(t, "T1098", text(attack, "technique", "uid"))
	assert.Equal(t, "Persistence", text(attack, "tactic", "name"))
}

func mustGet(t *testing.T, m pcommon.Map, key string) pcommon.Value {
	t.Helper()
	v, ok := m.Get(key)
	require.True(t, ok, "no %s in %v", key, m.AsRaw())
	return v
}

// raw is an event as JSON, for messages.
func raw(t *testing.T, event pcommon.Map) string {
	t.Helper()
	b, err := json.Marshal(event.AsRaw())
	require.NoError(t, err)
	return string(b)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func contains(s []int64, v int64) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

// A configuration finding mapped onto many framework entries lists each
// framework and entry once, in the order Wiz gives them.
func TestManyFrameworkEntries(t *testing.T) {
	entry := func(i int) map[string]any {
		return map[string]any{"title": fmt.Sprint("requirement ", i%100), "category": map[string]any{"framework": map[string]any{"name": fmt.Sprint("framework ", i%40)}}}
	}
	var onFinding, onRule []any
	for i := range 300 {
		onFinding, onRule = append(onFinding, entry(i)), append(onRule, entry(299-i))
	}
	node, err := json.Marshal(map[string]any{
		"id": "f", "updatedAt": "2026-11-27T00:00:00Z", "result": "FAIL",
		"securitySubCategories": onFinding, "rule": map[string]any{"id": "r", "securitySubCategories": onRule},
	})
	require.NoError(t, err)
	lr := plog.NewLogRecord()
	_, err = logtype.ConfigurationFindings.Mapper(logtype.ConfigurationFindings.TimeFields[0]).Map(node, lr)
	require.NoError(t, err)
	require.NoError(t, ocsf.Convert(logtype.ConfigurationFindings.Name, lr))
	assert.Empty(t, newValidator(readDefinitions(t), true).problems(lr.Body().Map()))

	compliance := mustGet(t, lr.Body().Map(), "compliance").Map()
	var standards, requirements []any
	for i := range 40 {
		standards = append(standards, fmt.Sprint("framework ", i))
	}
	for i := range 100 {
		requirements = append(requirements, fmt.Sprint("requirement ", i))
	}
	assert.Equal(t, standards, mustGet(t, compliance, "standards").Slice().AsRaw())
	assert.Equal(t, requirements, mustGet(t, compliance, "requirements").Slice().AsRaw())
}

// maxBodyDepth is the most levels of objects and arrays a body keeps so
// that OTLP/protobuf decoders accept it (docs/log-records.md, "How deep a
// body goes"): the native body's bound holds for the events too.
const maxBodyDepth = 31

// An event nests no deeper than the OCSF structure the converter builds,
// whatever Wiz nests where it copies values from.
func TestEventsStayShallow(t *testing.T) {
	deep := `"x"`
	for range 40 {
		deep = `{"a":[` + deep + `]}`
	}
	node := `{"id":"f","updatedAt":"2026-11-27T00:00:00Z","result":` + deep + `,"status":` + deep +
		`,"evidence":{"currentValue":` + deep + `,"expectedValue":"true"},` +
		`"resource":{"id":"r","tags":[{"key":"k","value":` + deep + `},{"key":` + deep + `,"value":"v"}],"subscription":{"cloudProvider":` + deep + `}},` +
		`"rule":{"id":"r","name":` + deep + `,"securitySubCategories":[{"title":` + deep + `,"category":` + deep + `}]}}`
	lr := plog.NewLogRecord()
	_, err := logtype.ConfigurationFindings.Mapper(logtype.ConfigurationFindings.TimeFields[0]).Map([]byte(node), lr)
	require.NoError(t, err)
	require.NoError(t, ocsf.Convert(logtype.ConfigurationFindings.Name, lr))
	assert.Empty(t, newValidator(readDefinitions(t), true).problems(lr.Body().Map()))
	assert.LessOrEqual(t, depth(lr.Body()), 4, "the event copies no nested value")

	most := 0
	for _, s := range allSamples(t) {
		if ocsf.Convert(s.logType, s.record) == nil {
			most = max(most, depth(s.record.Body()))
		}
	}
	assert.LessOrEqual(t, most, maxBodyDepth)
}

// depth is how many levels of objects and arrays v holds, v the first.
func depth(v pcommon.Value) int {
	deepest := 0
	switch v.Type() {
	case pcommon.ValueTypeMap:
		for _, e := range v.Map().All() {
			deepest = max(deepest, depth(e))
		}
	case pcommon.ValueTypeSlice:
		for _, e := range v.Slice().All() {
			deepest = max(deepest, depth(e))
		}
	default:
		return 0
	}
	return deepest + 1
}
