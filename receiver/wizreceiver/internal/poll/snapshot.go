// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/backoff"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// The attributes and event name of posture snapshots (docs/log-records.md).
const (
	AttrSnapshotID        = "wiz.snapshot.id"
	AttrSnapshotStartedAt = "wiz.snapshot.started_at"
	AttrSnapshotRecords   = "wiz.snapshot.records"
	AttrSnapshotComplete  = "wiz.snapshot.complete"
	AttrSnapshotRefused   = "wiz.snapshot.refused"
	SnapshotEndEventName  = "wiz.snapshot.end"
)

// snapshotOrigin is where a snapshot's first partition starts: before any
// finding was first seen. Empty partitions widen twofold, so the years
// before a tenant's first finding cost a request or two each.
var snapshotOrigin = time.Unix(0, 0).UTC()

// firstPartition is the width of a snapshot's first partition.
const firstPartition = 24 * time.Hour

// partitionLimit bounds the nodes one partition's walk may be served when
// Wiz caps the log type at no lower number: it keeps the keys a split
// partition holds, and so the stored state, bounded.
const partitionLimit = 10000

// minPartition is the narrowest partition a snapshot halves to. A
// partition under twice as wide that still reaches the cap is read as far
// as Wiz serves it, and the snapshot is marked incomplete: more findings
// first seen within one second than the cap are a burst no finer split
// is likely to part, and each halving costs a walk of up to the cap.
const minPartition = time.Second

// baseSplitBudget is the halvings (and capped partitions too narrow to
// halve) a snapshot may spend before it has delivered anything: twice
// the halvings from the widest partition, 1970 to now, down to
// minPartition. Each cap's worth of records delivered earns
// splitsPerCap more: a real tenant halves where it is dense, and its
// dense ranges deliver records. A Wiz that reports the cap reached on
// every walk earns none, and the snapshot ends within the budget. One
// that serves new findings on every walk earns more, so the budget never
// passes maxSplits, room for some 250 caps of findings read in
// partitions that each needed a halving or four.
const (
	baseSplitBudget = 64
	splitsPerCap    = 4
	maxSplits       = 1024
)

// seenPerCap bounds the keys an open snapshot holds, and stores with its
// state, to that many times the limit: a real tenant's keys of partitions
// not yet read whole are those of a few halvings. A Wiz that serves new
// findings on every capped walk of one partition would otherwise grow
// them, and every save, without end; past the bound the snapshot ends
// incomplete.
const seenPerCap = 8

// snapshots takes a stream's posture snapshots: every interval, every
// finding in the snapshot's statuses, read whole, with no time window. The
// walk is split into partitions of a field that never changes for a
// finding (when Wiz first saw it), each small enough for Wiz's result cap:
// a partition whose walk reaches the cap is halved and read again. Its
// records carry the snapshot's id and start; a marker record closes it
// with its count. It runs beside the change stream, with a query and a
// delivery of its own, over the same Wiz client (and its rate limiter).
type snapshots struct {
	logType *logtype.LogType
	// format names the records' format (Settings.FormatName).
	format    string
	query     *wizQuery
	delivery  *delivery
	mapper    *snapshotMapper
	snapshot  logtype.SnapshotQuery
	store     snapshotStore
	limit     int
	pageSize  int
	retryWait time.Duration
	logger    *zap.Logger
	now       func() time.Time
	// sleep waits for d or until ctx is done: backoff.Sleep, or a test's.
	sleep func(ctx context.Context, d time.Duration) error
	// afterSave, when set, runs after every write of the state.
	afterSave func()

	state snapshotState
	seen  seenSet
}

// newSnapshots builds the snapshots of the stream set describes, with a
// query of its own and a copy of the stream's delivery whose mapper adds
// the snapshot's attributes.
func newSnapshots(set Settings, d delivery) *snapshots {
	lt, snap := set.LogType, *set.Query.Snapshot
	mapper := &snapshotMapper{inner: set.Query.Mapper, partition: snap.Partition.Node}
	d.mapper, d.times = mapper, nil
	limit := set.ResultCap
	if limit <= 0 || limit > partitionLimit {
		limit = partitionLimit
	}
	s := &snapshots{
		logType: lt,
		format:  set.FormatName,
		query: &wizQuery{
			logType: lt,
			poll:    logtype.PollQuery{TimeField: snap.Partition, Filter: snap.Filter, Mapper: mapper},
			text:    lt.Query.Query,
			client:  set.Client,
			metrics: set.Telemetry,
			logger:  set.Logger,
			// The change stream shows Wiz's health in the status; the
			// snapshot's retries are its own.
			retried: func(wiz.Retry) {},
			fetched: func() {},
		},
		delivery:  &d,
		mapper:    mapper,
		snapshot:  snap,
		store:     snapshotStore{client: set.Storage, key: "snapshot." + lt.Key},
		limit:     limit,
		pageSize:  set.PageSize,
		retryWait: set.PollInterval,
		logger:    set.Logger,
		now:       set.Now,
		sleep:     backoff.Sleep,
	}
	return s
}

