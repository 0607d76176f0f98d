package wizreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
)

// telemetry records the receiver's own metrics (documented in
// documentation.md and docs/operations.md). It implements wiz.Observer.
type telemetry struct {
	tb *metadata.TelemetryBuilder
}

// Metric attribute keys.
const (
	attrLogType   = "log_type"
	attrOperation = "operation"
	attrStatus    = "http.response.status_code"
	attrReason    = "reason"
	attrField     = "field"
)

func (t *telemetry) RequestDone(operation string, status int, d time.Duration) {
	ctx := context.Background()
	t.tb.WizAPIRequests.Add(ctx, 1, metric.WithAttributes(attribute.String(attrOperation, operation), attribute.Int(attrStatus, status)))
	t.tb.WizAPIRequestDuration.Record(ctx, d.Seconds(), metric.WithAttributes(attribute.String(attrOperation, operation)))
}

func (t *telemetry) Throttled(operation string) {
	t.tb.WizAPIThrottled.Add(context.Background(), 1, metric.WithAttributes(attribute.String(attrOperation, operation)))
}

func (t *telemetry) Retried(operation, reason string) {
	t.tb.WizAPIRetries.Add(context.Background(), 1,
		metric.WithAttributes(attribute.String(attrOperation, operation), attribute.String(attrReason, reason)))
}

func (t *telemetry) RateLimiterWaited(d time.Duration) {
	if d > 0 {
		t.tb.WizRateLimiterWaitTime.Add(context.Background(), d.Seconds())
	}
}

func (t *telemetry) ClockSkew(skew time.Duration) {
	t.tb.WizClockSkew.Record(context.Background(), skew.Seconds())
}

// streamTelemetry records one stream's metrics with its log_type attribute.
type streamTelemetry struct {
	tb    *metadata.TelemetryBuilder
	attrs metric.MeasurementOption
}

func (t *telemetry) forStream(logType string) streamTelemetry {
	return streamTelemetry{tb: t.tb, attrs: metric.WithAttributeSet(attribute.NewSet(attribute.String(attrLogType, logType)))}
}

func (t streamTelemetry) emitted(n int) {
	t.tb.WizRecordsEmitted.Add(context.Background(), int64(n), t.attrs)
}

// flattened counts accepted records whose body kept its deepest values as
// JSON text.
func (t streamTelemetry) flattened(n int) {
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

func (t streamTelemetry) dropped(n int, reason string) {
	if n > 0 {
		t.tb.WizRecordsDropped.Add(context.Background(), int64(n), t.attrs,
			metric.WithAttributes(attribute.String(attrReason, reason)))
	}
}

func (t streamTelemetry) fieldDropped(field string) {
	t.tb.WizQueryFieldsDropped.Add(context.Background(), 1, t.attrs, metric.WithAttributes(attribute.String(attrField, field)))
}

func (t streamTelemetry) deduplicated(n int) {
	if n > 0 {
		t.tb.WizRecordsDeduplicated.Add(context.Background(), int64(n), t.attrs)
	}
}

// polled records the gauges a poll updates: the checkpoint's lag, the time
// of the last successful poll, and the time since the last record.
func (t streamTelemetry) polled(now, watermark, lastRecord time.Time, ok bool) {
	ctx := context.Background()
	t.tb.WizCheckpointLag.Record(ctx, now.Sub(watermark).Seconds(), t.attrs)
	t.tb.WizSecondsSinceLastRecord.Record(ctx, now.Sub(lastRecord).Seconds(), t.attrs)
	if ok {
		t.tb.WizLastSuccessfulPoll.Record(ctx, now.Unix(), t.attrs)
	}
}

// noEvents sets the no-events alert gauge: 1 while raised, 0 otherwise.
func (t streamTelemetry) noEvents(raised bool) {
	v := int64(0)
	if raised {
		v = 1
	}
	t.tb.WizNoEvents.Record(context.Background(), v, t.attrs)
}
