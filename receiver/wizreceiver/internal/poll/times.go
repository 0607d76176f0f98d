// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import "time"

// Wiz timestamps carry microseconds: a query bound is widened by one tick.
const timeTick = time.Microsecond

// formatTime is t as a query bound: RFC 3339 in UTC, with Wiz's
// microseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