// restore loads the stored state: an open snapshot taken with the same
// query settings goes on where it stood.
func (s *snapshots) restore(ctx context.Context) error {
	key := s.logType.Key
	st, err := s.store.load(ctx)
	switch {
	case isUnusable(err):
		s.logger.Error("Ignoring unusable snapshot state; the next snapshot starts afresh", zap.String("stream", key), zap.Error(err))
		st = snapshotState{}
	case err != nil:
		return fmt.Errorf("%s stream: %w; check the storage extension (its directory must be readable)", key, err)
	}
	fp := s.fingerprint()
	if st.Open != nil && st.Fingerprint != fp {
		s.logger.Info("Snapshot settings changed since the last run; starting the open snapshot again",
			zap.String("stream", key), zap.String("snapshot_id", st.Open.ID))
		st.Open = nil
	}
	st.Fingerprint = fp
	s.state = st
	s.seen = seenSet{}
	if st.Open != nil {
		for _, k := range st.Open.Seen {
			s.seen[k.Hash] = k.Time
		}
		s.logger.Info("Continuing a posture snapshot", zap.String("stream", key), zap.String("snapshot_id", st.Open.ID),
			zap.Int("records", st.Open.Records), zap.Time("partition_from", st.Open.From))
	}
	return nil
}

// fingerprint identifies the snapshot's settings: its query, filter and
// partition field, and the records' format, so that one snapshot never
// mixes two body shapes.
func (s *snapshots) fingerprint() string {
	sum := sha256.Sum256([]byte(s.query.fingerprint() + "\x00" + s.format))
	return hex.EncodeToString(sum[:8])
}

// due reports when the next snapshot is due: at once when one is open or
// none was ever taken.
func (s *snapshots) due() time.Time {
	if s.state.Open != nil || s.state.LastStartedAt.IsZero() {
		return time.Time{}
	}
	return s.state.LastStartedAt.Add(s.snapshot.Interval)
}

// wait is how long, at now, until the next snapshot is due; not positive
// when one is due.
func (s *snapshots) wait(now time.Time) time.Duration {
	return s.due().Sub(now)
}

// run takes a snapshot whenever one is due, until ctx is cancelled or Wiz
// refuses the query for good. A failed step is tried again after the
// stream's poll interval, going on where it stood.
func (s *snapshots) run(ctx context.Context) {
	for {
		if wait := s.wait(s.now()); wait > 0 && s.sleep(ctx, wait) != nil {
			return
		}
		err := s.take(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if wiz.IsPermanent(err) {
				s.logger.Error("Posture snapshots stopped", zap.String("stream", s.logType.Key), zap.Error(err))
				return
			}
			s.logger.Warn("Posture snapshot failed; going on where it stood after the poll interval",
				zap.String("stream", s.logType.Key), zap.Error(err))
			if s.sleep(ctx, s.retryWait) != nil {
				return
			}
		}
	}
}

// take takes the snapshot that is due to its end: the open one, or a new
// one when the interval has passed since the last one started. It does
// nothing when none is due.
func (s *snapshots) take(ctx context.Context) error {
	now := s.now()
	if s.due().After(now) {
		return nil
	}
	if s.state.Open == nil {
		started := now.UTC().Truncate(timeTick)
		s.state.Open = &openSnapshot{
			ID:        s.logType.Key + "/" + started.Format(time.RFC3339Nano),
			StartedAt: started,
			From:      snapshotOrigin,
			To:        minTime(snapshotOrigin.Add(firstPartition), started),
		}
		s.seen = seenSet{}
		s.logger.Info("Posture snapshot started", zap.String("stream", s.logType.Key), zap.String("snapshot_id", s.state.Open.ID))
		if err := s.save(ctx); err != nil {
			return err
		}
	}
	open := s.state.Open
	s.mapper.id, s.mapper.startedAt = open.ID, open.StartedAt.Format(time.RFC3339Nano)
	for !open.CutShort && !open.From.After(open.StartedAt) {
		stoppedAtLimit, err := s.walk(ctx, open)
		if err != nil {
			return err
		}
		if len(s.seen) > seenPerCap*s.limit {
			if err := s.cutShort(ctx, open); err != nil {
				return err
			}
			break
		}
		if stoppedAtLimit || s.capped(open) {
			open.Splits++
			if open.Splits > s.splitBudget(open) {
				if err := s.cutShort(ctx, open); err != nil {
					return err
				}
				break
			}
			if s.split(open) {
				if err := s.save(ctx); err != nil {
					return err
				}
				continue
			}
		}
		s.next(open)
		if err := s.save(ctx); err != nil {
			return err
		}
	}
	return s.end(ctx, open)
}

