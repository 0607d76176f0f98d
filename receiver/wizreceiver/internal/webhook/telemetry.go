// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
)

// Telemetry is what the webhook counts: the receiver records it as its
// metrics (documented in documentation.md). The record counts are per log
// type, by its name, as the streams' are.
type Telemetry interface {
	// Responded counts an answer by its status code: every answer, the
	// authenticator's and the body decompressor's too.
	Responded(status int)
	// AuthFailed counts a request the authenticator refused.
	AuthFailed()
	// BodyRead counts the bytes of a request body read.
	BodyRead(bytes int)
	// Redelivered counts a body acknowledged without being emitted again.
	Redelivered()
	// Emitted counts records the next consumer accepted.
	Emitted(logType string, n int)
	// Flattened counts accepted records whose body kept its deepest values
	// as JSON text.
	Flattened(logType string, n int)
	// Refused counts records the next consumer refused for good, which are
	// dropped.
	Refused(logType string, n int)
	// Unconverted counts a record Format could not convert, which went out
	// in Wiz's native shape, and why.
	Unconverted(logType string, err error)
}

// countEmitted counts payloads the next consumer accepted, and those of
// them with a flattened body, per log type.
func countEmitted(t Telemetry, payloads []logtype.PushedRecord) {
	for typ, n := range countByType(payloads) {
		t.Emitted(typ, n)
	}
	for _, p := range payloads {
		if p.Flattened {
			t.Flattened(p.Type.Name, 1)
		}
	}
}

// countRefused counts payloads the next consumer refused for good, per log
// type.
func countRefused(t Telemetry, payloads []logtype.PushedRecord) {
	for typ, n := range countByType(payloads) {
		t.Refused(typ, n)
	}
}

// countByType is the number of payloads of each log type, by its name.
func countByType(payloads []logtype.PushedRecord) map[string]int {
	counts := map[string]int{}
	for _, p := range payloads {
		counts[p.Type.Name]++
	}
	return counts
}
