// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// errPagingLoop stops a page walk that would never end.
var errPagingLoop = errors.New("wiz paging did not advance")

// maxPagesPerWalk bounds the pages of one walk, and so the cursors it
// remembers, against a server that hands out new cursors without end. The
// walk's cursor is saved at every page, so a window that truly holds more
// (5 million nodes at 500 a page) goes on at the next poll.
const maxPagesPerWalk = 10000

// errWalkTooLong ends a walk at maxPagesPerWalk pages.
var errWalkTooLong = errors.New("wiz served more pages than one walk reads")

// walker reads a stream's windows page by page and keeps its checkpoint:
// it owns the stream's state, which moves only once the next consumer has
// accepted a page.
type walker struct {
	logType  *logtype.LogType
	query    *wizQuery
	clock    clock
	delivery *delivery
	store    checkpointStore
	cap      resultCap
	dedup    dedup

	initialLookback time.Duration
	overlap         time.Duration
	maxWindow       time.Duration
	pageSize        int
	// maxPages bounds the pages of one walk (maxPagesPerWalk; tests lower
	// it).
	maxPages int
	logger   *zap.Logger
	// now is this host's clock.
	now func() time.Time
	// afterSave, when set, runs after every checkpoint write.
	afterSave func()

	state checkpoint
	// cutBlind is set while the open window, cut before Wiz told its
	// clock, waits for its first answer (see clock.recut).
	cutBlind bool
	// marked is set once the storage holds the checkpoint's marker.
	marked bool
}

// restore loads the stored checkpoint, falling back to initial_lookback
// when there is none or it cannot be used; fromCheckpoint reports which.
// It fails only when the storage extension cannot be read: starting from
// initial_lookback then would silently skip or repeat records.
func (w *walker) restore(ctx context.Context) (fromCheckpoint bool, _ error) {
	key := w.logType.Key
	fp := w.query.fingerprint()
	cp, ok, err := w.store.load(ctx)
	switch {
	case errors.Is(err, errUnusableCheckpoint):
		w.logger.Error("Ignoring unusable checkpoint; reading from initial_lookback instead",
			zap.String("stream", key), zap.Duration("initial_lookback", w.initialLookback), zap.Error(err))
	case err != nil:
		return false, fmt.Errorf("%s stream: %w; check the storage extension (its directory must be readable)", key, err)
	}
	firstWritten, marked, markErr := w.store.firstWritten(ctx)
	if markErr != nil {
		return false, fmt.Errorf("%s stream: %w; check the storage extension (its directory must be readable)", key, markErr)
	}
	if !ok {
		cp = checkpoint{Watermark: w.now().Add(-w.initialLookback)}
	}
	if !ok && err == nil && marked {
		w.logger.Warn("Checkpoint lost: this storage held one for the stream and now has none; reading again from initial_lookback: "+
			"records since then that were delivered before arrive again (with the same log.record.uid), "+
			"and any between an older lost checkpoint and then are not read",
			zap.String("stream", key), zap.String("log_type", w.logType.Name),
			zap.Duration("initial_lookback", w.initialLookback), zap.Time("from", cp.Watermark),
			zap.Time("checkpointed_since", firstWritten))
	}
	w.marked = marked
	if cp.Window != nil && cp.Fingerprint != fp {
		w.logger.Info("Query settings changed since the last run; restarting the unfinished window",
			zap.String("stream", key))
		// Records both queries match may repeat; none is skipped.
		cp.Window.restart()
	}
	if cp.Window != nil && cp.Window.End.Before(cp.Watermark) {
		// Everything up to the watermark was delivered; a window ending
		// before it (older releases could store one) has nothing to read.
		cp.Window = nil
	}
	cp.Fingerprint = fp
	if cp.LastRecord.IsZero() {
		// Silence is measured from the first start.
		cp.LastRecord = w.now()
	}
	w.state = cp
	w.dedup.seen = make(seenSet, len(cp.Seen))
	// A key is kept no later than the end of the window that delivered it,
	// so one dated past the checkpoint's own bound is one an earlier
	// release kept by the date of a node Wiz served past a window's end:
	// let go (the node is delivered again should Wiz serve it once more).
	// The bound is the checkpoint's, not this host's clock: a clock
	// stepped back since would let go of keys the overlap reads again.
	bound := cp.bound().Add(timeTick).UnixNano()
	for _, k := range cp.Seen {
		if k.Time <= bound {
			w.dedup.seen[k.Hash] = k.Time
		}
	}
	return ok, nil
}

