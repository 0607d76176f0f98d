// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/ocsf"
)

// The validator finds what the OCSF server would: a check that passed
// everything would prove nothing.
func TestValidatorFindsWhatIsWrong(t *testing.T) {
	v := newValidator(readDefinitions(t), true)
	convert := func(lt *logtype.LogType) pcommon.Map {
		s := polledSamples(t, lt, lt.TimeFields[0])[0]
		require.NoError(t, ocsf.Convert(s.logType, s.record))
		require.Empty(t, v.problems(s.record.Body().Map()))
		return s.record.Body().Map()
	}
	finding, audit := convert(&logtype.VulnerabilityFindings), convert(&logtype.Audit)
	at := func(m pcommon.Map, path ...string) pcommon.Map {
		for _, key := range path {
			v, ok := m.Get(key)
			require.True(t, ok, key)
			if v.Type() == pcommon.ValueTypeSlice {
				v = v.Slice().At(0)
			}
			m = v.Map()
		}
		return m
	}
	tests := []struct {
		name   string
		base   pcommon.Map
		mutate func(ev pcommon.Map)
		want   string
	}{
		{"a required attribute missing", finding, func(ev pcommon.Map) { at(ev, "finding_info").Remove("uid") },
			"finding_info.uid: required by Finding Information, missing"},
		{"a class that is not defined", finding, func(ev pcommon.Map) { ev.PutInt("class_uid", 2099) },
			"class_uid: 2099 is none of the defined classes"},
		{"type_uid not class_uid*100+activity_id", finding, func(ev pcommon.Map) { ev.PutInt("type_uid", 200201) },
			"type_uid: 200201 is not class_uid*100+activity_id (200202)"},
		{"a category not the class's", finding, func(ev pcommon.Map) { ev.PutInt("category_uid", 6) },
			"category_uid: 6 is not a value of its enum"},
		{"an enum value not defined", finding, func(ev pcommon.Map) { ev.PutInt("severity_id", 7) },
			"severity_id: 7 is not a value of its enum"},
		{"a caption not the enum value's", finding, func(ev pcommon.Map) { ev.PutStr("severity", "Severe") },
			`severity: "Severe", not "Critical", the caption of severity_id 5`},
		{"a float for an integer", finding, func(ev pcommon.Map) { ev.PutDouble("severity_id", 5) },
			"severity_id: is a Double, not a integer_t"},
		{"an integer for a float", finding, func(ev pcommon.Map) { at(ev, "vulnerabilities", "cve", "cvss").PutInt("base_score", 8) },
			"vulnerabilities[0].cve.cvss[0].base_score: is a Int, not a float_t"},
		{"a time as text", finding, func(ev pcommon.Map) { ev.PutStr("time", "2026-11-27T06:09:51Z") },
			"time: is a Str, not a timestamp_t"},
		{"a time in nanoseconds", finding, func(ev pcommon.Map) { ev.PutInt("time", 1795759791003412000) },
			"time: 1795759791003412000 ms is"},
		{"an attribute the class does not define", finding, func(ev pcommon.Map) { ev.PutStr("wiz_status", "OPEN") },
			"wiz_status: Vulnerability Finding defines no such attribute"},
		{"a profile's attribute without the profile", finding, func(ev pcommon.Map) { at(ev, "metadata").Remove("profiles") },
			"cloud: Vulnerability Finding defines no such attribute (with profiles [])"},
		{"a profile the class does not have", finding, func(ev pcommon.Map) {
			at(ev, "metadata").PutEmptySlice("profiles").AppendEmpty().SetStr("trace")
		}, `metadata.profiles[0]: "trace" is not a profile of Vulnerability Finding`},
		{"both a CVE and an advisory", finding, func(ev pcommon.Map) { at(ev, "vulnerabilities").PutEmptyMap("advisory").PutStr("uid", "x") },
			"vulnerabilities[0]: Vulnerability Details needs exactly one of [advisory cve cwe], has 2"},
		{"an object with neither id nor name", finding, func(ev pcommon.Map) {
			at(ev, "resources").Remove("uid")
			at(ev, "resources").Remove("name")
		}, "resources[0]: Resource Details needs at least one of [name uid]"},
		{"an empty array", finding, func(ev pcommon.Map) { ev.PutEmptySlice("resources") },
			"resources: is an empty array"},
		{"an object where text belongs", finding, func(ev pcommon.Map) { at(ev, "finding_info").PutEmptyMap("title") },
			"finding_info.title: is a Map, not a string_t"},
		{"text where an array belongs", finding, func(ev pcommon.Map) { at(ev, "finding_info").PutStr("types", "Vulnerability Finding") },
			"finding_info.types: is a Str, not an array"},
		{"a deprecated attribute", finding, func(ev pcommon.Map) { at(ev, "vulnerabilities").PutBool("fix_available", true) },
			"vulnerabilities[0].fix_available: deprecated"},
		{"an object the definitions leave out", finding, func(ev pcommon.Map) { ev.PutEmptyMap("device") },
			"device: object device is not in"},
		{"another schema version", finding, func(ev pcommon.Map) { at(ev, "metadata").PutStr("version", "1.4.0") },
			`metadata.version: "1.4.0", not 1.5.0`},
		{"an address that is not an IP", audit, func(ev pcommon.Map) { at(ev, "src_endpoint").PutStr("ip", "localhost") },
			`src_endpoint.ip: "localhost" is not a ip_t`},
		{"an e-mail address that is not one", audit, func(ev pcommon.Map) { at(ev, "user").PutStr("email_addr", "dana") },
			`user.email_addr: "dana" is not a email_t`},
		{"a class's constraint", audit, func(ev pcommon.Map) { ev.Remove("service") },
			"Authentication needs at least one of [service dst_endpoint]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := pcommon.NewMap()
			tt.base.CopyTo(ev)
			tt.mutate(ev)
			problems := v.problems(ev)
			assert.True(t, strings.Contains(strings.Join(problems, "\n"), tt.want), "want %q among %q", tt.want, problems)
		})
	}
}
