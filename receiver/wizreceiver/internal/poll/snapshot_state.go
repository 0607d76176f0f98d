// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// snapshotStateVersion is bumped when the stored form of snapshotState
// changes incompatibly; a state of another version is dropped with a
// warning, and the next snapshot starts afresh.
const snapshotStateVersion = 1

// snapshotState is a stream's posture snapshots, stored under a key of its
// own beside the checkpoint: when the last one started, and the one being
// taken, so that a restart continues it where it stood.
type snapshotState struct {
	Version int `json:"version"`
	// Fingerprint identifies the query settings Open's cursor and ranges
	// belong to.
	Fingerprint string `json:"fingerprint"`
	// LastStartedAt is when the last completed snapshot started; the next
	// starts an interval later.
	LastStartedAt time.Time     `json:"last_started_at,omitzero"`
	Open          *openSnapshot `json:"open,omitempty"`
}

// openSnapshot is a snapshot being taken: its walk through the partitions
// of the partition field, oldest first.
type openSnapshot struct {
	ID        string    `json:"id"`
	StartedAt time.Time `json:"started_at"`
	// From and To bound the partition being read, both included; the
	// partitions before it were read whole.
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Cursor string    `json:"cursor,omitempty"`
	// Served counts the nodes Wiz served this walk of the partition: its
	// result cap counts the whole walk. MaxCountReached is Wiz's own word
	// on the walk, where the query selects it.
	Served          int   `json:"served,omitempty"`
	MaxCountReached *bool `json:"max_count_reached,omitempty"`
	// Records counts the records the consumer accepted so far; Refused
	// those it refused for good, which are not sent again.
	Records int `json:"records"`
	Refused int `json:"refused,omitempty"`
	// Truncated is set when a partition too narrow to split reached the
	// cap, or the walk was cut short: the snapshot may miss findings, and
	// its end marker says so.
	Truncated bool `json:"truncated,omitempty"`
	// Splits counts the walks that reached the cap, against the
	// snapshot's budget (splitBudget); CappedPartitions those too narrow
	// to halve. CutShort is set when the budget was spent and the rest of
	// the walk was not read.
	Splits           int  `json:"splits,omitempty"`
	CappedPartitions int  `json:"capped_partitions,omitempty"`
	CutShort         bool `json:"cut_short,omitempty"`
	// Seen holds the keys (finding id and partition time) delivered in
	// partitions not yet read whole: a partition split after its walk hit
	// the cap reads them again.
	Seen []seenKey `json:"seen,omitempty"`
}

// complete reports whether the snapshot holds every finding in its
// statuses: Wiz's cap cut nothing short, and the consumer refused nothing.
func (o *openSnapshot) complete() bool {
	return !o.Truncated && o.Refused == 0
}

// snapshotStore reads and writes a stream's snapshotState.
type snapshotStore struct {
	client storage.Client
	key    string
}

// load returns the stored state, or the zero state when there is none;
// errUnusableCheckpoint marks a stored state this receiver cannot use.
func (s snapshotStore) load(ctx context.Context) (snapshotState, error) {
	raw, err := s.client.Get(ctx, s.key)
	if err != nil {
		return snapshotState{}, fmt.Errorf("reading snapshot state %q from the storage extension: %w", s.key, err)
	}
	if len(raw) == 0 {
		return snapshotState{}, nil
	}
	var st snapshotState
	if err := json.Unmarshal(raw, &st); err != nil {
		return snapshotState{}, fmt.Errorf("%w: snapshot state %q is corrupt: %w", errUnusableCheckpoint, s.key, err)
	}
	if st.Version != snapshotStateVersion {
		return snapshotState{}, fmt.Errorf("%w: snapshot state %q has version %d, this receiver reads version %d",
			errUnusableCheckpoint, s.key, st.Version, snapshotStateVersion)
	}
	if o := st.Open; o != nil && (o.ID == "" || o.StartedAt.IsZero() || o.To.Before(o.From) || o.Served < 0 || o.Records < 0 || o.Refused < 0 || o.Splits < 0 || o.CappedPartitions < 0) {
		return snapshotState{}, fmt.Errorf("%w: snapshot state %q has an invalid open snapshot", errUnusableCheckpoint, s.key)
	}
	return st, nil
}

func (s snapshotStore) save(ctx context.Context, st snapshotState) error {
	st.Version = snapshotStateVersion
	return putJSON(ctx, s.client, s.key, "snapshot state", st)
}

// isUnusable reports whether err marks stored state this receiver cannot
// use, rather than the storage failing.
func isUnusable(err error) bool {
	return errors.Is(err, errUnusableCheckpoint)
}
