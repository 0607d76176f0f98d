// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/backoff"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/consume"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// delivery maps a stream's pages to records and hands them to the next
// consumer. It knows nothing of windows or checkpoints: the walker tells
// it what was delivered before, and keeps what it accepted.
type delivery struct {
	stream  string // the log type's key, for log lines
	logType string // its records' wiz.log_type
	mapper  mapping.Mapper
	// format turns a native record into the configured format; nil keeps
	// it native.
	format   func(logType string, lr plog.LogRecord) error
	next     consumer.Logs
	obsrecv  *receiverhelper.ObsReport
	backOff  configretry.BackOffConfig
	metrics  Telemetry
	logger   *zap.Logger
	resource pcommon.Resource
	version  string
	now      func() time.Time
	// split is split_refused_pages: a page refused for good is sent again
	// in halves, down to the records refused, rather than refused whole.
	split bool
	// maxBatchBytes is max_batch_bytes: a page is handed over in batches
	// of at most this much of Wiz's JSON.
	maxBatchBytes int

	// times is deliver's scratch list of a page's polled times.
	times []time.Time
}

// takenPage is what became of a page the next consumer was handed.
type takenPage struct {
	// keys holds the keys of the page's records, by hash, with their
	// polled times no later than the window's end (keyTime): when the
	// consumer took the page whole, those handed over now and those
	// delivered before; when it failed part-way, those it took before.
	keys seenSet
	// times are the polled times of the page's mapped nodes, in the order
	// Wiz served them (the scratch list: valid until the next page).
	times []time.Time
	// refused holds the hashes of the keys the consumer refused for good
	// this time: they are in keys, but were not delivered.
	refused []uint64
}

// deliver maps a page, drops what was delivered before (seen reports it by
// key hash), and hands the rest to the next consumer, in batches of at most
// maxBatchBytes of Wiz's JSON (a record larger than that alone): only one
// batch's records are built at a time, whatever the page's size. Only a
// page the consumer took whole (accepted, or refused for good record by
// record) is delivered: a page refused for now is fetched again, and the
// keys of what the consumer took of it before it failed are returned with
// the error, so that they are not sent again. lastRecord is when the
// consumer last accepted a record of the page, zero when it took none.
func (d *delivery) deliver(ctx context.Context, page wiz.Page, end time.Time, seen func(h uint64) bool) (_ takenPage, lastRecord time.Time, _ error) {
	observed := pcommon.NewTimestampFromTime(d.now())
	keys := make(seenSet, len(page.Nodes))
	d.times = d.times[:0]
	var (
		b              batch
		took, refused  []uint64
		batchCapacity  = len(page.Nodes)
		consumeFailure error
	)
	// flush hands the batch over, if it holds a record, and empties it.
	flush := func() error {
		if len(b.sent) == 0 {
			return nil
		}
		tookNow, refusedNow, last, err := d.consume(ctx, b.logs, b.sent)
		took, refused = append(took, tookNow...), append(refused, refusedNow...)
		if !last.IsZero() {
			lastRecord = last
		}
		batchCapacity, b = len(b.sent), batch{}
		return err
	}
	scratch := plog.NewLogRecord()
	duplicates, unmappable := 0, 0
	skip := func() {
		duplicates++
		scratch = plog.NewLogRecord()
	}
	for _, node := range page.Nodes {
		res, err := d.mapper.Map(node, scratch)
		if err != nil {
			// Retrying cannot map it either; holding the checkpoint would
			// stall the stream. It is counted, so a change in Wiz's data
			// that makes every node unmappable shows on a dashboard.
			unmappable++
			d.logger.Warn("Skipping a node that cannot be mapped", zap.String("stream", d.stream),
				zap.String("id", nodeID(node)), zap.Error(err))
			scratch = plog.NewLogRecord()
			continue
		}
		d.times = append(d.times, res.Key.Time)
		h := hashKey(res.Key)
		if _, inPage := keys[h]; inPage {
			skip()
			continue
		}
		keys[h] = keyTime(res.Key.Time, end)
		if seen(h) {
			skip()
			continue
		}
		if b.bytes+len(node) > d.maxBatchBytes {
			if consumeFailure = flush(); consumeFailure != nil {
				break
			}
		}
		if b.sent == nil {
			b = d.newBatch(batchCapacity)
		}
		b.sent = append(b.sent, sentRecord{id: res.Key.ID, hash: h, flattened: res.Flattened})
		b.bytes += len(node)
		if d.format != nil {
			if err := d.format(d.logType, scratch); err != nil {
				d.metrics.Unconverted(err)
			}
		}
		scratch.SetObservedTimestamp(observed)
		scratch.MoveTo(b.records.AppendEmpty())
	}
	if consumeFailure == nil {
		consumeFailure = flush()
	}
	if consumeFailure != nil {
		// Only the keys of what the consumer took: the rest is sent when
		// the page is read again.
		handed := make(seenSet, len(took))
		for _, h := range took {
			handed[h] = keys[h]
		}
		return takenPage{keys: handed, refused: refused}, lastRecord, consumeFailure
	}
	d.metrics.Deduplicated(duplicates)
	d.metrics.Unmappable(unmappable)
	return takenPage{keys: keys, times: d.times, refused: refused}, lastRecord, nil
}

