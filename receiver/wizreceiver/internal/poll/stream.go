// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/backoff"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// Stream polls one log type: it walks query windows page by page, hands
// each page to the next consumer and advances its checkpoint only once the
// consumer has accepted the page. This file holds its life cycle (restore,
// run, the connection check) and its health; the walk is the walker's.
type Stream struct {
	logType         *logtype.LogType
	pollInterval    time.Duration
	noEventsTimeout time.Duration
	query           *wizQuery
	walker          *walker
	// snapshots takes the stream's posture snapshots; nil when it takes
	// none.
	snapshots *snapshots
	metrics   Telemetry
	logger    *zap.Logger
	status    func(stream string, err error, permanent bool)
	// now is this host's clock.
	now func() time.Time
	// sleep waits out the poll interval.
	sleep func(ctx context.Context, d time.Duration) error

	// silent is set while the no-events alert is raised.
	silent bool
	// retrying is set while the status shows a failed request the client
	// retries.
	retrying bool
}

// New builds a stream from set; it does no I/O. Restore loads its
// checkpoint.
func New(set Settings) *Stream {
	lt := set.LogType
	s := &Stream{
		logType:         lt,
		pollInterval:    set.PollInterval,
		noEventsTimeout: set.NoEventsTimeout,
		metrics:         set.Telemetry,
		logger:          set.Logger,
		status:          set.Status,
		now:             set.Now,
		sleep:           set.Sleep,
	}
	if s.sleep == nil {
		s.sleep = backoff.Sleep
	}
	s.query = &wizQuery{
		logType: lt,
		poll:    set.Query,
		text:    lt.Query.Query,
		client:  set.Client,
		metrics: set.Telemetry,
		logger:  set.Logger,
		retried: s.retried,
		fetched: s.fetched,
	}
	var rcap resultCap = noCap{}
	if set.ResultCap > 0 {
		rcap = &windowCap{limit: set.ResultCap, pageSize: set.PageSize, logType: lt.Key, logger: set.Logger, newestFirst: lt.ServedNewestFirst}
	}
	s.walker = &walker{
		logType: lt,
		query:   s.query,
		clock:   clock{wiz: set.WizClock, host: set.Now, stream: lt.Key, logger: set.Logger},
		delivery: &delivery{
			stream:   lt.Key,
			logType:  lt.Name,
			mapper:   set.Query.Mapper,
			format:   set.Format,
			next:     set.Next,
			obsrecv:  set.ObsReport,
			backOff:  set.BackOff,
			metrics:  set.Telemetry,
			logger:   set.Logger,
			resource: set.Resource,
			version:  set.Version,
			now:      set.Now,
			split:    set.SplitRefusedPages,

			maxBatchBytes: set.MaxBatchBytes,
		},
		store:           checkpointStore{client: set.Storage, markers: set.Markers, key: "checkpoint." + lt.Key},
		cap:             rcap,
		dedup:           dedup{overlap: set.Overlap, cap: rcap},
		initialLookback: set.InitialLookback,
		overlap:         set.Overlap,
		maxWindow:       set.MaxWindow,
		pageSize:        set.PageSize,
		maxPages:        maxPagesPerWalk,
		logger:          set.Logger,
		now:             set.Now,
	}
	if set.AfterSave != nil {
		s.walker.afterSave = func() { set.AfterSave(s) }
	}
	if set.Query.Snapshot != nil {
		s.snapshots = newSnapshots(set, *s.walker.delivery)
	}
	return s
}

// Key is the log type's key: the stream's name in logs and status.
func (s *Stream) Key() string {
	return s.logType.Key
}

// Restore loads the stored checkpoint, falling back to initial_lookback
// when there is none or it cannot be used. It fails only when the storage
// extension cannot be read: starting from initial_lookback then would
// silently skip or repeat records.
func (s *Stream) Restore(ctx context.Context) error {
	fromCheckpoint, err := s.walker.restore(ctx)
	if err != nil {
		return err
	}
	if s.snapshots != nil {
		if err := s.snapshots.restore(ctx); err != nil {
			return err
		}
	}
	s.logger.Info("Wiz stream enabled",
		zap.String("stream", s.logType.Key),
		zap.String("log_type", s.logType.Name),
		zap.String("time_field", s.query.poll.TimeField.Filter),
		zap.Time("from", s.walker.state.Watermark),
		zap.Bool("from_checkpoint", fromCheckpoint),
		// The fixed filters include the project filter, where the stream has one.
		zap.Any("filter", s.query.poll.Filter))
	return nil
}

