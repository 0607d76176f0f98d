package wizreceiver

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
)

// webhookTelemetry records the webhook's metrics; the per-log-type record
// counts are the streams' (wiz_records_emitted, wiz_records_dropped).
type webhookTelemetry struct {
	*telemetry
	byType map[*logtype.PushedType]streamTelemetry
}

func newWebhookTelemetry(t *telemetry) webhookTelemetry {
	byType := make(map[*logtype.PushedType]streamTelemetry, len(logtype.Pushed))
	for _, typ := range logtype.Pushed {
		byType[typ] = t.forStream(typ.Name)
	}
	return webhookTelemetry{telemetry: t, byType: byType}
}

// countResponses wraps the whole server, so that it counts every answer by
// status code, the authenticator's and the body decompressor's too.
func (t webhookTelemetry) countResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		t.tb.WizWebhookRequests.Add(context.Background(), 1, metric.WithAttributes(attribute.Int(attrStatus, rec.status)))
	})
}

func (t webhookTelemetry) authFailed() {
	t.tb.WizWebhookAuthFailures.Add(context.Background(), 1)
}

func (t webhookTelemetry) bodyRead(n int) {
	if n > 0 {
		t.tb.WizWebhookRequestBytes.Add(context.Background(), int64(n))
	}
}

func (t webhookTelemetry) redelivered() {
	t.tb.WizWebhookRedeliveriesSuppressed.Add(context.Background(), 1)
}

// emitted counts records the next consumer accepted, and those of them
// with a flattened body, per log type.
func (t webhookTelemetry) emitted(payloads []logtype.PushedRecord) {
	for typ, n := range countByType(payloads) {
		t.byType[typ].emitted(n)
	}
	for _, p := range payloads {
		if p.Flattened {
			t.byType[p.Type].flattened(1)
		}
	}
}

// dropped counts records the next consumer refused for good, per log type.
func (t webhookTelemetry) dropped(payloads []logtype.PushedRecord) {
	for typ, n := range countByType(payloads) {
		t.byType[typ].dropped(n, dropRefused)
	}
}

func countByType(payloads []logtype.PushedRecord) map[*logtype.PushedType]int {
	counts := map[*logtype.PushedType]int{}
	for _, p := range payloads {
		counts[p.Type]++
	}
	return counts
}

// statusRecorder notes the status code a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	written bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.written {
		r.status, r.written = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter {
	return r.ResponseWriter
}
