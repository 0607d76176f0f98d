package wizreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
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
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Cursor string    `json:"cursor,omitempty"`
	// capWalk is the result cap's record of the window's walks (see
	// resultcap.go); it stays empty for log types without a cap. Embedded,
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

// checkpointStore reads and writes one stream's checkpoint, and notes in
// markers that it wrote one.
type checkpointStore struct {
	client storage.Client
	// markers holds, under each checkpoint's key, when that checkpoint was
	// first written. It is a storage client of its own (with file_storage,
	// a file of its own), so it outlives damage to the checkpoints' file: a
	// checkpoint missing where a marker says one was written was lost.
	markers storage.Client
	key     string
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
	if w := cp.Window; w != nil && (w.Start.IsZero() || w.End.Before(w.Start) || !w.capWalkValid()) {
		return checkpoint{}, fmt.Errorf("checkpoint %q has an invalid window [%s, %s] (%s)", s.key, w.Start, w.End, w.capWalk)
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

// firstWritten returns when the checkpoint was first written to this
// storage; ok is false when the storage never held it.
func (s checkpointStore) firstWritten(ctx context.Context) (at time.Time, ok bool, err error) {
	raw, err := s.markers.Get(ctx, s.key)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading the marker of checkpoint %q from the storage extension: %w", s.key, err)
	}
	if len(raw) == 0 {
		return time.Time{}, false, nil
	}
	// A marker that is not a time still says a checkpoint was written.
	at, _ = time.Parse(time.RFC3339Nano, string(raw))
	return at, true, nil
}

// mark notes that the checkpoint was first written at at.
func (s checkpointStore) mark(ctx context.Context, at time.Time) error {
	if err := s.markers.Set(ctx, s.key, []byte(at.UTC().Format(time.RFC3339Nano))); err != nil {
		return fmt.Errorf("writing the marker of checkpoint %q: %w", s.key, err)
	}
	return nil
}

// markersClient is the name of the storage client that holds the
// checkpoints' markers.
const markersClient = "markers"

// getStorageClient returns the client named name (the component's own
// client when empty) of the configured storage extension, or a no-op
// client when none is configured.
func getStorageClient(ctx context.Context, host component.Host, storageID *component.ID, self component.ID, name string) (storage.Client, error) {
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
	return storageExt.GetClient(ctx, component.KindReceiver, self, name)
}
