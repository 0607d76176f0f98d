package wizreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
)

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

// window is one range [Start, End] of the polled time field; once it has
// been read in full, the watermark moves to End.
type window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Until, when set, is where the part still to read ends: earlier walks
	// were cut short by Wiz's result cap after delivering everything in
	// (Until, End], so the next walk queries [Start, Until].
	Until  time.Time `json:"until,omitzero"`
	Cursor string    `json:"cursor,omitempty"`
	// Served counts the nodes Wiz served in this walk before Cursor. Wiz's
	// result cap counts the whole walk, so a walk resumed after a restart
	// must know what its earlier pages used up.
	Served int `json:"served,omitempty"`
	// Oldest is the oldest polled time this walk was served. Descending
	// records that a node came older than the one before it, Unordered that
	// one came newer. Only a capped walk seen going down, never up, covers
	// (Oldest, queryEnd], which is what lets the next walk start where it
	// stopped; nodes all on one microsecond show no order at all.
	Oldest     time.Time `json:"oldest,omitzero"`
	Descending bool      `json:"descending,omitempty"`
	Unordered  bool      `json:"unordered,omitempty"`
}

// queryEnd is the upper bound of the window's next walk.
func (w *window) queryEnd() time.Time {
	if w.Until.IsZero() {
		return w.End
	}
	return w.Until
}

// restartWalk forgets the walk in progress, so the next one reads the
// window's remaining part from its first page.
func (w *window) restartWalk() {
	w.Cursor, w.Served, w.Oldest, w.Descending, w.Unordered = "", 0, time.Time{}, false, false
}

// seenKey is a hashed record key and the record's polled time, kept so the
// set can be pruned as the watermark moves.
type seenKey struct {
	Hash uint64 `json:"h"`
	Time int64  `json:"t"`
}

// hashKey reduces a record key to 64 bits: checkpoints stay small, and a
// collision among the few thousand keys of an overlap window is negligible.
func hashKey(k mapping.Key) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(k.ID))
	_, _ = h.Write([]byte{'|'})
	_, _ = h.Write(strconv.AppendInt(nil, k.Time.UnixNano(), 10))
	return h.Sum64()
}

// seenSet is the in-memory form of checkpoint.Seen.
type seenSet map[uint64]int64

func (s seenSet) toSlice() []seenKey {
	out := make([]seenKey, 0, len(s))
	for h, t := range s {
		out = append(out, seenKey{Hash: h, Time: t})
	}
	// A stable order keeps stored checkpoints comparable.
	slices.SortFunc(out, func(a, b seenKey) int {
		if a.Time != b.Time {
			return int(min(max(a.Time-b.Time, -1), 1))
		}
		if a.Hash < b.Hash {
			return -1
		}
		if a.Hash > b.Hash {
			return 1
		}
		return 0
	})
	return out
}

// keepOnly forgets the keys whose time keep rejects.
func (s seenSet) keepOnly(keep func(t int64) bool) {
	for h, ts := range s {
		if !keep(ts) {
			delete(s, h)
		}
	}
}

// checkpointStore reads and writes one stream's checkpoint.
type checkpointStore struct {
	client storage.Client
	key    string
}

// errUnusableCheckpoint marks a stored checkpoint this receiver cannot use
// (corrupt, another version, invalid): the caller logs it and falls back to
// initial_lookback. Any other load error is the storage failing, and falling
// back would silently move the stream's position.
var errUnusableCheckpoint = errors.New("unusable checkpoint")

// load returns the stored checkpoint, or ok=false when there is none.
func (s checkpointStore) load(ctx context.Context) (cp checkpoint, ok bool, err error) {
	raw, err := s.client.Get(ctx, s.key)
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("reading checkpoint %q from the storage extension: %w", s.key, err)
	}
	cp, err = s.decode(raw)
	return cp, err == nil && len(raw) > 0, err
}

func (s checkpointStore) decode(raw []byte) (cp checkpoint, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w: %w", errUnusableCheckpoint, err)
		}
	}()
	if len(raw) == 0 {
		return checkpoint{}, nil
	}
	if err := json.Unmarshal(raw, &cp); err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint %q is corrupt: %w", s.key, err)
	}
	if cp.Version != checkpointVersion {
		return checkpoint{}, fmt.Errorf("checkpoint %q has version %d, this receiver reads version %d", s.key, cp.Version, checkpointVersion)
	}
	if cp.Watermark.IsZero() {
		return checkpoint{}, fmt.Errorf("checkpoint %q has no watermark", s.key)
	}
	if w := cp.Window; w != nil && (w.Start.IsZero() || w.End.Before(w.Start) || w.Served < 0 ||
		(!w.Until.IsZero() && (w.Until.Before(w.Start) || w.Until.After(w.End)))) {
		return checkpoint{}, fmt.Errorf("checkpoint %q has an invalid window [%s, %s] (until %s, %d served)", s.key, w.Start, w.End, w.Until, w.Served)
	}
	return cp, nil
}

func (s checkpointStore) save(ctx context.Context, cp checkpoint) error {
	cp.Version = checkpointVersion
	raw, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	if err := s.client.Set(ctx, s.key, raw); err != nil {
		return fmt.Errorf("writing checkpoint %q: %w", s.key, err)
	}
	return nil
}

// getStorageClient returns the client of the configured storage extension,
// or a no-op client when none is configured.
func getStorageClient(ctx context.Context, host component.Host, storageID *component.ID, self component.ID) (storage.Client, error) {
	if storageID == nil {
		return storage.NewNopClient(), nil
	}
	ext, ok := host.GetExtensions()[*storageID]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q not found: declare it under extensions and list it in service.extensions", storageID)
	}
	storageExt, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension: use a file_storage extension", storageID)
	}
	return storageExt.GetClient(ctx, component.KindReceiver, self, "")
}
