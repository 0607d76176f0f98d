// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

// MaxBodyDepth is maxBodyDepth, for the differential tests.
const MaxBodyDepth = maxBodyDepth

// MaxAttrs is the most attributes m sets, which it allocates for at once;
// 0 for a mapper this switch does not know yet.
func MaxAttrs(m Mapper) int {
	switch m.(type) {
	case Audit:
		return auditAttrs
	case Issue:
		return issueAttrs
	case VulnerabilityFinding:
		return vulnerabilityFindingAttrs
	case ConfigurationFinding:
		return configurationFindingAttrs
	case Detection:
		return detectionAttrs
	default:
		return 0
	}
}
