// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import "go.opentelemetry.io/collector/pdata/pcommon"

// cloudLocation is where the resource a record is about lives, as Wiz
// describes it.
type cloudLocation struct {
	// platform is Wiz's cloudPlatform as Wiz spells it (AWS, Azure, EKS,
	// Kubernetes, …); provider is the account's cloudProvider, where Wiz
	// gives one: an EKS resource lives in an AWS account.
	platform, provider string
	region, accountID  string
	resourceID         string
}

// putCloud sets wiz.cloud_platform and the cloud.* attributes. The
// account's provider decides cloud.provider; without one, the platform
// does.
func putCloud(attrs pcommon.Map, c cloudLocation) {
	putStr(attrs, "wiz.cloud_platform", c.platform)
	provider := cloudProvider(c.provider)
	if provider == "" {
		provider = cloudProvider(c.platform)
	}
	putStr(attrs, "cloud.provider", provider)
	putStr(attrs, "cloud.region", c.region)
	putStr(attrs, "cloud.account.id", c.accountID)
	putStr(attrs, "cloud.resource_id", c.resourceID)
}

// putAsset sets wiz.asset.id, .type and .name: the resource a finding or a
// detection is about.
func putAsset(attrs pcommon.Map, resource pcommon.Map) {
	putStr(attrs, "wiz.asset.id", str(resource, "id"))
	putStr(attrs, "wiz.asset.type", str(resource, "type"))
	putStr(attrs, "wiz.asset.name", str(resource, "name"))
}
