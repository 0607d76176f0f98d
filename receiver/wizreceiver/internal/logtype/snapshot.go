// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package logtype

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Snapshots is how a log type that supports posture snapshots is read
// whole: the statuses Wiz knows for it, and the field its walk is
// partitioned on.
type Snapshots struct {
	// Partition is a time field that never changes once a node exists
	// (when Wiz first saw the finding): the walk is split into disjoint
	// ranges of it, each small enough for Wiz's result cap, and a node
	// that changes during the walk stays in its range.
	Partition TimeField
	// Statuses are the statuses Wiz knows for the log type's nodes.
	Statuses []string
}

// SnapshotConfig is the snapshot option of a section whose log type
// supports posture snapshots.
type SnapshotConfig struct {
	// Interval is how often a snapshot starts; 0 takes none.
	Interval time.Duration `mapstructure:"interval"`
	// Statuses are the statuses of the findings a snapshot holds.
	Statuses []string `mapstructure:"statuses"`
}

// defaultSnapshot is a section's snapshot option by default: off, and
// open findings when turned on.
func defaultSnapshot() SnapshotConfig {
	return SnapshotConfig{Statuses: []string{"OPEN"}}
}

// snapshotSelector is a section with a snapshot option.
type snapshotSelector interface {
	snapshot() *SnapshotConfig
}

// validate checks the snapshot option against the statuses Wiz knows;
// errors name the option without the section's key.
func (c *SnapshotConfig) validate(known []string) error {
	var errs []error
	if c.Interval < 0 {
		errs = append(errs, fmt.Errorf("snapshot.interval must not be negative, got %s: use 0 to take no snapshots, or a period such as 24h", c.Interval))
	} else if c.Interval > 0 && c.Interval < time.Minute {
		errs = append(errs, fmt.Errorf("snapshot.interval %s is shorter than a minute: a snapshot reads every finding, so use a period such as 24h (or 0 to take none)", c.Interval))
	}
	if c.Interval == 0 {
		// Off: the statuses matter only once snapshots are turned on.
		return errors.Join(append(errs, validateValues("snapshot.statuses", "status", c.Statuses, known))...)
	}
	return errors.Join(append(errs, validateList("snapshot.statuses", "status", c.Statuses, known))...)
}

// SnapshotQuery is what a stream needs to take the log type's posture
// snapshots as configured.
type SnapshotQuery struct {
	Interval time.Duration
	// Partition is the field the walk is split on.
	Partition TimeField
	// Filter holds the fixed filterBy entries of a snapshot: the
	// section's, with the snapshot's statuses in place of the stream's,
	// and the project filter. A snapshot sends no time window but its
	// partition's.
	Filter map[string]any
}

// snapshotQuery resolves the snapshot option of cfg; nil when the log type
// takes no snapshots or cfg turns them off.
func (lt *LogType) snapshotQuery(cfg Config, filter map[string]any) *SnapshotQuery {
	sel, ok := cfg.(snapshotSelector)
	if !ok || lt.Snapshots == nil || sel.snapshot().Interval <= 0 {
		return nil
	}
	snap := maps.Clone(filter)
	if snap == nil {
		snap = map[string]any{}
	}
	snap["status"] = slices.Clone(sel.snapshot().Statuses)
	return &SnapshotQuery{Interval: sel.snapshot().Interval, Partition: lt.Snapshots.Partition, Filter: snap}
}
