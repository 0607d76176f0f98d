// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"time"

	"go.uber.org/zap"
)

// windowCap narrows the windows of a log type Wiz serves at most limit
// nodes per query.
type windowCap struct {
	limit    int
	pageSize int
	logType  string // the config key, for log lines
	logger   *zap.Logger
	// newestFirst: Wiz is known to serve the log type newest first, so a
	// walk in another order is news worth a WARN; for a log type Wiz serves
	// in another order, narrowing by halving is the expected path.
	newestFirst bool
}

func (*windowCap) queryEnd(w *window) time.Time {
	if w.Until.IsZero() {
		return w.End
	}
	return w.Until
}

func (*windowCap) keepsWalkKeys() bool { return true }

// rereads: newest first, the keys at or below Until are those on the
// microsecond the last walk stopped at; walks in another order leave more
// there. Every query reads from a tick before its start.
func (*windowCap) rereads(w *window, t int64) bool {
	return !w.Until.IsZero() && t <= w.Until.Add(timeTick).UnixNano()
}

func (*windowCap) accepted(w *window, served int, maxCountReached *bool, times []time.Time) {
	previous := w.Oldest
	for _, t := range times {
		if !previous.IsZero() {
			w.Descending = w.Descending || t.Before(previous)
			w.Unordered = w.Unordered || t.After(previous)
		}
		previous = t
		if w.Oldest.IsZero() || t.Before(w.Oldest) {
			w.Oldest = t
		}
	}
	w.Served += served
	if maxCountReached != nil {
		w.MaxCountReached = maxCountReached
	}
}

func (c *windowCap) narrow(cp *checkpoint, prune func()) bool {
	w := cp.Window
	if !c.mayBeCapped(w) {
		return false
	}
	if c.narrowWindow(cp, prune) {
		return true
	}
	if c.reachedCap(w) {
		c.logger.Error("Wiz's result cap may have cut short a window too narrow to split; records in it may be skipped",
			zap.String("stream", c.logType), zap.Int("result_cap", c.limit), zap.Int("served", w.Served),
			zap.Time("start", w.Start), zap.Time("end", w.End))
	}
	return false
}

// mayBeCapped reports whether Wiz's result cap may have ended the window's
// walk early. Where Wiz says so itself (maxCountReached), its word is
// taken. Otherwise: Wiz counts the cap by position in the result, and
// entries indexed late ahead of the cursor take positions without being
// served, so a walk can stop any number of them short of the cap. Every
// walk longer than a page therefore counts as capped: for a newest-first
// walk, reading on below its oldest entry costs one request when nothing
// is left, while a missed cap loses the rest of the window. Missing one
// now takes more late entries during a single walk than the cap minus a
// page.
func (c *windowCap) mayBeCapped(w *window) bool {
	if w.MaxCountReached != nil {
		return *w.MaxCountReached
	}
	return w.Served >= c.pageSize
}

// reachedCap reports whether the walk was served the whole cap: only then
// can a walk that cannot be narrowed further have lost records to it (late
// entries on its very microsecond aside).
func (c *windowCap) reachedCap(w *window) bool {
	if w.MaxCountReached != nil {
		return *w.MaxCountReached
	}
	return w.Served >= c.limit
}

// narrowWindow shrinks a window whose walk may have been cut short by Wiz's
// result cap, and reports false when it cannot shrink at all.
//
// Wiz serves newest first, so such a walk delivered everything in
// (Oldest, queryEnd]; the next walk reads [Start, Oldest], inclusive for the
// entries that share Oldest's microsecond. Each walk thus delivers about a
// cap's worth of new records, however dense the window or its overlap.
//
// A walk not seen going newest first (served in another order, or all on
// one microsecond) tells nothing about what it missed. The window then
// first gives up its overlap (whose entries a dense overlap would otherwise
// count against every window), then halves its part past the watermark;
// the part cut off is read by the next window. The window keeps every key
// it was served, as its next walk may read any of them.
func (c *windowCap) narrowWindow(cp *checkpoint, prune func()) bool {
	w := cp.Window
	// A walk all on one microsecond shows no order. Once an earlier walk of
	// the window was seen going newest first (Until is set), a walk that
	// stayed on queryEnd's own microsecond needs none: it is the rest of
	// the entries the last walk stopped at. A walk on any other single
	// microsecond, or with no mapped node, tells nothing.
	end := c.queryEnd(w)
	atTop := !w.Until.IsZero() && !w.Oldest.IsZero() && !w.Oldest.Before(end.Truncate(timeTick))
	if !w.Unordered && !w.Oldest.IsZero() && (w.Descending || atTop) {
		// The query's bounds are widened by a tick, so Oldest may lie
		// just before Start.
		until := maxTime(w.Oldest, w.Start)
		if !until.Before(end) {
			// Every node served was on queryEnd's microsecond: step below
			// it. Should the walk have been served the whole cap, more than
			// a cap of entries share that microsecond, and the rest of them
			// cannot be read; the window below is.
			until = maxTime(end.Add(-timeTick), w.Start)
			if !until.Before(end) {
				return false
			}
			if c.reachedCap(w) {
				c.logger.Error("Wiz's result cap cut short one microsecond of entries; the rest of them are skipped",
					zap.String("stream", c.logType), zap.Int("result_cap", c.limit), zap.Time("at", w.Oldest))
			}
		}
		w.Until = until
		// No later walk reads (Until, End] before the next window's overlap.
		prune()
		c.logger.Debug("Walk reached Wiz's result cap; reading the rest of the window", zap.String("stream", c.logType),
			zap.Int("result_cap", c.limit), zap.Time("start", w.Start), zap.Time("until", w.Until), zap.Time("end", w.End))
		w.restartWalk()
		return true
	}
	from := maxTime(w.Start, cp.Watermark)
	switch {
	case w.Start.Before(from):
		// Earlier walks may have read down into the overlap; what is left
		// of it is no longer read.
		w.Start = from
		if !w.Until.IsZero() {
			w.Until = maxTime(w.Until, from)
		}
		c.orderLog()("A walk not served newest first reached Wiz's result cap; reading this window without its overlap (late entries in it are not looked for)",
			zap.String("stream", c.logType), zap.Int("result_cap", c.limit), zap.Time("start", w.Start), zap.Time("end", w.End))
	case end.Sub(from) > 2*timeTick:
		// The part cut off is read by the next window. Should Until be set
		// (earlier walks of this window were newest first), the next window
		// also re-reads (Until, End], whose keys were let go: Wiz changing
		// its order within one window repeats those records.
		w.End, w.Until = from.Add(end.Sub(from)/2), time.Time{}
		c.logger.Info("A walk not served newest first reached Wiz's result cap; splitting the window", zap.String("stream", c.logType),
			zap.Int("result_cap", c.limit), zap.Time("start", w.Start), zap.Time("end", w.End))
	default:
		return false
	}
	w.restartWalk()
	return true
}

// orderLog is how a walk not served newest first is logged: a WARN where
// Wiz is known to serve newest first, as something changed; a debug line
// where Wiz serves another order anyway.
func (c *windowCap) orderLog() func(string, ...zap.Field) {
	if c.newestFirst {
		return c.logger.Warn
	}
	return c.logger.Debug
}
