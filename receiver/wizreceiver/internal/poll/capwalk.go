// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"fmt"
	"time"
)

// capWalk is a capped window's record of its walks, stored with the window.
type capWalk struct {
	// Until, when set, is where the part still to read ends: earlier walks
	// were cut short by Wiz's result cap after delivering everything in
	// (Until, End], so the next walk queries [Start, Until].
	Until time.Time `json:"until,omitzero"`
	// Served counts the nodes Wiz served in this walk before the cursor.
	// Wiz's result cap counts the whole walk, so a walk resumed after a
	// restart must know what its earlier pages used up.
	Served int `json:"served,omitempty"`
	// Oldest is the oldest polled time this walk was served. Descending
	// records that a node came older than the one before it, Unordered that
	// one came newer. Only a capped walk seen going down, never up, covers
	// (Oldest, queryEnd], which is what lets the next walk start where it
	// stopped; nodes all on one microsecond show no order at all.
	Oldest     time.Time `json:"oldest,omitzero"`
	Descending bool      `json:"descending,omitempty"`
	Unordered  bool      `json:"unordered,omitempty"`
	// MaxCountReached is Wiz's own word on whether the walk reached the
	// cap, where its connection reports maxCountReached; nil when it does
	// not.
	MaxCountReached *bool `json:"max_count_reached,omitempty"`
}

// restartWalk forgets the walk in progress but not where earlier walks of
// the window left off.
func (c *capWalk) restartWalk() {
	*c = capWalk{Until: c.Until}
}

func (c capWalk) String() string {
	return fmt.Sprintf("until %s, %d served", c.Until, c.Served)
}