// poll reads from the checkpoint up to the time it started, one window at
// a time. Records newer than that wait for the next poll, so a poll ends
// however busy the tenant. Time is the earlier of this host's clock and
// Wiz's (clock.go).
func (w *walker) poll(ctx context.Context) error {
	if to, ok := w.clock.clamp(w.state.Watermark); ok {
		// The keys delivered stay in the seen set, so what the window
		// re-reads and still recognises is not repeated.
		w.state.Watermark, w.state.Window = to, nil
		w.dedup.prune(&w.state)
	}
	now := w.clock.bound()
	for {
		if w.state.Window == nil {
			// Wiz's first answer may have told its clock since the poll
			// started, earlier than this host's.
			now = minTime(now, w.clock.bound())
			_, known := w.clock.wizNow()
			w.state.Window, w.cutBlind = w.nextWindow(now), !known
			if w.state.Window == nil {
				return nil
			}
		}
		if err := w.walk(ctx); err != nil {
			return err
		}
		// Wiz stops answering a query after its result cap, so the window
		// may hold more: the cap narrows it, and it is read again. What was
		// delivered is in the seen set and is not repeated.
		if w.cap.narrow(&w.state, func() { w.dedup.prune(&w.state) }) {
			if err := w.save(ctx); err != nil {
				return err
			}
			continue
		}
		caughtUp := !w.state.Window.End.Before(now)
		w.state.Watermark = w.state.Window.End
		w.state.Window = nil
		w.dedup.prune(&w.state)
		if err := w.save(ctx); err != nil {
			return err
		}
		if caughtUp {
			return nil
		}
	}
}

// nextWindow is the window after the watermark, up to now and at most
// max_window long, reading the overlap before it; nil when there is nothing
// after the watermark yet.
func (w *walker) nextWindow(now time.Time) *window {
	end := minTime(now, w.state.Watermark.Add(w.maxWindow))
	if !end.After(w.state.Watermark) {
		return nil
	}
	return &window{Start: w.state.Watermark.Add(-w.overlap), End: end}
}

// firstRange is the polled time range the next walk will query: the open
// window's, else the next window's, else (the clock is behind the
// watermark: nothing to read yet) the overlap, which every window reads.
func (w *walker) firstRange() (start, end time.Time) {
	win := w.state.Window
	if win == nil {
		win = w.nextWindow(w.clock.bound())
	}
	if win == nil {
		win = &window{Start: w.state.Watermark.Add(-w.overlap), End: w.state.Watermark}
	}
	return win.Start, w.cap.queryEnd(win)
}

