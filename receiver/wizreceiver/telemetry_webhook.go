// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/webhook"
)

// webhookTelemetry records the webhook's metrics; the per-log-type record
// counts are the streams' (wiz_records_emitted, wiz_records_dropped).
type webhookTelemetry struct {
	*telemetry
	byType map[string]streamTelemetry
}

var _ webhook.Telemetry = webhookTelemetry{}

// logType is the record telemetry of the log type named name.
func (t webhookTelemetry) logType(name string) streamTelemetry {
	if s, ok := t.byType[name]; ok {
		return s
	}
	return t.forStream(name)
}

func (t webhookTelemetry) Responded(status int) {
	t.tb.WizWebhookRequests.Add(context.Background(), 1, metric.WithAttributes(attribute.Int(attrStatus, status)))
}

func (t webhookTelemetry) AuthFailed() {
	t.tb.WizWebhookAuthFailures.Add(context.Background(), 1)
}

func (t webhookTelemetry) BodyRead(n int) {
	if n > 0 {
		t.tb.WizWebhookRequestBytes.Add(context.Background(), int64(n))
	}
}

func (t webhookTelemetry) Redelivered() {
	t.tb.WizWebhookRedeliveriesSuppressed.Add(context.Background(), 1)
}

func (t webhookTelemetry) Emitted(logType string, n int) { t.logType(logType).Emitted(n) }

func (t webhookTelemetry) Flattened(logType string, n int) { t.logType(logType).Flattened(n) }

func (t webhookTelemetry) Refused(logType string, n int) { t.logType(logType).Refused(n) }

func (t webhookTelemetry) Unconverted(logType string, err error) { t.logType(logType).Unconverted(err) }
