package wizreceiver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
)

// Wiz timestamps carry microseconds. Widening each query bound by one tick
// makes the window inclusive at both ends whatever Wiz's bound semantics.
const timeTick = time.Microsecond

// errPagingLoop stops a page walk that would never end.
var errPagingLoop = errors.New("wiz paging did not advance")

// streamSpec is everything that differs between log types: the query, the
// filter field the window applies to, fixed filters, and the mapping.
type streamSpec struct {
	name    string // config key and checkpoint key
	logType string // Panther's log-type name, e.g. Wiz.Audit
	scope   string // the Wiz scope the query needs
	// deniedToProjectScoped marks a query Wiz refuses to project-scoped
	// service accounts.
	deniedToProjectScoped bool
	conn                  wiz.Connection
	timeFilter            string         // filterBy key of the polled time field
	filter                map[string]any // fixed filterBy entries
	mapper                mapping.Mapper
	// noEventsTimeout alerts when the stream delivers nothing for this
	// long; 0 disables the alert.
	noEventsTimeout time.Duration
	// resultCap is the most nodes Wiz serves for one query (0: no cap).
	resultCap int
}

// pageFetcher is the part of the Wiz client a stream uses.
type pageFetcher interface {
	FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error)
}

// stream polls one log type: it walks query windows page by page, hands
// each page to the next consumer and advances its checkpoint only once the
// consumer has accepted the page.
type stream struct {
	spec     streamSpec
	cfg      *Config
	client   pageFetcher
	next     consumer.Logs
	store    checkpointStore
	obsrecv  *receiverhelper.ObsReport
	metrics  streamTelemetry
	logger   *zap.Logger
	status   *statusTracker
	resource pcommon.Resource
	version  string
	now      func() time.Time

	state checkpoint
	// seen holds the keys of delivered records a later query reads again
	// (see rereads), and, for a stream with a result cap, every key of the
	// walk in progress. The checkpoint keeps them too. The cursor resumes
	// past the others, so a long backfill neither holds nor rewrites every
	// key it delivered.
	seen seenSet
	// silent is set while the no-events alert is raised.
	silent bool
}

// fingerprint identifies the query settings a stored cursor is valid for.
func (s *stream) fingerprint() string {
	filter, _ := json.Marshal(s.spec.filter)
	sum := sha256.Sum256([]byte(s.spec.conn.Query + "\x00" + s.spec.timeFilter + "\x00" + string(filter)))
	return hex.EncodeToString(sum[:8])
}

// restore loads the stored checkpoint, falling back to initial_lookback
// when there is none or it cannot be used. It fails only when the storage
// extension cannot be read: starting from initial_lookback then would
// silently skip or repeat records.
func (s *stream) restore(ctx context.Context) error {
	fp := s.fingerprint()
	cp, ok, err := s.store.load(ctx)
	switch {
	case errors.Is(err, errUnusableCheckpoint):
		s.logger.Error("Ignoring unusable checkpoint; reading from initial_lookback instead",
			zap.String("stream", s.spec.name), zap.Duration("initial_lookback", s.cfg.InitialLookback), zap.Error(err))
	case err != nil:
		return fmt.Errorf("%s stream: %w; check the storage extension (its directory must be readable)", s.spec.name, err)
	}
	if !ok {
		cp = checkpoint{Watermark: s.now().Add(-s.cfg.InitialLookback)}
	}
	if cp.Window != nil && cp.Fingerprint != fp {
		s.logger.Info("Query settings changed since the last run; restarting the unfinished window",
			zap.String("stream", s.spec.name))
		// The new query may match records in the part earlier walks
		// covered, so the whole window is read again; records both queries
		// match may repeat, none is skipped.
		cp.Window.restartWalk()
		cp.Window.Until = time.Time{}
	}
	if cp.Window != nil && cp.Window.End.Before(cp.Watermark) {
		// Everything up to the watermark was delivered; a window ending
		// before it (older releases could store one) has nothing to read.
		cp.Window = nil
	}
	cp.Fingerprint = fp
	if cp.LastRecord.IsZero() {
		// Silence is measured from the first start.
		cp.LastRecord = s.now()
	}
	s.state = cp
	s.seen = make(seenSet, len(cp.Seen))
	for _, k := range cp.Seen {
		s.seen[k.Hash] = k.Time
	}
	s.logger.Info("Wiz stream enabled",
		zap.String("stream", s.spec.name),
		zap.String("log_type", s.spec.logType),
		zap.String("time_field", s.spec.timeFilter),
		zap.Time("from", cp.Watermark),
		zap.Bool("from_checkpoint", ok),
		// The fixed filters include the project filter, where the stream has one.
		zap.Any("filter", s.spec.filter))
	return nil
}

