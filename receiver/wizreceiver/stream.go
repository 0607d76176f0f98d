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
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/internal/backoff"
	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiz"
)

// pageFetcher is the part of the Wiz client a stream uses.
type pageFetcher interface {
	FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error)
}

// wizClock is Wiz's clock as the client reads it from Wiz's answers.
type wizClock interface {
	// Now is the latest Wiz's clock reads now, at most a second and a
	// request's duration past it; known is false until Wiz told its clock.
	Now() (now time.Time, known bool)
}

// stream polls one log type: it walks query windows page by page, hands
// each page to the next consumer and advances its checkpoint only once the
// consumer has accepted the page. This file holds its life cycle; the
// polling itself is in poller.go.
type stream struct {
	logType *logtype.LogType
	query   logtype.Poll
	// queryText is the query sent: the log type's, less any field Wiz's
	// schema no longer has (see drift.go).
	queryText string
	// noEventsTimeout alerts when the stream delivers nothing for this
	// long; 0 disables the alert.
	noEventsTimeout time.Duration
	cap             resultCap

	cfg      *Config
	client   pageFetcher
	wizClock wizClock
	next     consumer.Logs
	store    checkpointStore
	obsrecv  *receiverhelper.ObsReport
	metrics  streamTelemetry
	logger   *zap.Logger
	status   *statusTracker
	resource pcommon.Resource
	version  string
	// now is this host's clock.
	now func() time.Time
	// afterSave, when set, sees the stream after every checkpoint write:
	// tests check the checkpoint's invariants there.
	afterSave func(*stream)

	state checkpoint
	// cutBlind is set while the open window, cut before Wiz told its
	// clock, waits for its first answer (see recut).
	cutBlind bool
	// marked is set once the storage holds the checkpoint's marker.
	marked bool
	dedup  dedup
	// times is deliver's scratch list of a page's polled times.
	times []time.Time
	// partial holds the keys of the records of a page that the next
	// consumer took (accepted, or refused for good) before it failed for
	// now: the page is read again, and these are not sent again. It is
	// cleared once a page is delivered.
	partial map[uint64]struct{}
	// silent is set while the no-events alert is raised.
	silent bool
	// retrying is set while the status shows a failed request the client
	// retries.
	retrying bool
}

// fingerprint identifies the query settings a stored cursor is valid for.
func (s *stream) fingerprint() string {
	filter, _ := json.Marshal(s.query.Filter)
	sum := sha256.Sum256([]byte(s.logType.Query.Query + "\x00" + s.query.TimeField.Filter + "\x00" + string(filter)))
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
			zap.String("stream", s.logType.Key), zap.Duration("initial_lookback", s.cfg.InitialLookback), zap.Error(err))
	case err != nil:
		return fmt.Errorf("%s stream: %w; check the storage extension (its directory must be readable)", s.logType.Key, err)
	}
	firstWritten, marked, markErr := s.store.firstWritten(ctx)
	if markErr != nil {
		return fmt.Errorf("%s stream: %w; check the storage extension (its directory must be readable)", s.logType.Key, markErr)
	}
	if !ok {
		cp = checkpoint{Watermark: s.now().Add(-s.cfg.InitialLookback)}
	}
	if !ok && err == nil && marked {
		s.logger.Warn("Checkpoint lost: this storage held one for the stream and now has none; reading again from initial_lookback: "+
			"records since then that were delivered before arrive again (with the same log.record.uid), "+
			"and any between an older lost checkpoint and then are not read",
			zap.String("stream", s.logType.Key), zap.String("log_type", s.logType.Name),
			zap.Duration("initial_lookback", s.cfg.InitialLookback), zap.Time("from", cp.Watermark),
			zap.Time("checkpointed_since", firstWritten))
	}
	s.marked = marked
	if cp.Window != nil && cp.Fingerprint != fp {
		s.logger.Info("Query settings changed since the last run; restarting the unfinished window",
			zap.String("stream", s.logType.Key))
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
		cp.LastRecord = s.now()
	}
	s.state = cp
	s.dedup.seen = make(seenSet, len(cp.Seen))
	// No window ends past the clock, so a key dated past it is one an
	// earlier release kept for a node Wiz served past a window's end, until
	// its date: let go (the node is delivered again should a window reach
	// its date and Wiz serve it there).
	future := s.clockBound().Add(timeTick).UnixNano()
	for _, k := range cp.Seen {
		if k.Time <= future {
			s.dedup.seen[k.Hash] = k.Time
		}
	}
	s.logger.Info("Wiz stream enabled",
		zap.String("stream", s.logType.Key),
		zap.String("log_type", s.logType.Name),
		zap.String("time_field", s.query.TimeField.Filter),
		zap.Time("from", cp.Watermark),
		zap.Bool("from_checkpoint", ok),
		// The fixed filters include the project filter, where the stream has one.
		zap.Any("filter", s.query.Filter))
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
		s.logger.Info("Connection check passed", zap.String("stream", s.logType.Key), zap.String("log_type", s.logType.Name))
		s.status.report(s.logType.Key, nil, false)
	} else if backoff.Sleep(ctx, s.cfg.PollInterval) != nil {
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
			s.status.report(s.logType.Key, s.checkSilence(), false)
		} else if s.stopped(err, "Poll failed; retrying next interval") {
			return
		}
		if backoff.Sleep(ctx, s.cfg.PollInterval) != nil {
			return
		}
	}
}

