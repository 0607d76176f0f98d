// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// severityNumber maps a Wiz severity (issues, vulnerability findings,
// pushed payloads) onto the OpenTelemetry scale, in any letter case: pushed
// payloads also say High or Medium. NONE (a finding without a vendor
// rating) and unknown values are INFO so they are never dropped by a
// severity filter.
func severityNumber(wizSeverity string) plog.SeverityNumber {
	switch strings.ToUpper(wizSeverity) {
	case "LOW":
		return plog.SeverityNumberWarn
	case "MEDIUM":
		return plog.SeverityNumberError
	case "HIGH":
		return plog.SeverityNumberError4
	case "CRITICAL":
		return plog.SeverityNumberFatal
	default:
		return plog.SeverityNumberInfo
	}
}

// cloudProvider maps Wiz's cloudPlatform onto the semantic-convention
// cloud.provider values. Platforms that are not a cloud provider
// (Kubernetes, OpenShift, ...) return "".
func cloudProvider(platform string) string {
	switch strings.ToLower(platform) {
	case "aws":
		return "aws"
	case "azure":
		return "azure"
	case "gcp":
		return "gcp"
	case "oci":
		return "oracle_cloud"
	case "alibaba":
		return "alibaba_cloud"
	case "ibm":
		return "ibm_cloud"
	case "tencent":
		return "tencent_cloud"
	default:
		return ""
	}
}

// setSeverity sets the record's SeverityNumber from Wiz's severity, and
// keeps Wiz's word as its SeverityText.
func setSeverity(lr plog.LogRecord, severity string) {
	lr.SetSeverityNumber(severityNumber(severity))
	lr.SetSeverityText(severity)
}