// run checks the connection, then polls until ctx is cancelled, or until
// Wiz refuses the stream for good (missing scope, project-scoped account,
// rejected query), which needs a human.
func (s *stream) run(ctx context.Context) {
	err := s.checkConnection(ctx)
	if ctx.Err() != nil || s.stopped(err, "Connection check failed") {
		return
	}
	if err == nil {
		s.logger.Info("Connection check passed", zap.String("stream", s.spec.name), zap.String("log_type", s.spec.logType))
		s.status.report(s.spec.name, nil, false)
	} else if wiz.Sleep(ctx, s.cfg.PollInterval) != nil {
		// The check spent its retries; polling at once would spend them
		// again before the interval its log line promised.
		return
	}
	for {
		err := s.poll(ctx)
		if ctx.Err() != nil {
			return
		}
		s.metrics.polled(s.now(), s.state.Watermark, s.state.LastRecord, err == nil)
		if err == nil {
			s.status.report(s.spec.name, s.checkSilence(), false)
		} else if s.stopped(err, "Poll failed; retrying next interval") {
			return
		}
		if wiz.Sleep(ctx, s.cfg.PollInterval) != nil {
			return
		}
	}
}

// checkConnection asks Wiz for one node with the stream's own query and
// filters, so that credentials, scopes and reachability show in the
// component status within seconds of start, not after a long backfill.
func (s *stream) checkConnection(ctx context.Context) error {
	_, err := s.client.FetchPage(ctx, wiz.Request{
		Operation: s.spec.conn.Operation, Query: s.spec.conn.Query, ResponseKey: s.spec.conn.ResponseKey,
		Variables: map[string]any{"first": 1, "filterBy": s.spec.filter},
	})
	return err
}

// stopped reports a failed check or poll. Refusals that need a human stop
// the stream with a permanent status; anything else (bad credentials, an
// unreachable API, exhausted retries) is recoverable: the checkpoint stays
// and the stream tries again next interval.
func (s *stream) stopped(err error, retryMsg string) bool {
	if err == nil {
		return false
	}
	var denied *wiz.AccessDeniedError
	var query *wiz.QueryError
	switch {
	case errors.As(err, &denied):
		err = s.explainDenied(denied)
	case errors.As(err, &query):
		err = fmt.Errorf("%s stream stopped: %w", s.spec.name, err)
	default:
		s.logger.Warn(retryMsg, zap.String("stream", s.spec.name),
			zap.Duration("poll_interval", s.cfg.PollInterval), zap.Error(err))
		s.status.report(s.spec.name, err, false)
		return false
	}
	s.logger.Error("Stream stopped", zap.String("stream", s.spec.name), zap.Error(err))
	s.status.report(s.spec.name, err, true)
	return true
}

// checkSilence returns the no-events alert when the stream has delivered
// nothing for noEventsTimeout, logging it once when it is raised and once
// when records flow again.
func (s *stream) checkSilence() error {
	silentFor := s.now().Sub(s.state.LastRecord)
	if s.spec.noEventsTimeout <= 0 || silentFor < s.spec.noEventsTimeout {
		if s.silent {
			s.silent = false
			s.metrics.noEvents(false)
			s.logger.Info("Records are flowing again", zap.String("stream", s.spec.name))
		}
		return nil
	}
	err := fmt.Errorf("%s stream: no records for %s (last record at %s); check that the stream's data still exists in Wiz and the service account's scope",
		s.spec.name, silentFor.Truncate(time.Second), s.state.LastRecord.UTC().Format(time.RFC3339))
	if !s.silent {
		s.silent = true
		s.metrics.noEvents(true)
		s.logger.Warn("No events", zap.String("stream", s.spec.name), zap.Time("last_record", s.state.LastRecord),
			zap.Duration("no_events_timeout", s.spec.noEventsTimeout))
	}
	return err
}