// batch is the records of a page being built to be handed over together.
type batch struct {
	logs    plog.Logs
	records plog.LogRecordSlice
	sent    []sentRecord
	// bytes is the size of the records' nodes as Wiz sent them.
	bytes int
}

// newBatch starts a batch with room for about capacity records.
func (d *delivery) newBatch(capacity int) batch {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	d.resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	sl.Scope().SetVersion(d.version)
	records := sl.LogRecords()
	records.EnsureCapacity(capacity)
	return batch{logs: logs, records: records, sent: make([]sentRecord, 0, capacity)}
}

// keyTime is the time a record's key is kept by: its polled time, or the
// window's end when it is dated past it. Wiz serves such a node although
// the query ends there when the node's date is not the field Wiz filters
// by (a vulnerability finding polled on first_seen_at is filtered by
// firstSeenAt, dated by firstDetectedAt or else lastDetectedAt), when Wiz
// ignores the query's end, or when the node changed while the query ran.
// No later window may serve it, so it is delivered now; its key, kept as of
// the window's end, is let go with the overlap like any other, and does not
// wait in the seen set for a date that may be far off.
func keyTime(polled, end time.Time) int64 {
	return minTime(polled, end).UnixNano()
}

// sentRecord is what the delivery knows of a record it hands over.
type sentRecord struct {
	id        string
	hash      uint64
	flattened bool
}

// consume hands a batch of a page's records to the next consumer (send). A
// permanent refusal splits them (consume.Batch), unless split_refused_pages
// is off: the records refused alone, or the whole batch, are not sent again, logged
// with their ids and counted, since retrying cannot succeed and holding the
// checkpoint would stall the stream. With several pipelines, one refused
// them; the others may have taken them. took holds the key hashes of the
// records the consumer took, accepted or refused for good: when it then
// fails for now, the page is read again, and these are not to be sent
// twice; refusedKeys holds those of took it refused for good. lastRecord is
// when the consumer took records, zero when it took none.
func (d *delivery) consume(ctx context.Context, logs plog.Logs, sent []sentRecord) (took, refusedKeys []uint64, lastRecord time.Time, _ error) {
	refused, err := consume.Batch(ctx, logs, d.split, d.send, func(lo, hi int) {
		flattened := 0
		for _, r := range sent[lo:hi] {
			took = append(took, r.hash)
			if r.flattened {
				flattened++
			}
		}
		d.metrics.Emitted(hi - lo)
		d.metrics.Flattened(flattened)
	})
	if len(took) > 0 {
		lastRecord = d.now()
	}
	if len(refused) > 0 {
		ids := make([]string, len(refused))
		for i, r := range refused {
			ids[i] = sent[r.Index].id
			took = append(took, sent[r.Index].hash)
			refusedKeys = append(refusedKeys, sent[r.Index].hash)
		}
		d.metrics.Refused(len(refused))
		d.logger.Error("Next consumer permanently refused records (one of its pipelines, when the receiver feeds several); not sending them again",
			zap.String("stream", d.stream), zap.Int("records", len(refused)), zap.Int("batch_records", len(sent)),
			zap.Strings("ids", ids), zap.Error(refused[0].Err))
	}
	return took, refusedKeys, lastRecord, err
}

// send hands logs to the next consumer, retrying retryable refusals with
// back-off. It returns nil, a permanent refusal, or the error that ended
// the retries.
func (d *delivery) send(ctx context.Context, logs plog.Logs) error {
	bo := backoff.New(d.backOff, d.now)
	for {
		err := consume.Once(ctx, d.obsrecv, metadata.Type.String(), d.next, logs, d.split)
		if err == nil || consumererror.IsPermanent(err) {
			return err
		}
		wait, ok := bo.Next(0)
		if !ok {
			return fmt.Errorf("next consumer refused %d records: %w", logs.LogRecordCount(), err)
		}
		d.logger.Debug("Next consumer refused records; retrying", zap.String("stream", d.stream), zap.Duration("wait", wait), zap.Error(err))
		if err := backoff.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// nodeID reads a node's id for a log line, or "" when it has none.
func nodeID(node json.RawMessage) string {
	var n struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(node, &n)
	return n.ID
}
