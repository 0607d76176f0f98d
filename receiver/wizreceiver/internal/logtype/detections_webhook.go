// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import "github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"

// DetectionsWebhook is a Wiz Defend threat detection, pushed in Wiz's fixed
// detection body with its triggering events. createdAt has nine fractional
// digits, all kept.
var DetectionsWebhook = PushedType{
	Name:          "Wiz.Detections",
	EventName:     "wiz.webhook.detection",
	TriggerSource: "DETECTIONS",
	Shape:         []string{"tdrId", "createdAt"},
	PushedFields: mapping.PushedFields{
		ID:         "id",
		TimeFields: []string{"createdAt"},
		Severity:   "severity",
		Attributes: mapping.DetectionAttributes,
	},
}