// capped reports whether Wiz's result cap may have cut the partition's
// walk short: Wiz's word where it gives one, else a walk served the whole
// limit. A walk that stopped at the limit with a next page to read was cut
// short whatever Wiz says (walk reports it).
func (s *snapshots) capped(open *openSnapshot) bool {
	if open.MaxCountReached != nil {
		return *open.MaxCountReached
	}
	return open.Served >= s.limit
}

// splitBudget is how many capped walks the open snapshot may spend
// (baseSplitBudget), never more than maxSplits.
func (s *snapshots) splitBudget(open *openSnapshot) int {
	return min(baseSplitBudget+splitsPerCap*open.Records/s.limit, maxSplits)
}

// cutShort ends the walk of the open snapshot where it stands: the rest is
// not read, and the marker says the snapshot is incomplete. A snapshot
// never loops, nor holds keys, without bound.
func (s *snapshots) cutShort(ctx context.Context, open *openSnapshot) error {
	open.Truncated, open.CutShort = true, true
	return s.save(ctx)
}

// split halves a partition whose walk may have been cut short, to be read
// again; what it delivered stays in the seen set and is not repeated. It
// reports false for a partition under twice minPartition wide, which is
// not split: the rest of it is not read, and the snapshot is marked
// truncated.
func (s *snapshots) split(open *openSnapshot) bool {
	width := open.To.Sub(open.From)
	if width < 2*minPartition {
		open.Truncated = true
		open.CappedPartitions++
		s.logger.Debug("Wiz's result cap cut short a snapshot partition too narrow to split; the snapshot may miss findings",
			zap.String("stream", s.logType.Key), zap.String("snapshot_id", open.ID), zap.Int("result_cap", s.limit),
			zap.Time("from", open.From), zap.Time("to", open.To))
		return false
	}
	open.To = open.From.Add((width / 2).Truncate(timeTick))
	open.Cursor, open.Served, open.MaxCountReached = "", 0, nil
	s.logger.Debug("Snapshot partition reached Wiz's result cap; splitting it", zap.String("stream", s.logType.Key),
		zap.Time("from", open.From), zap.Time("to", open.To))
	return true
}

// next moves to the partition after the one read whole: as wide, or twice
// as wide when this one held less than a quarter of the limit. Keys at or
// before its end are let go: no later partition reads them.
func (s *snapshots) next(open *openSnapshot) {
	width := open.To.Sub(open.From) + timeTick
	if open.Served < s.limit/4 {
		width *= 2
	}
	open.From = open.To.Add(timeTick)
	open.To = minTime(open.From.Add(width-timeTick), open.StartedAt)
	open.Cursor, open.Served, open.MaxCountReached = "", 0, nil
	done := open.From.UnixNano()
	s.seen.keepOnly(func(t int64) bool { return t >= done })
}

