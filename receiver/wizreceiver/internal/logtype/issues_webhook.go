// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import "github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"

// IssuesWebhook is an issue a Wiz automation rule pushes, in the shape of
// Wiz's issue template. Users can edit the template, so a payload without
// a trigger is still an issue when it has an issue object. Its time is when
// the issue was created; Panther reads it the same way.
var IssuesWebhook = PushedType{
	Name:          "Wiz.IssuesWebhook",
	EventName:     "wiz.webhook.issue",
	TriggerSource: "ISSUE",
	Shape:         []string{"issue"},
	PushedFields: mapping.PushedFields{
		ID:         "issue.id",
		TimeFields: []string{"issue.created"},
		Severity:   "issue.severity",
		Attributes: mapping.IssueWebhookAttributes,
	},
}