func (s *stream) explainDenied(denied *wiz.AccessDeniedError) error {
	if s.spec.deniedToProjectScoped && strings.Contains(strings.ToLower(denied.Message), "project") {
		return fmt.Errorf("%s stream stopped: this service account is limited to projects; Wiz does not serve audit logs to it; "+
			"disable `%s` or use an unscoped account (%w)", s.spec.name, s.spec.name, denied)
	}
	return fmt.Errorf("%s stream stopped: the service account lacks the %s scope that %s needs; "+
		"add the scope to the service account in Wiz, or set %s.enabled: false (%w)",
		s.spec.name, s.spec.scope, s.spec.logType, s.spec.name, denied)
}

// poll reads from the checkpoint up to the time it started, one window at
// a time. Records newer than that wait for the next poll, so a poll ends
// however busy the tenant.
func (s *stream) poll(ctx context.Context) error {
	now := s.now()
	for {
		if s.state.Window == nil {
			end := minTime(now, s.state.Watermark.Add(s.cfg.MaxWindow))
			if !end.After(s.state.Watermark) {
				return nil
			}
			s.state.Window = &window{Start: s.state.Watermark.Add(-s.cfg.Overlap), End: end}
		}
		if err := s.walk(ctx); err != nil {
			return err
		}
		if w := s.state.Window; s.mayBeCapped(w) {
			// Wiz stops answering a query after resultCap nodes, so this
			// window may hold more: narrow it and read it again. What was
			// delivered is in the seen set and is not repeated.
			if s.narrowCappedWindow(w) {
				if err := s.save(ctx); err != nil {
					return err
				}
				continue
			}
			if s.reachedCap(w) {
				s.logger.Error("Wiz's result cap may have cut short a window too narrow to split; records in it may be skipped",
					zap.String("stream", s.spec.name), zap.Int("result_cap", s.spec.resultCap), zap.Int("served", w.Served),
					zap.Time("start", w.Start), zap.Time("end", w.End))
			}
		}
		caughtUp := !s.state.Window.End.Before(now)
		s.state.Watermark = s.state.Window.End
		s.state.Window = nil
		s.seen.keepOnly(s.rereads)
		if err := s.save(ctx); err != nil {
			return err
		}
		if caughtUp {
			return nil
		}
	}
}

// mayBeCapped reports whether Wiz's result cap may have ended the window's
// walk early. Wiz counts the cap by position in the result, and entries
// indexed late ahead of the cursor take positions without being served, so
// a walk can stop any number of them short of the cap. Every walk longer
// than a page therefore counts as capped: for a newest-first walk, reading
// on below its oldest entry costs one request when nothing is left, while a
// missed cap loses the rest of the window. Missing one now takes more late
// entries during a single walk than the cap minus a page.
func (s *stream) mayBeCapped(w *window) bool {
	return s.spec.resultCap > 0 && w.Served >= s.cfg.PageSize
}

// reachedCap reports whether the walk was served the whole cap: only then
// can a walk that cannot be narrowed further have lost records to it (late
// entries on its very microsecond aside).
func (s *stream) reachedCap(w *window) bool {
	return w.Served >= s.spec.resultCap
}

