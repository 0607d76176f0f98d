// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf_test

import (
	"errors"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/ocsf"
)

// FuzzConvert feeds arbitrary nodes to every polled log type's mapper on
// each time field: a node the mapping takes converts into a valid event,
// or is reported incomplete and left native; it never panics.
func FuzzConvert(f *testing.F) {
	for _, lt := range logtype.All {
		for _, node := range readNodes(f, lt) {
			f.Add([]byte(node))
		}
	}
	// Shapes the converters walk into: lists where objects belong, objects
	// where lists belong, numbers where text belongs, values OCSF's types
	// refuse.
	f.Add([]byte(`{"id":"x","timestamp":"2026-11-27T00:00:00Z","action":"Login","user":[],"serviceAccount":"s","sourceIP":"::1%eth0","actionParameters":{"userID":"u","userEmail":"not an address"}}`))
	f.Add([]byte(`{"id":"x","updatedAt":"2026-11-27T00:00:00Z","name":"CVE-2024-1","score":"8","cvssv3":[],"epssProbability":1e400,"vulnerableAsset":{"tags":["a",{"key":7}],"cloudPlatform":""}}`))
	f.Add([]byte(`{"id":"x","updatedAt":"2026-11-27T00:00:00Z","result":"Other","rule":{"securitySubCategories":[null,{"category":[]},{"category":{"framework":"MITRE"}}]},"resource":{"subscription":[],"tags":{"a":null}}}`))
	f.Add([]byte(`{"id":"x","updatedAt":"2026-11-27T00:00:00Z","severity":"Other","ruleMatch":{"rule":{"securitySubCategories":[{"externalId":".","category":{"framework":{"name":"MITRE ATT&CK"}}}]}},"triggeringEvents":{"nodes":[1,{"id":7,"actorIP":"300.1.1.1"}],"totalCount":9999999999},"primaryActor":{"type":"PROCESS","name":"p"},"primaryResource":{"cloudAccount":{"cloudProvider":"AWS"}}}`))
	// Addresses Go's parser and OCSF's ip_t regex might judge apart.
	for _, ip := range []string{"::ffff:1.2.3.4", "1::", "::", "fe80::1%eth0", "0.0.0.0", "01.2.3.4", " 1.2.3.4", "1.2.3.4.5", "::1%"} {
		f.Add([]byte(`{"id":"x","timestamp":"2026-11-27T00:00:00Z","action":"UpdateUser","sourceIP":"` + ip + `"}`))
	}
	v := newValidator(readDefinitions(f), false)
	f.Fuzz(func(t *testing.T, node []byte) {
		for _, lt := range logtype.All {
			for _, tf := range lt.TimeFields {
				lr := plog.NewLogRecord()
				if _, err := lt.Mapper(tf).Map(node, lr); err != nil {
					continue
				}
				checkConversion(t, v, lt.Name, lr, node)
			}
		}
	})
}

// FuzzConvertPushed feeds arbitrary payloads to the webhook's mapping and
// converts what it takes, as FuzzConvert does.
func FuzzConvertPushed(f *testing.F) {
	for _, payload := range pushedPayloads(f) {
		f.Add(payload)
	}
	f.Add([]byte(`{"trigger":{"source":"ISSUE","type":7},"issue":{"id":12,"created":"2026-11-27 10:15:30","status":"In Progress","severity":"informational"},"resource":{"cloudPlatform":"AWS","subscriptionId":123}}`))
	f.Add([]byte(`{"trigger":{"source":"THREATS"},"threat":{"id":"t","detectionIds":" , a,,b ","mitreTechniques":["T1.", "", 3],"actors":[{"type":"PROCESS"}],"resources":[{}]}}`))
	f.Add([]byte(`{"trigger":{"source":"DETECTIONS"},"id":"d","primaryResource":{"id":"r"},"resources":[{"id":"r"},{"name":"n"}],"triggeringEvent":{"actorIP":"2001:db8::1"},"timeframe":{"start":"x"}}`))
	v := newValidator(readDefinitions(f), false)
	f.Fuzz(func(t *testing.T, payload []byte) {
		lr := plog.NewLogRecord()
		p, err := logtype.MapPushed(payload, observed, lr)
		if err != nil {
			return
		}
		checkConversion(t, v, p.Type.Name, lr, payload)
	})
}

// checkConversion converts lr, a record of logType mapped from input: into
// a valid event, or with an error that leaves it as it was.
func checkConversion(t *testing.T, v *validator, logType string, lr plog.LogRecord, input []byte) {
	t.Helper()
	before := plog.NewLogRecord()
	lr.CopyTo(before)
	if err := ocsf.Convert(logType, lr); err != nil {
		if !errors.Is(err, ocsf.ErrIncomplete) && !errors.Is(err, ocsf.ErrNoClass) {
			t.Fatalf("%s %q: %v", logType, input, err)
		}
		if !lrEqual(before, lr) {
			t.Fatalf("%s %q: %v, and the record changed", logType, input, err)
		}
		return
	}
	if problems := v.problems(lr.Body().Map()); len(problems) > 0 {
		t.Fatalf("%s %q converts into an invalid event: %q", logType, input, problems)
	}
}

func lrEqual(a, b plog.LogRecord) bool {
	return a.Body().Equal(b.Body()) && a.Attributes().Equal(b.Attributes()) && a.Timestamp() == b.Timestamp()
}
