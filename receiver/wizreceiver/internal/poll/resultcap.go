// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"time"
)

// resultCap is what the walker asks of a log type's result cap: Wiz stops
// serving a query after a fixed number of nodes, its pages together, so a
// window that holds more must be narrowed and read again. Log types without
// a cap use noCap, and the walker never looks inside a window's capWalk;
// capped ones use windowCap.
type resultCap interface {
	// queryEnd is the upper bound of the window's next walk.
	queryEnd(w *window) time.Time
	// keepsWalkKeys reports whether the keys of a walk in progress are all
	// kept: a narrowed window's next walk may read any of them again.
	keepsWalkKeys() bool
	// rereads reports whether the window's next walk reads polled time t
	// again.
	rereads(w *window, t int64) bool
	// accepted records a page of the walk the next consumer accepted: the
	// nodes Wiz served in it, its maxCountReached, and the polled times of
	// its mapped nodes in the order Wiz served them.
	accepted(w *window, served int, maxCountReached *bool, times []time.Time)
	// narrow shrinks a window whose walk may have been cut short by the
	// cap and reports whether it must be read again. prune lets go of the
	// keys no later query reads.
	narrow(cp *checkpoint, prune func()) bool
}

// noCap is the result cap of log types Wiz serves in full.
type noCap struct{}

func (noCap) queryEnd(w *window) time.Time              { return w.End }
func (noCap) keepsWalkKeys() bool                       { return false }
func (noCap) rereads(*window, int64) bool               { return false }
func (noCap) accepted(*window, int, *bool, []time.Time) {}
func (noCap) narrow(*checkpoint, func()) bool           { return false }