// narrowCappedWindow shrinks a window whose walk may have been cut short by
// Wiz's result cap, and reports false when it cannot shrink at all.
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
func (s *stream) narrowCappedWindow(w *window) bool {
	// A walk all on one microsecond shows no order. Once an earlier walk of
	// the window was seen going newest first (Until is set), a walk that
	// stayed on queryEnd's own microsecond needs none: it is the rest of
	// the entries the last walk stopped at. A walk on any other single
	// microsecond, or with no mapped node, tells nothing.
	atTop := !w.Until.IsZero() && !w.Oldest.IsZero() && !w.Oldest.Before(w.queryEnd().Truncate(timeTick))
	if !w.Unordered && !w.Oldest.IsZero() && (w.Descending || atTop) {
		// The query's bounds are widened by a tick, so Oldest may lie
		// just before Start.
		until := maxTime(w.Oldest, w.Start)
		if !until.Before(w.queryEnd()) {
			// Every node served was on queryEnd's microsecond: step below
			// it. Should the walk have been served the whole cap, more than
			// a cap of entries share that microsecond, and the rest of them
			// cannot be read; the window below is.
			until = maxTime(w.queryEnd().Add(-timeTick), w.Start)
			if !until.Before(w.queryEnd()) {
				return false
			}
			if s.reachedCap(w) {
				s.logger.Error("Wiz's result cap cut short one microsecond of entries; the rest of them are skipped",
					zap.String("stream", s.spec.name), zap.Int("result_cap", s.spec.resultCap), zap.Time("at", w.Oldest))
			}
		}
		w.Until = until
		// No later walk reads (Until, End] before the next window's overlap.
		s.seen.keepOnly(s.rereads)
		s.logger.Debug("Walk reached Wiz's result cap; reading the rest of the window", zap.String("stream", s.spec.name),
			zap.Int("result_cap", s.spec.resultCap), zap.Time("start", w.Start), zap.Time("until", w.Until), zap.Time("end", w.End))
		w.restartWalk()
		return true
	}
	from := maxTime(w.Start, s.state.Watermark)
	switch {
	case w.Start.Before(from):
		// Earlier walks may have read down into the overlap; what is left
		// of it is no longer read.
		w.Start = from
		if !w.Until.IsZero() {
			w.Until = maxTime(w.Until, from)
		}
		s.logger.Warn("A walk not served newest first reached Wiz's result cap; reading this window without its overlap (late entries in it are not looked for)",
			zap.String("stream", s.spec.name), zap.Int("result_cap", s.spec.resultCap), zap.Time("start", w.Start), zap.Time("end", w.End))
	case w.queryEnd().Sub(from) > 2*timeTick:
		// The part cut off is read by the next window. Should Until be set
		// (earlier walks of this window were newest first), the next window
		// also re-reads (Until, End], whose keys were let go: Wiz changing
		// its order within one window repeats those records.
		w.End, w.Until = from.Add(w.queryEnd().Sub(from)/2), time.Time{}
		s.logger.Info("A walk not served newest first reached Wiz's result cap; splitting the window", zap.String("stream", s.spec.name),
			zap.Int("result_cap", s.spec.resultCap), zap.Time("start", w.Start), zap.Time("end", w.End))
	default:
		return false
	}
	w.restartWalk()
	return true
}

