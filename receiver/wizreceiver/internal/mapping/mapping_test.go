// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestSeverityNumber(t *testing.T) {
	for wiz, want := range map[string]plog.SeverityNumber{
		"INFORMATIONAL": plog.SeverityNumberInfo,
		"NONE":          plog.SeverityNumberInfo,
		"LOW":           plog.SeverityNumberWarn,
		"MEDIUM":        plog.SeverityNumberError,
		"HIGH":          plog.SeverityNumberError4,
		"CRITICAL":      plog.SeverityNumberFatal,
		"":              plog.SeverityNumberInfo,
	} {
		assert.Equal(t, want, severityNumber(wiz), wiz)
	}
}

func TestCloudProvider(t *testing.T) {
	for wiz, want := range map[string]string{
		"AWS": "aws", "Azure": "azure", "GCP": "gcp", "OCI": "oracle_cloud", "Alibaba": "alibaba_cloud",
		"IBM": "ibm_cloud", "Kubernetes": "", "OpenShift": "", "": "",
	} {
		assert.Equal(t, want, cloudProvider(wiz), wiz)
	}
}
