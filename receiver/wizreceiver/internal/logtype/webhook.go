// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

// Webhook is any other payload: a trigger.source the receiver does not know
// (a new Wiz trigger, say), or an object of no known shape. It is emitted
// as sent, with the trigger's attributes when it has one, at the time it
// arrived; the receiver logs a warning for each.
var Webhook = PushedType{
	Name:      "Wiz.Webhook",
	EventName: "wiz.webhook.payload",
}