// walk reads the open partition page by page from its cursor, delivering
// the findings in it. stoppedAtLimit reports that it stopped at the limit
// with a next page Wiz still offered: the partition was not read whole.
func (s *snapshots) walk(ctx context.Context, open *openSnapshot) (stoppedAtLimit bool, _ error) {
	filter := maps.Clone(s.snapshot.Filter)
	// Widened by a tick, so the range is read whatever Wiz's bound
	// semantics; nodes outside it are the neighbours' to deliver.
	filter[s.snapshot.Partition.Filter] = map[string]any{
		"after":  formatTime(open.From.Add(-timeTick)),
		"before": formatTime(open.To.Add(timeTick)),
	}
	restarted := false
	cursors := map[string]bool{}
	for {
		vars := map[string]any{"first": s.pageSize, "filterBy": filter}
		if open.Cursor != "" {
			vars["after"] = open.Cursor
		}
		page, err := s.query.fetch(ctx, vars)
		dropped, err := s.query.dropRejectedField(err)
		if dropped {
			continue
		}
		if open.Cursor != "" && !restarted && cursorRejected(err) {
			// A stale cursor: read the partition again from its start; the
			// seen set drops what was delivered.
			s.logger.Warn("Cursor rejected; re-reading the snapshot partition from its start",
				zap.String("stream", s.logType.Key), zap.Error(err))
			open.Cursor, open.Served, open.MaxCountReached = "", 0, nil
			restarted, cursors = true, map[string]bool{}
			continue
		}
		if err != nil {
			return false, err
		}
		if page.HasNextPage && (len(page.Nodes) == 0 || page.EndCursor == "" || page.EndCursor == open.Cursor || cursors[page.EndCursor]) {
			return false, fmt.Errorf("%w: snapshot page with %d nodes, hasNextPage and end cursor %q already seen",
				errPagingLoop, len(page.Nodes), page.EndCursor)
		}
		cursors[page.EndCursor] = true
		if err := s.deliver(ctx, open, page); err != nil {
			return false, err
		}
		open.Served += len(page.Nodes)
		if page.MaxCountReached != nil {
			open.MaxCountReached = page.MaxCountReached
		}
		if !page.HasNextPage {
			return false, nil
		}
		if open.Served >= s.limit {
			// Served the limit, the walk is capped: a real Wiz serves no
			// more, and one that does would walk without end.
			return true, nil
		}
		open.Cursor = page.EndCursor
		if err := s.save(ctx); err != nil {
			return false, err
		}
	}
}

// deliver hands the page's findings in the open partition to the delivery,
// each once per snapshot: the key is the finding's id and partition time,
// which never changes, so a finding that changed during the walk is
// delivered in one version only.
func (s *snapshots) deliver(ctx context.Context, open *openSnapshot, page wiz.Page) error {
	inRange := page
	inRange.Nodes = inRange.Nodes[:0:0]
	from, to := open.From.UnixNano(), open.To.UnixNano()
	for _, node := range page.Nodes {
		// Partitions are aligned to the tick: a time with digits below it
		// belongs to the partition of its tick, not to the gap between one
		// partition's end and the next one's start.
		at, err := s.mapper.partitionTime(node)
		if tick := at.Truncate(timeTick).UnixNano(); err != nil || (tick >= from && tick <= to) {
			// A node without the field is left to the mapper, which
			// counts it unmappable.
			inRange.Nodes = append(inRange.Nodes, node)
		}
	}
	res, _, err := s.delivery.deliver(ctx, inRange, open.To, func(h uint64) bool {
		_, ok := s.seen[h]
		return ok
	})
	// On a failure part-way, keys holds what the consumer took before it:
	// the page is read again, and those are not sent twice, even after a
	// restart, so they are saved at once.
	// A record refused for good is not sent again either, but is not
	// counted: the marker counts what the consumer accepted.
	refused := make(map[uint64]bool, len(res.refused))
	for _, h := range res.refused {
		refused[h] = true
	}
	for h, t := range res.keys {
		if _, ok := s.seen[h]; !ok {
			s.seen[h] = t
			if refused[h] {
				open.Refused++
			} else {
				open.Records++
			}
		}
	}
	if err != nil && len(res.keys) > 0 {
		if saveErr := s.save(ctx); saveErr != nil {
			return errors.Join(err, saveErr)
		}
	}
	return err
}

// end closes the snapshot with its marker record, once the next consumer
// accepted it.
func (s *snapshots) end(ctx context.Context, open *openSnapshot) error {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	s.delivery.resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	sl.Scope().SetVersion(s.delivery.version)
	lr := sl.LogRecords().AppendEmpty()
	now := pcommon.NewTimestampFromTime(s.now())
	lr.SetTimestamp(now)
	lr.SetObservedTimestamp(now)
	lr.SetEventName(SnapshotEndEventName)
	lr.Body().SetStr(fmt.Sprintf("%s snapshot %s ended with %d records", s.logType.Name, open.ID, open.Records))
	attrs := lr.Attributes()
	attrs.PutStr(mapping.AttrLogType, s.logType.Name)
	attrs.PutStr(mapping.AttrRecordUID, SnapshotEndEventName+"/"+open.ID)
	attrs.PutStr(AttrSnapshotID, open.ID)
	attrs.PutStr(AttrSnapshotStartedAt, open.StartedAt.Format(time.RFC3339Nano))
	attrs.PutInt(AttrSnapshotRecords, int64(open.Records))
	attrs.PutBool(AttrSnapshotComplete, open.complete())
	attrs.PutInt(AttrSnapshotRefused, int64(open.Refused))
	if err := s.delivery.send(ctx, logs); err != nil {
		if !consumererror.IsPermanent(err) {
			return err
		}
		s.logger.Error("Next consumer permanently refused a snapshot's end marker; dropping it",
			zap.String("stream", s.logType.Key), zap.String("snapshot_id", open.ID), zap.Error(err))
	}
	s.logEnd(open)
	s.state.LastStartedAt, s.state.Open = open.StartedAt, nil
	s.seen = seenSet{}
	return s.save(ctx)
}

