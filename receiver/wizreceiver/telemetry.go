// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
)

// telemetry records the receiver's own metrics (documented in
// documentation.md and docs/operations.md): the Wiz client's (it implements
// wiz.Observer), and through forStream and forWebhook, the streams' and the
// webhook's.
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

// forStream is the telemetry of the records of the log type named
// logType: a stream's, or the webhook's of a pushed log type.
func (t *telemetry) forStream(logType string) streamTelemetry {
	return streamTelemetry{tb: t.tb, attrs: metric.WithAttributeSet(attribute.NewSet(attribute.String(attrLogType, logType)))}
}

// forWebhook is the webhook's telemetry, with the attributes of each log
// type Wiz pushes made once.
func (t *telemetry) forWebhook() webhookTelemetry {
	byType := make(map[string]streamTelemetry, len(logtype.Pushed))
	for _, typ := range logtype.Pushed {
		byType[typ.Name] = t.forStream(typ.Name)
	}
	return webhookTelemetry{telemetry: t, byType: byType}
}
