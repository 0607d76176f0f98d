// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import "time"

// Telemetry is what a stream counts: the receiver records it as its
// metrics, with the stream's log type (documented in documentation.md).
type Telemetry interface {
	// Emitted counts records the next consumer accepted.
	Emitted(n int)
	// Flattened counts accepted records whose body kept its deepest values
	// as JSON text.
	Flattened(n int)
	// Refused counts records the next consumer refused for good, which are
	// dropped.
	Refused(n int)
	// Unmappable counts nodes without an id or a valid polled time, which
	// are dropped.
	Unmappable(n int)
	// Unconverted counts a record Format could not convert, which went out
	// in Wiz's native shape, and why.
	Unconverted(err error)
	// Deduplicated counts records dropped as delivered before.
	Deduplicated(n int)
	// FieldDropped counts a field the query no longer selects, as Wiz's
	// schema no longer has it.
	FieldDropped(field string)
	// Polled records a poll's end: the checkpoint's watermark, the time of
	// the last record, and whether the poll succeeded.
	Polled(now, watermark, lastRecord time.Time, ok bool)
	// NoEvents sets the no-events alert: raised or cleared.
	NoEvents(raised bool)
}
