// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import "time"

// window is one range [Start, End] of the polled time field; once it has
// been read in full, the watermark moves to End.
type window struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Cursor string    `json:"cursor,omitempty"`
	// capWalk is the result cap's record of the window's walks (see
	// capwalk.go); it stays empty for log types without a cap. Embedded,
	// its fields sit beside the others in the stored JSON.
	capWalk
}

// restartWalk forgets the walk in progress, so the next one reads the
// window's remaining part from its first page.
func (w *window) restartWalk() {
	w.Cursor = ""
	w.capWalk.restartWalk()
}

// restart forgets every walk of the window, so the next one reads all of
// it: the query changed, and may match records in parts read before.
func (w *window) restart() {
	w.Cursor = ""
	w.capWalk = capWalk{}
}

// capWalkValid reports whether the window's stored capWalk fits it: Until,
// when set, lies within [Start, End].
func (w *window) capWalkValid() bool {
	return w.Served >= 0 && (w.Until.IsZero() || (!w.Until.Before(w.Start) && !w.Until.After(w.End)))
}
