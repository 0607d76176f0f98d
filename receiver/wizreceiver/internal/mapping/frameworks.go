// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// frameworkEntry is one security sub-category a rule or finding maps onto:
// an entry (title, externalId) of a category of a framework, such as
// "T1110 Brute Force" under "Credential Access" in MITRE ATT&CK.
type frameworkEntry struct {
	framework, category, title, externalID string
}

// frameworkEntries reads the securitySubCategories of each of owners.
func frameworkEntries(owners ...pcommon.Map) []frameworkEntry {
	var out []frameworkEntry
	for _, owner := range owners {
		subs, ok := list(owner, "securitySubCategories")
		if !ok {
			continue
		}
		for _, v := range subs.All() {
			if v.Type() != pcommon.ValueTypeMap {
				continue
			}
			sub := v.Map()
			e := frameworkEntry{title: str(sub, "title"), externalID: str(sub, "externalId")}
			if category, ok := obj(sub, "category"); ok {
				e.category = str(category, "name")
				if framework, ok := obj(category, "framework"); ok {
					e.framework = str(framework, "name")
				}
			}
			out = append(out, e)
		}
	}
	return out
}

// isMITRE reports whether Wiz's framework name is MITRE ATT&CK's ("MITRE
// ATT&CK Matrix"); Wiz maps rules onto frameworks of its own too.
func isMITRE(framework string) bool {
	return strings.HasPrefix(strings.ToUpper(framework), "MITRE ATT&CK")
}

// putDistinct sets key to a string slice of the distinct non-empty values,
// in the order they first appear.
func putDistinct(attrs pcommon.Map, key string, values []string) {
	var distinct []string
	for _, v := range values {
		if v != "" && !slices.Contains(distinct, v) {
			distinct = append(distinct, v)
		}
	}
	if len(distinct) == 0 {
		return
	}
	s := attrs.PutEmptySlice(key)
	s.EnsureCapacity(len(distinct))
	for _, v := range distinct {
		s.AppendEmpty().SetStr(v)
	}
}
