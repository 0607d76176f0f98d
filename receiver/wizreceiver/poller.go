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

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
)

// Wiz timestamps carry microseconds: a query bound is widened by one tick.
const timeTick = time.Microsecond

// errPagingLoop stops a page walk that would never end.
var errPagingLoop = errors.New("wiz paging did not advance")

// poll reads from the checkpoint up to the time it started, one window at
// a time. Records newer than that wait for the next poll, so a poll ends
// however busy the tenant.
func (s *stream) poll(ctx context.Context) error {
	now := s.now()
	for {
		if s.state.Window == nil {
			s.state.Window = s.nextWindow(now)
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
		page, err := s.client.FetchPage(ctx, s.request(vars))
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
		if page.HasNextPage && (len(page.Nodes) == 0 || page.EndCursor == "" || page.EndCursor == w.Cursor || cursors[page.EndCursor]) {
			return fmt.Errorf("%w: page with %d nodes, hasNextPage and end cursor %q already seen; stopping this walk",
				errPagingLoop, len(page.Nodes), page.EndCursor)
		}
		cursors[page.EndCursor] = true
		// deliver takes the page: what the walk reads of it afterwards is
		// read first, so that the page's bytes can go once mapped.
		more, cursor := page.HasNextPage, page.EndCursor
		if err := s.deliver(ctx, page); err != nil {
			return err
		}
		if !more {
			return nil
		}
		w.Cursor = cursor
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
// to the next consumer. Only an accepted page marks its keys as seen and
// counts for the result cap: a refused page is fetched again.
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
	ids := make([]string, 0, len(page.Nodes))
	s.times = s.times[:0]
	scratch := plog.NewLogRecord()
	duplicates, unmappable := 0, 0
	for _, node := range page.Nodes {
		key, err := s.query.Mapper.Map(node, scratch)
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
		s.times = append(s.times, key.Time)
		h := hashKey(key)
		_, inPage := accepted[h]
		if s.dedup.delivered(h) || inPage {
			duplicates++
			scratch = plog.NewLogRecord()
			continue
		}
		accepted[h] = key.Time.UnixNano()
		ids = append(ids, key.ID)
		scratch.SetObservedTimestamp(observed)
		scratch.MoveTo(records.AppendEmpty())
	}
	// The records hold copies of what they read, and nothing below reads
	// the page: its bytes can go before the export, which makes a copy of
	// its own (TestPageReleasedBeforeExport).
	served, maxCountReached := len(page.Nodes), page.MaxCountReached
	if records.Len() > 0 {
		if err := s.consume(ctx, logs, ids); err != nil {
			return err
		}
		s.state.LastRecord = s.now()
	}
	s.metrics.deduplicated(duplicates)
	s.metrics.dropped(unmappable, dropUnmappable)
	s.cap.accepted(s.state.Window, served, maxCountReached, s.times)
	s.dedup.add(&s.state, accepted)
	return nil
}

// consume hands logs to the next consumer, retrying retryable refusals
// with back-off. A permanent refusal drops the records: retrying cannot
// succeed, and holding the checkpoint would stall the stream forever.
func (s *stream) consume(ctx context.Context, logs plog.Logs, ids []string) error {
	bo := wiz.NewBackOff(s.cfg.BackOff, s.now)
	count := logs.LogRecordCount()
	for {
		opCtx := s.obsrecv.StartLogsOp(ctx)
		err := s.next.ConsumeLogs(opCtx, logs)
		s.obsrecv.EndLogsOp(opCtx, metadata.Type.String(), count, err)
		if err == nil {
			s.metrics.emitted(count)
			return nil
		}
		if consumererror.IsPermanent(err) {
			s.metrics.dropped(count, dropRefused)
			s.logger.Error("Next consumer permanently refused records; dropping them",
				zap.String("stream", s.logType.Key), zap.Int("records", count), zap.Strings("ids", ids), zap.Error(err))
			return nil
		}
		wait, ok := bo.Next(0)
		if !ok {
			return fmt.Errorf("next consumer refused %d records: %w", count, err)
		}
		s.logger.Debug("Next consumer refused records; retrying", zap.String("stream", s.logType.Key), zap.Duration("wait", wait), zap.Error(err))
		if err := wiz.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// save persists the checkpoint with the seen keys.
func (s *stream) save(ctx context.Context) error {
	s.state.Seen = s.dedup.seen.toSlice()
	// Saved even while shutting down: the state is consistent at every
	// page boundary, and losing it only costs a re-read.
	if err := s.store.save(context.WithoutCancel(ctx), s.state); err != nil {
		return err
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