// walk pages through the current window, resuming at its stored cursor.
// A window cut blind, before Wiz told its clock, is cut again at Wiz's
// clock by its first answer, should it end past it.
func (w *walker) walk(ctx context.Context) error {
	win := w.state.Window
	restarted := false
	cursors := map[string]bool{}
	filter := w.query.filter(win.Start, w.cap.queryEnd(win))
	for {
		vars := map[string]any{"first": w.pageSize, "filterBy": filter}
		if win.Cursor != "" {
			vars["after"] = win.Cursor
		}
		page, err := w.query.fetch(ctx, vars)
		dropped, err := w.query.dropRejectedField(err)
		if dropped {
			continue
		}
		if win.Cursor != "" && !restarted && cursorRejected(err) {
			// Wiz no longer accepts the cursor (a stored one, or one that
			// expired mid-walk). Re-read the window from its start, once
			// per walk; only records that are still in the seen set are
			// recognised as repeats.
			w.logger.Warn("Cursor rejected; re-reading the window from its start",
				zap.String("stream", w.logType.Key), zap.Error(err))
			win.restartWalk()
			restarted, cursors = true, map[string]bool{}
			continue
		}
		if err != nil {
			return err
		}
		if w.cutBlind {
			w.cutBlind = false
			if w.clock.recut(win, w.state.Watermark) {
				filter = w.query.filter(win.Start, w.cap.queryEnd(win))
				continue
			}
		}
		if page.HasNextPage && (len(page.Nodes) == 0 || page.EndCursor == "" || page.EndCursor == win.Cursor || cursors[page.EndCursor]) {
			return fmt.Errorf("%w: page with %d nodes, hasNextPage and end cursor %q already seen; stopping this walk",
				errPagingLoop, len(page.Nodes), page.EndCursor)
		}
		if len(cursors) >= w.maxPages {
			return fmt.Errorf("%w (%d); going on from the saved cursor at the next poll: if every walk ends so, lower max_window",
				errWalkTooLong, w.maxPages)
		}
		cursors[page.EndCursor] = true
		// deliver takes the page: what the walk reads of it afterwards is
		// read first, so that the page's bytes can go once mapped.
		more, cursor := page.HasNextPage, page.EndCursor
		if err := w.deliver(ctx, page); err != nil {
			return err
		}
		if !more {
			return nil
		}
		win.Cursor = cursor
		if err := w.save(ctx); err != nil {
			return err
		}
	}
}

// deliver hands a page to the delivery. Only a page the next consumer took
// whole counts for the result cap. When the consumer failed part-way, the
// keys of what it took are held in the seen set and saved at once: the
// page is read again, however Wiz then serves it, and what was taken is not
// sent twice, after a restart either.
func (w *walker) deliver(ctx context.Context, page wiz.Page) error {
	// The records hold copies of what they read, and nothing after the
	// mapping reads the page: its bytes can go before the export, which
	// makes a copy of its own (TestPageReleasedBeforeExport).
	served, maxCountReached := len(page.Nodes), page.MaxCountReached
	res, lastRecord, err := w.delivery.deliver(ctx, page, w.state.Window.End, w.dedup.delivered)
	if !lastRecord.IsZero() {
		w.state.LastRecord = lastRecord
	}
	if err != nil {
		if len(res.keys) > 0 {
			w.dedup.hold(res.keys)
			if saveErr := w.save(ctx); saveErr != nil {
				return errors.Join(err, saveErr)
			}
		}
		return err
	}
	w.cap.accepted(w.state.Window, served, maxCountReached, res.times)
	w.dedup.add(&w.state, res.keys)
	return nil
}

// cursorRejected reports whether err is Wiz refusing a request's input
// where the only input that can have gone stale is the cursor: a rejected
// field or filter key, or an unknown object, is not about the cursor.
func cursorRejected(err error) bool {
	var query *wiz.QueryError
	return errors.As(err, &query) && query.Field == nil && query.Input == "" && query.Code != "NOT_FOUND"
}

// save persists the checkpoint with the seen keys, and the first time, its
// marker.
func (w *walker) save(ctx context.Context) error {
	w.state.Seen = w.dedup.seen.toSlice()
	// Saved even while shutting down: the state is consistent at every
	// page boundary, and losing it only costs a re-read.
	ctx = context.WithoutCancel(ctx)
	if err := w.store.save(ctx, w.state); err != nil {
		return err
	}
	if !w.marked {
		if err := w.store.mark(ctx, w.now()); err != nil {
			return err
		}
		w.marked = true
	}
	if w.afterSave != nil {
		w.afterSave()
	}
	return nil
}
