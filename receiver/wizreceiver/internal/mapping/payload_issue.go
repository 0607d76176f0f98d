// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mapping

import "go.opentelemetry.io/collector/pdata/pcommon"

// IssueWebhookAttributes reads a Wiz.IssuesWebhook payload, in the shape of
// Wiz's default issue template: issue, resource and control objects. A
// template the user edited may lack any of them; what is missing is left
// out.
func IssueWebhookAttributes(payload, attrs pcommon.Map) {
	if issue, ok := obj(payload, "issue"); ok {
		putStr(attrs, "wiz.issue.id", text(issue, "id"))
		putStr(attrs, "wiz.issue.status", text(issue, "status"))
		putStr(attrs, "wiz.issue.severity", text(issue, "severity"))
		putStr(attrs, "wiz.issue.created_at", text(issue, "created"))
	}
	if control, ok := obj(payload, "control"); ok {
		putStr(attrs, "security_rule.uuid", text(control, "id"))
		putStr(attrs, "security_rule.name", text(control, "name"))
	}
	if resource, ok := obj(payload, "resource"); ok {
		// The template's resource.type is the native type, and
		// resource.id the provider's id of the resource.
		putStr(attrs, "wiz.issue.entity.name", text(resource, "name"))
		putStr(attrs, "wiz.issue.entity.native_type", text(resource, "type"))
		putCloud(attrs, cloudLocation{platform: text(resource, "cloudPlatform"), region: text(resource, "region"),
			accountID: text(resource, "subscriptionId"), resourceID: text(resource, "id")})
	}
}