// checkConnection asks Wiz for one node with the stream's own query and
// filters, time range included, so that credentials, scopes, reachability
// and a filter Wiz does not accept show in the component status within
// seconds of start, not after a long backfill.
func (s *stream) checkConnection(ctx context.Context) error {
	// The range the first walk will send: a range Wiz would refuse shows
	// here, and one it would take cannot stop the stream.
	w := s.state.Window
	if w == nil {
		w = s.nextWindow(s.clockBound())
	}
	if w == nil {
		// Nothing to read yet (the clock is behind the watermark): the
		// overlap, which every window reads.
		w = &window{Start: s.state.Watermark.Add(-s.cfg.Overlap), End: s.state.Watermark}
	}
	filter := s.filter(w.Start, s.cap.queryEnd(w))
	for {
		_, err := s.fetch(ctx, map[string]any{"first": 1, "filterBy": filter})
		if dropped, err := s.dropRejectedField(err); !dropped {
			return err
		}
	}
}

// fetch asks Wiz for a page of the stream's query with vars. A failed
// request the client retries shows in the component status from its first
// failure, not only once the retries are spent, until a request succeeds.
func (s *stream) fetch(ctx context.Context, vars map[string]any) (wiz.Page, error) {
	q := s.logType.Query
	page, err := s.client.FetchPage(ctx, wiz.Request{Operation: q.Operation, Query: s.queryText, ResponseKey: q.ResponseKey,
		Variables: vars, Retrying: s.retried})
	if err == nil && s.retrying {
		s.retrying = false
		s.status.report(s.logType.Key, s.checkSilence(), false)
	}
	return page, err
}

// retried reports a failed request the client is about to retry. A
// Retry-After that asked for longer than max_interval gets a WARN with the
// value Wiz sent: every stream waits max_interval instead.
func (s *stream) retried(r wiz.Retry) {
	if r.RetryAfterCapped != "" {
		s.logger.Warn("Wiz asked to wait longer than retry_on_failure.max_interval; waiting max_interval",
			zap.String("stream", s.logType.Key), zap.String("operation", s.logType.Query.Operation),
			zap.String("retry_after", r.RetryAfterCapped), zap.Duration("max_interval", r.Wait))
	}
	s.retrying = true
	s.status.report(s.logType.Key, fmt.Errorf("%s stream: %w; retrying", s.logType.Key, r.Err), false)
}

// filter is the stream's filterBy for the polled time range [start, end],
// each bound widened by a tick: Wiz's timestamps carry microseconds, and
// the widening makes the range inclusive whatever Wiz's bound semantics.
func (s *stream) filter(start, end time.Time) map[string]any {
	filter := maps.Clone(s.query.Filter)
	if filter == nil {
		filter = map[string]any{}
	}
	filter[s.query.TimeField.Filter] = map[string]any{
		"after":  formatTime(start.Add(-timeTick)),
		"before": formatTime(end.Add(timeTick)),
	}
	return filter
}

// stopped reports a failed check or poll. Refusals that need a human (a
// missing scope, a rejected query or filter, an IP Wiz refuses) stop the
// stream with a permanent status; anything else (bad credentials, an
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
	case errors.As(err, &query) && query.Input != "":
		err = s.explainRejectedInput(query)
	case wiz.IsPermanent(err):
		err = fmt.Errorf("%s stream stopped: %w", s.logType.Key, err)
	default:
		s.logger.Warn(retryMsg, zap.String("stream", s.logType.Key),
			zap.Duration("poll_interval", s.cfg.PollInterval), zap.Error(err))
		s.status.report(s.logType.Key, err, false)
		return false
	}
	s.logger.Error("Stream stopped", zap.String("stream", s.logType.Key), zap.Error(err))
	s.status.report(s.logType.Key, err, true)
	return true
}

func (s *stream) explainDenied(denied *wiz.AccessDeniedError) error {
	key := s.logType.Key
	if s.logType.DeniedToProjectScoped && strings.Contains(strings.ToLower(denied.Message), "project") {
		return fmt.Errorf("%s stream stopped: this service account is limited to projects; Wiz does not serve %s to it; "+
			"disable `%s` or use an unscoped account (%w)", key, s.logType.Noun, key, denied)
	}
	return fmt.Errorf("%s stream stopped: the service account lacks the %s scope that %s needs; "+
		"add the scope to the service account in Wiz, or set %s.enabled: false (%w)",
		key, s.logType.Scope, s.logType.Name, key, denied)
}

// checkSilence returns the no-events alert when the stream has delivered
// nothing for noEventsTimeout, logging it once when it is raised and once
// when records flow again.
func (s *stream) checkSilence() error {
	silentFor := s.now().Sub(s.state.LastRecord)
	if s.noEventsTimeout <= 0 || silentFor < s.noEventsTimeout {
		if s.silent {
			s.silent = false
			s.metrics.noEvents(false)
			s.logger.Info("Records are flowing again", zap.String("stream", s.logType.Key))
		}
		return nil
	}
	err := fmt.Errorf("%s stream: no records for %s (last record at %s); check that the stream's data still exists in Wiz and the service account's scope",
		s.logType.Key, silentFor.Truncate(time.Second), s.state.LastRecord.UTC().Format(time.RFC3339))
	if !s.silent {
		s.silent = true
		s.metrics.noEvents(true)
		s.logger.Warn("No events", zap.String("stream", s.logType.Key), zap.Time("last_record", s.state.LastRecord),
			zap.Duration("no_events_timeout", s.noEventsTimeout))
	}
	return err
}
