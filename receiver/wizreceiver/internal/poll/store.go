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
	return putJSON(ctx, s.client, s.key, "checkpoint", cp)
}

// putJSON stores v as JSON under key; what names it in the error.
func putJSON(ctx context.Context, client storage.Client, key, what string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := client.Set(ctx, key, raw); err != nil {
		return fmt.Errorf("writing %s %q: %w", what, key, err)
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
