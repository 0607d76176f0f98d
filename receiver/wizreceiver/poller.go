package wizreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/internal/backoff"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/consume"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
)

// Wiz timestamps carry microseconds: a query bound is widened by one tick.
const timeTick = time.Microsecond

// errPagingLoop stops a page walk that would never end.
var errPagingLoop = errors.New("wiz paging did not advance")

// poll reads from the checkpoint up to the time it started, one window at
// a time. Records newer than that wait for the next poll, so a poll ends
// however busy the tenant. Time is the earlier of this host's clock and
// Wiz's (clock.go).
func (s *stream) poll(ctx context.Context) error {
	s.clampToClock()
	now := s.clockBound()
	for {
		if s.state.Window == nil {
			// Wiz's first answer may have told its clock since the poll
			// started, earlier than this host's.
			now = minTime(now, s.clockBound())
			_, known := s.wizNow()
			s.state.Window, s.cutBlind = s.nextWindow(now), !known
			if s.state.Window == nil {
				return nil
			}
		}
		if err := s.walk(ctx); err != nil {
			return err
		}
		// Wiz stops answering a query after its result cap, so the window
		// may hold more: the cap narrows it, and it is read again. What was
		// delivered is in the seen set and is not repeated.
		if s.cap.narrow(&s.state, func() { s.dedup.prune(&s.state) }) {
			if err := s.save(ctx); err != nil {
				return err
			}
			continue
		}
		caughtUp := !s.state.Window.End.Before(now)
		s.state.Watermark = s.state.Window.End
		s.state.Window = nil
		s.dedup.prune(&s.state)
		if err := s.save(ctx); err != nil {
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
func (s *stream) nextWindow(now time.Time) *window {
	end := minTime(now, s.state.Watermark.Add(s.cfg.MaxWindow))
	if !end.After(s.state.Watermark) {
		return nil
	}
	return &window{Start: s.state.Watermark.Add(-s.cfg.Overlap), End: end}
}

// walk pages through the current window, resuming at its stored cursor.
// A window cut blind, before Wiz told its clock, is cut again at Wiz's
// clock by its first answer, should it end past it.
func (s *stream) walk(ctx context.Context) error {
	w := s.state.Window
	restarted := false
	cursors := map[string]bool{}
	filter := s.filter(w.Start, s.cap.queryEnd(w))
	for {
		vars := map[string]any{"first": s.cfg.PageSize, "filterBy": filter}
		if w.Cursor != "" {
			vars["after"] = w.Cursor
		}
		page, err := s.fetch(ctx, vars)
		dropped, err := s.dropRejectedField(err)
		if dropped {
			continue
		}
		if w.Cursor != "" && !restarted && cursorRejected(err) {
			// Wiz no longer accepts the cursor (a stored one, or one that
			// expired mid-walk). Re-read the window from its start, once
			// per walk; only records that are still in the seen set are
			// recognised as repeats.
			s.logger.Warn("Cursor rejected; re-reading the window from its start",
				zap.String("stream", s.logType.Key), zap.Error(err))
			w.restartWalk()
			restarted, cursors = true, map[string]bool{}
			continue
		}
		if err != nil {
			return err
		}
		if s.cutBlind {
			s.cutBlind = false
			if s.recut(w) {
				filter = s.filter(w.Start, s.cap.queryEnd(w))
				continue
			}
		}
		if page.HasNextPage && (len(page.Nodes) == 0 || page.EndCursor == "" || page.EndCursor == w.Cursor || cursors[page.EndCursor]) {
			return fmt.Errorf("%w: page with %d nodes, hasNextPage and end cursor %q already seen; stopping this walk",
				errPagingLoop, len(page.Nodes), page.EndCursor)
		}
		cursors[page.EndCursor] = true
		if err := s.deliver(ctx, page); err != nil {
			return err
		}
		if !page.HasNextPage {
			return nil
		}
		w.Cursor = page.EndCursor
		if err := s.save(ctx); err != nil {
			return err
		}
	}
}

// cursorRejected reports whether err is Wiz refusing a request's input
// where the only input that can have gone stale is the cursor: a rejected
// field or filter key, or an unknown object, is not about the cursor.
func cursorRejected(err error) bool {
	var query *wiz.QueryError
	return errors.As(err, &query) && query.Field == nil && query.Input == "" && query.Code != "NOT_FOUND"
}

// deliver maps a page, drops what was delivered before, and hands the rest
// to the next consumer. Only a page the consumer took whole (accepted, or
// refused for good record by record) marks its keys as seen and counts for
// the result cap: a page refused for now is fetched again.
func (s *stream) deliver(ctx context.Context, page wiz.Page) error {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	s.resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	sl.Scope().SetVersion(s.version)
	records := sl.LogRecords()
	records.EnsureCapacity(len(page.Nodes))

	observed := pcommon.NewTimestampFromTime(s.now())
	accepted := make(seenSet, len(page.Nodes))
	sent := make([]sentRecord, 0, len(page.Nodes))
	s.times = s.times[:0]
	scratch := plog.NewLogRecord()
	// A node dated past the window's end is not this window's to deliver:
	// Wiz serves none (the query ends there, a tick wide) unless it ignores
	// the bound or the node changed while the query ran. The window that
	// covers its time delivers it, so its key never waits in the seen set
	// for a date that may be far off.
	end := s.state.Window.End.Add(timeTick)
	duplicates, unmappable, early := 0, 0, 0
	skip := func() {
		duplicates++
		scratch = plog.NewLogRecord()
	}
	for _, node := range page.Nodes {
		res, err := s.query.Mapper.Map(node, scratch)
		if err != nil {
			// Retrying cannot map it either; holding the checkpoint would
			// stall the stream. It is counted, so a change in Wiz's data
			// that makes every node unmappable shows on a dashboard.
			unmappable++
			s.logger.Warn("Skipping a node that cannot be mapped", zap.String("stream", s.logType.Key),
				zap.String("id", nodeID(node)), zap.Error(err))
			scratch = plog.NewLogRecord()
			continue
		}
		s.times = append(s.times, res.Key.Time)
		if res.Key.Time.After(end) {
			early++
			scratch = plog.NewLogRecord()
			continue
		}
		h := hashKey(res.Key)
		if _, inPage := accepted[h]; inPage || s.dedup.delivered(h) {
			skip()
			continue
		}
		accepted[h] = res.Key.Time.UnixNano()
		if _, taken := s.partial[h]; taken {
			// An earlier try at this page handed it over.
			skip()
			continue
		}
		sent = append(sent, sentRecord{id: res.Key.ID, hash: h, flattened: res.Flattened})
		scratch.SetObservedTimestamp(observed)
		scratch.MoveTo(records.AppendEmpty())
	}
	if records.Len() > 0 {
		if err := s.consume(ctx, logs, sent); err != nil {
			return err
		}
	}
	s.partial = nil
	if early > 0 {
		s.logger.Debug("Leaving nodes dated past the window to the window that covers their time",
			zap.String("stream", s.logType.Key), zap.Int("nodes", early), zap.Time("window_end", s.state.Window.End))
	}
	s.metrics.deduplicated(duplicates)
	s.metrics.dropped(unmappable, dropUnmappable)
	s.cap.accepted(s.state.Window, page, s.times)
	s.dedup.add(&s.state, accepted)
	return nil
}

// sentRecord is what the poller knows of a record it hands over.
type sentRecord struct {
	id        string
	hash      uint64
	flattened bool
}

// consume hands a page's records to the next consumer (send). A permanent
// refusal splits them (sendInHalves): the records refused alone are
// dropped, logged with their ids and counted, since retrying cannot
// succeed and holding the checkpoint would stall the stream. When the
// consumer fails for now after it took part of the page, that part is kept
// in partial, so that the page, read again, does not send it twice.
func (s *stream) consume(ctx context.Context, logs plog.Logs, sent []sentRecord) error {
	var took []uint64
	refused, err := consume.InHalves(ctx, logs, s.send, func(lo, hi int) {
		flattened := 0
		for _, r := range sent[lo:hi] {
			took = append(took, r.hash)
			if r.flattened {
				flattened++
			}
		}
		s.metrics.emitted(hi - lo)
		s.metrics.flattened(flattened)
	})
	if len(took) > 0 {
		s.state.LastRecord = s.now()
	}
	if len(refused) > 0 {
		ids := make([]string, len(refused))
		for i, r := range refused {
			ids[i] = sent[r.Index].id
			took = append(took, sent[r.Index].hash)
		}
		s.metrics.dropped(len(refused), dropRefused)
		s.logger.Error("Next consumer permanently refused records; dropping them",
			zap.String("stream", s.logType.Key), zap.Int("records", len(refused)), zap.Int("page_records", len(sent)),
			zap.Strings("ids", ids), zap.Error(refused[0].Err))
	}
	if err != nil {
		if s.partial == nil {
			s.partial = make(map[uint64]struct{}, len(took))
		}
		for _, h := range took {
			s.partial[h] = struct{}{}
		}
	}
	return err
}

// send hands logs to the next consumer, retrying retryable refusals with
// back-off. It returns nil, a permanent refusal, or the error that ended
// the retries.
func (s *stream) send(ctx context.Context, logs plog.Logs) error {
	bo := backoff.New(s.cfg.BackOff, s.now)
	for {
		err := consume.Once(ctx, s.obsrecv, metadata.Type.String(), s.next, logs)
		if err == nil || consumererror.IsPermanent(err) {
			return err
		}
		wait, ok := bo.Next(0)
		if !ok {
			return fmt.Errorf("next consumer refused %d records: %w", logs.LogRecordCount(), err)
		}
		s.logger.Debug("Next consumer refused records; retrying", zap.String("stream", s.logType.Key), zap.Duration("wait", wait), zap.Error(err))
		if err := backoff.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// save persists the checkpoint with the seen keys, and the first time, its
// marker.
func (s *stream) save(ctx context.Context) error {
	s.state.Seen = s.dedup.seen.toSlice()
	// Saved even while shutting down: the state is consistent at every
	// page boundary, and losing it only costs a re-read.
	ctx = context.WithoutCancel(ctx)
	if err := s.store.save(ctx, s.state); err != nil {
		return err
	}
	if !s.marked {
		if err := s.store.mark(ctx, s.now()); err != nil {
			return err
		}
		s.marked = true
	}
	if s.afterSave != nil {
		s.afterSave(s)
	}
	return nil
}

// nodeID reads a node's id for a log line, or "" when it has none.
func nodeID(node json.RawMessage) string {
	var n struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(node, &n)
	return n.ID
}

func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