// walk pages through the current window, resuming at its stored cursor.
func (s *stream) walk(ctx context.Context) error {
	w := s.state.Window
	restarted := false
	cursors := map[string]bool{}
	filter := maps.Clone(s.spec.filter)
	if filter == nil {
		filter = map[string]any{}
	}
	filter[s.spec.timeFilter] = map[string]any{
		"after":  formatTime(w.Start.Add(-timeTick)),
		"before": formatTime(w.queryEnd().Add(timeTick)),
	}
	for {
		vars := map[string]any{"first": s.cfg.PageSize, "filterBy": filter}
		if w.Cursor != "" {
			vars["after"] = w.Cursor
		}
		page, err := s.client.FetchPage(ctx, wiz.Request{Operation: s.spec.conn.Operation, Query: s.spec.conn.Query, ResponseKey: s.spec.conn.ResponseKey, Variables: vars})
		var query *wiz.QueryError
		if w.Cursor != "" && !restarted && errors.As(err, &query) {
			// Wiz no longer accepts the cursor (a stored one, or one that
			// expired mid-walk). Re-read the window from its start, once
			// per walk; only records that are still in the seen set are
			// recognised as repeats.
			s.logger.Warn("Cursor rejected; re-reading the window from its start",
				zap.String("stream", s.spec.name), zap.Error(err))
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
		if err := s.deliver(ctx, page.Nodes); err != nil {
			return err
		}
		w.Served += len(page.Nodes)
		if !page.HasNextPage {
			return nil
		}
		w.Cursor = page.EndCursor
		if err := s.save(ctx); err != nil {
			return err
		}
	}
}

// deliver maps a page, drops what was delivered before, and hands the rest
// to the next consumer. Only an accepted page marks its keys as seen.
func (s *stream) deliver(ctx context.Context, nodes []json.RawMessage) error {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	s.resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	sl.Scope().SetVersion(s.version)
	records := sl.LogRecords()
	records.EnsureCapacity(len(nodes))

	w := s.state.Window
	// The walk's order and oldest time, applied only once the page is done:
	// a refused page is fetched again.
	oldest, previous, descending, unordered := w.Oldest, w.Oldest, false, false
	observed := pcommon.NewTimestampFromTime(s.now())
	accepted := make(seenSet, len(nodes))
	ids := make([]string, 0, len(nodes))
	scratch := plog.NewLogRecord()
	duplicates, unmappable := 0, 0
	for _, node := range nodes {
		key, err := s.spec.mapper.Map(node, scratch)
		if err != nil {
			// Retrying cannot map it either; holding the checkpoint would
			// stall the stream. It is counted, so a change in Wiz's data
			// that makes every node unmappable shows on a dashboard.
			unmappable++
			s.logger.Warn("Skipping a node that cannot be mapped", zap.String("stream", s.spec.name),
				zap.String("id", nodeID(node)), zap.Error(err))
			scratch = plog.NewLogRecord()
			continue
		}
		if !previous.IsZero() {
			descending = descending || key.Time.Before(previous)
			unordered = unordered || key.Time.After(previous)
		}
		previous = key.Time
		if oldest.IsZero() || key.Time.Before(oldest) {
			oldest = key.Time
		}
		h := hashKey(key)
		_, delivered := s.seen[h]
		_, inPage := accepted[h]
		if delivered || inPage {
			duplicates++
			scratch = plog.NewLogRecord()
			continue
		}
		accepted[h] = key.Time.UnixNano()
		ids = append(ids, key.ID)
		scratch.SetObservedTimestamp(observed)
		scratch.MoveTo(records.AppendEmpty())
	}
	if records.Len() > 0 {
		if err := s.consume(ctx, logs, ids); err != nil {
			return err
		}
		s.state.LastRecord = s.now()
	}
	s.metrics.deduplicated(duplicates)
	s.metrics.dropped(unmappable, dropUnmappable)
	w.Oldest, w.Descending, w.Unordered = oldest, w.Descending || descending, w.Unordered || unordered
	for h, t := range accepted {
		// A walk that reaches the result cap may be narrowed and read again,
		// so a capped stream keeps the walk's keys until it ends; the cap
		// bounds them. Otherwise only keys a later query reads again are
		// kept: memory stays flat however long the backlog.
		if s.spec.resultCap > 0 || s.rereads(t) {
			s.seen[h] = t
		}
	}
	return nil
}

// rereads reports whether a later query reads a record with polled time t
// again, so its key must stay in the seen set and the checkpoint: with no
// window open, every key within overlap of the watermark (pruned as it
// moves); within a window, the keys up to the watermark (the overlap this
// window reads), those within overlap of the window's end (the next window
// reads them), and those at or below Until (the window's next walk reads
// them). Every query reads from a tick before its start, bound included
// should Wiz's bounds be inclusive.
func (s *stream) rereads(t int64) bool {
	w := s.state.Window
	if w == nil {
		return t >= s.state.Watermark.Add(-s.cfg.Overlap-timeTick).UnixNano()
	}
	if t <= s.state.Watermark.Add(timeTick).UnixNano() || t >= w.End.Add(-s.cfg.Overlap-timeTick).UnixNano() {
		return true
	}
	// Newest first, the keys at or below Until are those on the microsecond
	// the last walk stopped at; walks in another order leave more there.
	return !w.Until.IsZero() && t <= w.Until.Add(timeTick).UnixNano()
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
				zap.String("stream", s.spec.name), zap.Int("records", count), zap.Strings("ids", ids), zap.Error(err))
			return nil
		}
		wait, ok := bo.Next(0)
		if !ok {
			return fmt.Errorf("next consumer refused %d records: %w", count, err)
		}
		s.logger.Debug("Next consumer refused records; retrying", zap.String("stream", s.spec.name), zap.Duration("wait", wait), zap.Error(err))
		if err := wiz.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// save persists the checkpoint with the seen keys.
func (s *stream) save(ctx context.Context) error {
	s.state.Seen = s.seen.toSlice()
	// Saved even while shutting down: the state is consistent at every
	// page boundary, and losing it only costs a re-read.
	return s.store.save(context.WithoutCancel(ctx), s.state)
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