// logEnd logs the end of the snapshot: one ERROR, naming the data set and
// what to do, when it is incomplete.
func (s *snapshots) logEnd(open *openSnapshot) {
	fields := []zap.Field{
		zap.String("stream", s.logType.Key), zap.String("snapshot_id", open.ID), zap.Int("records", open.Records),
		zap.Bool("complete", open.complete()), zap.Int("refused", open.Refused), zap.Int("result_cap", s.limit),
		zap.Int("capped_partitions", open.CappedPartitions), zap.Int("capped_walks", open.Splits),
	}
	switch {
	case open.CutShort:
		s.logger.Error("Posture snapshot ended incomplete: Wiz reported its result cap reached on more walks, or served more findings to a part "+
			"it capped, than the snapshot's bounds allow, "+
			"so the rest of the walk was not read; the change stream is unaffected. Check that nothing between the collector and Wiz "+
			"alters maxCountReached; if Wiz itself reports it, narrow "+s.logType.Key+".snapshot.statuses or project_ids and report it to Wiz support",
			append(fields, zap.Time("cut_at", open.From), zap.Int("split_budget", s.splitBudget(open)), zap.Int("keys_held", len(s.seen)))...)
	case open.Truncated:
		s.logger.Error("Posture snapshot ended incomplete: more "+s.logType.Noun+" than Wiz's result cap were first seen within a second, "+
			"and the rest of such a second cannot be read; the change stream is unaffected. Narrow "+s.logType.Key+
			".snapshot.statuses or project_ids so fewer findings share a first-seen second", fields...)
	case open.Refused > 0:
		s.logger.Error("Posture snapshot ended incomplete: the next consumer refused some of its records for good (logged with their ids "+
			"when refused); its end marker says so, and a consumer that checks it keeps the previous snapshot", fields...)
	default:
		s.logger.Info("Posture snapshot ended", fields...)
	}
}

// save persists the state with the open snapshot's keys.
func (s *snapshots) save(ctx context.Context) error {
	if s.state.Open != nil {
		s.state.Open.Seen = s.seen.toSlice()
	}
	if err := s.store.save(context.WithoutCancel(ctx), s.state); err != nil {
		return err
	}
	if s.afterSave != nil {
		s.afterSave()
	}
	return nil
}

// snapshotMapper maps a snapshot's nodes as the stream's mapper does (the
// same log.record.uid), adds the snapshot's id and start, and keys each
// record by its finding's id and partition time, which never changes.
type snapshotMapper struct {
	inner mapping.Mapper
	// partition is the node field of the partition time.
	partition string
	// id and startedAt are the open snapshot's.
	id, startedAt string
}

func (m *snapshotMapper) Map(node []byte, lr plog.LogRecord) (mapping.Mapped, error) {
	at, err := m.partitionTime(node)
	if err != nil {
		return mapping.Mapped{}, err
	}
	res, err := m.inner.Map(node, lr)
	if err != nil {
		return res, err
	}
	lr.Attributes().PutStr(AttrSnapshotID, m.id)
	lr.Attributes().PutStr(AttrSnapshotStartedAt, m.startedAt)
	res.Key.Time = at
	return res, nil
}

func (m *snapshotMapper) KeyFields() []string {
	return append(m.inner.KeyFields(), m.partition)
}

// partitionTime reads the node's partition time.
func (m *snapshotMapper) partitionTime(node []byte) (time.Time, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(node, &fields); err != nil {
		return time.Time{}, err
	}
	var raw string
	if err := json.Unmarshal(fields[m.partition], &raw); err != nil {
		return time.Time{}, fmt.Errorf("field %s: %w", m.partition, err)
	}
	at, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, fmt.Errorf("field %s: %w", m.partition, err)
	}
	return at, nil
}
