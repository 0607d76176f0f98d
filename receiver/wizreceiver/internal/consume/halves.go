// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package consume hands batches of records to the next consumer for the
// engine and the webhook alike.
//
// A permanent refusal (consumererror.IsPermanent) of a request says nothing
// of which of its records the next consumer cannot take: an OTLP backend
// refuses a whole request for the one record it cannot decode. So a
// refused batch (a page, or a webhook array) is sent again in halves, and a
// refused half in halves again, down to the single records that are
// refused; only those are dropped. One such record among n costs about
// 2·log2(n) more requests, each level resending the batch once; a consumer
// that refuses everything costs at most 2n − 1.
//
// When the receiver feeds several pipelines, the next consumer is their
// fan-out, and one pipeline's refusal is the request's: every half goes to
// every pipeline again, so the pipelines that accepted the batch get some
// of its records up to log2(n)+1 times. The receiver's split_refused_pages
// turns the split off (Batch): a refused batch is then refused whole.
package consume

import (
	"context"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Refusal is a record of a batch that the next consumer refused for good,
// alone.
type Refusal struct {
	// Index is the record's place in the batch.
	Index int
	Err   error
}

// Batch hands batch, whose records sit in one scope, to send, and returns
// the records the next consumer refused for good. With split, a batch
// refused for good is sent again in halves (InHalves); without, it is
// refused whole: each of its records is refused, with the batch's error.
// accepted and the error returned are InHalves'.
func Batch(ctx context.Context, batch plog.Logs, split bool, send func(context.Context, plog.Logs) error, accepted func(lo, hi int)) ([]Refusal, error) {
	if split {
		return InHalves(ctx, batch, send, accepted)
	}
	n := batch.LogRecordCount()
	err := send(ctx, batch)
	switch {
	case err == nil:
		accepted(0, n)
		return nil, nil
	case !consumererror.IsPermanent(err):
		return nil, err
	}
	refused := make([]Refusal, n)
	for i := range refused {
		refused[i] = Refusal{Index: i, Err: err}
	}
	return refused, nil
}

// InHalves hands batch, whose records sit in one scope, to send. It
// calls accepted with the bounds [lo, hi) of each run of records that send
// accepted, and returns the records it refused for good. Any other error of
// send stops it and is returned: the records not yet accepted or refused
// then wait for the batch to be sent again.
func InHalves(ctx context.Context, batch plog.Logs, send func(context.Context, plog.Logs) error, accepted func(lo, hi int)) ([]Refusal, error) {
	h := halving{batch: batch, send: send, accepted: accepted}
	err := h.sendRun(ctx, 0, batch.LogRecordCount(), batch)
	return h.refused, err
}

type halving struct {
	batch    plog.Logs
	send     func(context.Context, plog.Logs) error
	accepted func(lo, hi int)
	refused  []Refusal
}

// sendRun sends logs, which hold the records [lo, hi) of the batch.
func (h *halving) sendRun(ctx context.Context, lo, hi int, logs plog.Logs) error {
	err := h.send(ctx, logs)
	switch {
	case err == nil:
		h.accepted(lo, hi)
		return nil
	case !consumererror.IsPermanent(err):
		return err
	case hi-lo == 1:
		h.refused = append(h.refused, Refusal{Index: lo, Err: err})
		return nil
	}
	mid := lo + (hi-lo)/2
	if err := h.sendRun(ctx, lo, mid, h.run(lo, mid)); err != nil {
		return err
	}
	return h.sendRun(ctx, mid, hi, h.run(mid, hi))
}

// run copies the records [lo, hi) of the batch, with its resource and
// scope, into logs of their own. The batch is only read: a consumer may
// have marked it read-only.
func (h *halving) run(lo, hi int) plog.Logs {
	rl := h.batch.ResourceLogs().At(0)
	sl := rl.ScopeLogs().At(0)
	logs := plog.NewLogs()
	outRL := logs.ResourceLogs().AppendEmpty()
	rl.Resource().CopyTo(outRL.Resource())
	outRL.SetSchemaUrl(rl.SchemaUrl())
	outSL := outRL.ScopeLogs().AppendEmpty()
	sl.Scope().CopyTo(outSL.Scope())
	outSL.SetSchemaUrl(sl.SchemaUrl())
	records := outSL.LogRecords()
	records.EnsureCapacity(hi - lo)
	for i := lo; i < hi; i++ {
		sl.LogRecords().At(i).CopyTo(records.AppendEmpty())
	}
	return logs
}
