// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import "go.opentelemetry.io/collector/pdata/pcommon"

// ThreatAttributes reads a Wiz.Threats payload: the threat object of Wiz's
// fixed threat body, where empty values arrive as "".
func ThreatAttributes(payload, attrs pcommon.Map) {
	threat, ok := obj(payload, "threat")
	if !ok {
		return
	}
	putStr(attrs, "wiz.threat.id", text(threat, "id"))
	putStr(attrs, "wiz.threat.status", text(threat, "status"))
	putStr(attrs, "wiz.threat.severity", text(threat, "severity"))
	putStr(attrs, "wiz.threat.created_at", text(threat, "created"))
	putStr(attrs, "wiz.threat.updated_at", text(threat, "updatedAt"))
	platform := text(threat, "cloudPlatform")
	putStr(attrs, "wiz.cloud_platform", platform)
	putStr(attrs, "cloud.provider", cloudProvider(platform))
}