// Run checks the connection, then polls until ctx is cancelled, or until
// Wiz refuses the stream for good (missing scope, project-scoped account,
// rejected query), which needs a human.
func (s *Stream) Run(ctx context.Context) {
	err := s.checkConnection(ctx)
	if ctx.Err() != nil || s.stopped(err, "Connection check failed") {
		return
	}
	if err == nil {
		s.logger.Info("Connection check passed", zap.String("stream", s.logType.Key), zap.String("log_type", s.logType.Name))
		s.status(s.logType.Key, nil, false)
	}
	if s.snapshots != nil {
		// Beside the change stream; Run returns once it has stopped, as
		// the storage closes after Run.
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.snapshots.run(ctx)
		}()
		defer func() { <-done }()
	}
	if err != nil && s.sleep(ctx, s.pollInterval) != nil {
		// The check spent its retries; polling at once would spend them
		// again before the interval its log line promised.
		return
	}
	for {
		err := s.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		s.metrics.Polled(s.now(), s.walker.state.Watermark, s.walker.state.LastRecord, err == nil)
		if err == nil {
			s.status(s.logType.Key, s.checkSilence(), false)
		} else if s.stopped(err, "Poll failed; retrying next interval") {
			return
		}
		if s.sleep(ctx, s.pollInterval) != nil {
			return
		}
	}
}

// Poll reads from the checkpoint up to the time it started, one window at
// a time: what Run does every poll_interval.
func (s *Stream) Poll(ctx context.Context) error {
	return s.walker.poll(ctx)
}

// Snapshot takes the posture snapshot that is due to its end: what Run
// does beside the polls. It does nothing when the stream takes no
// snapshots or none is due.
func (s *Stream) Snapshot(ctx context.Context) error {
	if s.snapshots == nil {
		return nil
	}
	return s.snapshots.take(ctx)
}

// checkConnection asks Wiz for one node with the stream's own query and
// filters, time range included, so that credentials, scopes, reachability
// and a filter Wiz does not accept show in the component status within
// seconds of start, not after a long backfill.
func (s *Stream) checkConnection(ctx context.Context) error {
	// The range the first walk will send: a range Wiz would refuse shows
	// here, and one it would take cannot stop the stream.
	filter := s.query.filter(s.walker.firstRange())
	for {
		_, err := s.query.fetch(ctx, map[string]any{"first": 1, "filterBy": filter})
		if dropped, err := s.query.dropRejectedField(err); !dropped {
			return err
		}
	}
}

// retried reports a failed request the client is about to retry: it shows
// in the component status from its first failure, not only once the
// retries are spent, until a request succeeds. A Retry-After that asked
// for longer than max_interval gets a WARN with the value Wiz sent: every
// stream waits max_interval instead.
func (s *Stream) retried(r wiz.Retry) {
	if r.RetryAfterCapped != "" {
		s.logger.Warn("Wiz asked to wait longer than retry_on_failure.max_interval; waiting max_interval",
			zap.String("stream", s.logType.Key), zap.String("operation", s.logType.Query.Operation),
			zap.String("retry_after", r.RetryAfterCapped), zap.Duration("max_interval", r.Wait))
	}
	s.retrying = true
	s.status(s.logType.Key, fmt.Errorf("%s stream: %w; retrying", s.logType.Key, r.Err), false)
}

// fetched reports a request that succeeded: a status that showed retries
// clears.
func (s *Stream) fetched() {
	if s.retrying {
		s.retrying = false
		s.status(s.logType.Key, s.checkSilence(), false)
	}
}

// stopped reports a failed check or poll. Refusals that need a human (a
// missing scope, a rejected query or filter, an IP Wiz refuses) stop the
// stream with a permanent status; anything else (bad credentials, an
// unreachable API, exhausted retries) is recoverable: the checkpoint stays
// and the stream tries again next interval.
func (s *Stream) stopped(err error, retryMsg string) bool {
	if err == nil {
		return false
	}
	var denied *wiz.AccessDeniedError
	var query *wiz.QueryError
	switch {
	case errors.As(err, &denied):
		err = s.explainDenied(denied)
	case errors.As(err, &query) && query.Input != "":
		err = s.query.explainRejectedInput(query)
	case wiz.IsPermanent(err):
		err = fmt.Errorf("%s stream stopped: %w", s.logType.Key, err)
	default:
		s.logger.Warn(retryMsg, zap.String("stream", s.logType.Key),
			zap.Duration("poll_interval", s.pollInterval), zap.Error(err))
		s.status(s.logType.Key, err, false)
		return false
	}
	s.logger.Error("Stream stopped", zap.String("stream", s.logType.Key), zap.Error(err))
	s.status(s.logType.Key, err, true)
	return true
}

func (s *Stream) explainDenied(denied *wiz.AccessDeniedError) error {
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
func (s *Stream) checkSilence() error {
	lastRecord := s.walker.state.LastRecord
	silentFor := s.now().Sub(lastRecord)
	if s.noEventsTimeout <= 0 || silentFor < s.noEventsTimeout {
		if s.silent {
			s.silent = false
			s.metrics.NoEvents(false)
			s.logger.Info("Records are flowing again", zap.String("stream", s.logType.Key))
		}
		return nil
	}
	err := fmt.Errorf("%s stream: no records for %s (last record at %s); check that the stream's data still exists in Wiz and the service account's scope",
		s.logType.Key, silentFor.Truncate(time.Second), lastRecord.UTC().Format(time.RFC3339))
	if !s.silent {
		s.silent = true
		s.metrics.NoEvents(true)
		s.logger.Warn("No events", zap.String("stream", s.logType.Key), zap.Time("last_record", lastRecord),
			zap.Duration("no_events_timeout", s.noEventsTimeout))
	}
	return err
}
