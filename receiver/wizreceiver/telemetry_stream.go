// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/ocsf"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/poll"
)

var _ poll.Telemetry = streamTelemetry{}

// streamTelemetry records the metrics of one log type's records with its
// log_type attribute: a stream's, or those the webhook receives of a
// pushed log type.
type streamTelemetry struct {
	tb    *metadata.TelemetryBuilder
	attrs metric.MeasurementOption
}

func (t streamTelemetry) Emitted(n int) {
	t.tb.WizRecordsEmitted.Add(context.Background(), int64(n), t.attrs)
}

// Flattened counts accepted records whose body kept its deepest values as
// JSON text.
func (t streamTelemetry) Flattened(n int) {
	if n > 0 {
		t.tb.WizRecordsFlattened.Add(context.Background(), int64(n), t.attrs)
	}
}

// Why records were dropped: the reason attribute of wiz_records_dropped.
const (
	// dropRefused: the next consumer refused them permanently.
	dropRefused = "consumer_refused"
	// dropUnmappable: the node has no id or no valid polled time.
	dropUnmappable = "unmappable"
)

func (t streamTelemetry) Refused(n int) { t.dropped(n, dropRefused) }

func (t streamTelemetry) Unmappable(n int) { t.dropped(n, dropUnmappable) }

func (t streamTelemetry) dropped(n int, reason string) {
	if n > 0 {
		t.tb.WizRecordsDropped.Add(context.Background(), int64(n), t.attrs,
			metric.WithAttributes(attribute.String(attrReason, reason)))
	}
}

// Unconverted counts a record format: ocsf left in Wiz's native shape.
func (t streamTelemetry) Unconverted(err error) {
	t.tb.WizRecordsUnconverted.Add(context.Background(), 1, t.attrs,
		metric.WithAttributes(attribute.String(attrReason, ocsf.Reason(err))))
}

func (t streamTelemetry) FieldDropped(field string) {
	t.tb.WizQueryFieldsDropped.Add(context.Background(), 1, t.attrs, metric.WithAttributes(attribute.String(attrField, field)))
}

func (t streamTelemetry) Deduplicated(n int) {
	if n > 0 {
		t.tb.WizRecordsDeduplicated.Add(context.Background(), int64(n), t.attrs)
	}
}

// Polled records the gauges a poll updates: the checkpoint's lag, the time
// of the last successful poll, and the time since the last record.
func (t streamTelemetry) Polled(now, watermark, lastRecord time.Time, ok bool) {
	ctx := context.Background()
	t.tb.WizCheckpointLag.Record(ctx, now.Sub(watermark).Seconds(), t.attrs)
	t.tb.WizSecondsSinceLastRecord.Record(ctx, now.Sub(lastRecord).Seconds(), t.attrs)
	if ok {
		t.tb.WizLastSuccessfulPoll.Record(ctx, now.Unix(), t.attrs)
	}
}

// NoEvents sets the no-events alert gauge: 1 while raised, 0 otherwise.
func (t streamTelemetry) NoEvents(raised bool) {
	v := int64(0)
	if raised {
		v = 1
	}
	t.tb.WizNoEvents.Record(context.Background(), v, t.attrs)
}
