// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import "time"

// checkpointVersion is bumped when the stored format changes incompatibly;
// a checkpoint of another version is ignored with a warning.
const checkpointVersion = 1

// checkpoint is a stream's durable position. Everything with a polled time
// up to Watermark has been accepted downstream. Window is a query window
// still being paged through, resumed at Cursor after a restart. Seen holds
// the keys accepted at or after Watermark-overlap (and within Window), which
// the next query reads again on purpose and must drop.
type checkpoint struct {
	Version int `json:"version"`
	// Fingerprint identifies the query settings Window.Cursor belongs to.
	Fingerprint string    `json:"fingerprint"`
	Watermark   time.Time `json:"watermark"`
	Window      *window   `json:"window,omitempty"`
	Seen        []seenKey `json:"seen,omitempty"`
	// LastRecord is when the stream last delivered a record, so the
	// no-events alert survives restarts.
	LastRecord time.Time `json:"last_record,omitzero"`
}

// bound is the furthest the checkpoint's windows reached: the end of its
// open window, else its watermark. Every key it holds is dated no later,
// as a key is kept no later than its window's end.
func (cp *checkpoint) bound() time.Time {
	if cp.Window != nil {
		return maxTime(cp.Watermark, cp.Window.End)
	}
	return cp.Watermark
}
