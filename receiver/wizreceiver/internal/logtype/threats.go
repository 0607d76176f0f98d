// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import "github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"

// Threats is a Wiz Defend threat, pushed in Wiz's fixed threat body each
// time a rule fires on it; its time is its last update, else its creation
// (Wiz sends "" for a threat never updated). Panther has no log type for
// threats; the name follows its others.
var Threats = PushedType{
	Name:          "Wiz.Threats",
	EventName:     "wiz.webhook.threat",
	TriggerSource: "THREATS",
	Shape:         []string{"threat"},
	PushedFields: mapping.PushedFields{
		ID:         "threat.id",
		TimeFields: []string{"threat.updatedAt", "threat.created"},
		Severity:   "threat.severity",
		Attributes: mapping.ThreatAttributes,
	},
}
