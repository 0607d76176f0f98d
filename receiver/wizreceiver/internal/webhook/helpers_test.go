// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"maps"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
)

var pushedAt = time.Date(2026, 11, 27, 10, 15, 30, 123456789, time.UTC)

type webhookTest struct {
	url      string
	client   *http.Client
	srv      *Server
	set      Settings
	tt       *componenttest.Telemetry
	metrics  *recordingTelemetry
	statuses *wiztest.Statuses
	logs     *observer.ObservedLogs
	// expire ends the wait of the request that receives from it, as
	// answerWithin passing does (see deliveries.expire).
	expire chan struct{}
}

// startWebhook starts a webhook on a free loopback port behind the
// stand-in authenticator, handing records to next. Its limits are those of
// the receiver's default webhook section; configure, when not nil, adjusts
// them first.
func startWebhook(t *testing.T, next consumer.Logs, configure func(*Settings)) *webhookTest {
	t.Helper()
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = "127.0.0.1:0"
	server.MaxRequestBodySize = 5 << 20
	server.ReadTimeout = 30 * time.Second
	server.ReadHeaderTimeout = 10 * time.Second
	server.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: wiztest.AuthID}})
	w := &webhookTest{tt: componenttest.NewTelemetry(), metrics: newRecordingTelemetry(), statuses: &wiztest.Statuses{}, expire: make(chan struct{})}
	t.Cleanup(func() { require.NoError(t, w.tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(w.tt)
	core, logs := observer.New(zapcore.DebugLevel)
	set.Logger, w.logs = zap.New(core), logs
	w.set = Settings{
		Server:                server,
		Path:                  "/",
		DedupWindow:           time.Hour,
		MaxConcurrentRequests: 64,
		MaxRequestHeaderSize:  16 << 10,
		MaxConnections:        1024,
		MaxRecordsPerRequest:  1000,
		SplitRefusedPages:     true,
		Loopback:              true,
		Receiver:              set,
		Next:                  next,
		Telemetry:             w.metrics,
		Now:                   time.Now,
	}
	if configure != nil {
		configure(&w.set)
	}
	srv, err := New(w.set)
	require.NoError(t, err)
	w.srv = srv
	srv.handler.deliveries.expire = w.expire
	require.NoError(t, srv.Start(context.Background(), wiztest.AuthHost{Host: componenttest.NewNopHost()}, w.statuses.Report))
	t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
	scheme := "http"
	if w.set.Server.TLS.HasValue() {
		scheme = "https"
	}
	w.url = scheme + "://" + srv.Addr() + w.set.Path
	w.client = wiztest.HTTPClient(t)
	return w
}

// push posts body with the valid token.
func (w *webhookTest) push(t *testing.T, body []byte) wiztest.Answer {
	t.Helper()
	return wiztest.Push(t, w.client, w.url, body, wiztest.Bearer(wiztest.WebhookToken))
}

// requests is the webhook's answer count by status code.
func (w *webhookTest) requests() map[int]int64 {
	return w.metrics.snapshot().responses
}

// recordingTelemetry records what the webhook counts, as the receiver's
// metrics would show it.
type recordingTelemetry struct {
	mu     sync.Mutex
	counts telemetryCounts
}

// telemetryCounts is what a recordingTelemetry recorded: the record counts
// by log type name.
type telemetryCounts struct {
	responses                                map[int]int64
	authFailures, bytesRead, redeliveries    int64
	emitted, flattened, refused, unconverted map[string]int64
}

func newRecordingTelemetry() *recordingTelemetry {
	return &recordingTelemetry{counts: telemetryCounts{
		responses: map[int]int64{}, emitted: map[string]int64{}, flattened: map[string]int64{}, refused: map[string]int64{},
		unconverted: map[string]int64{},
	}}
}

func (r *recordingTelemetry) record(f func(c *telemetryCounts)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.counts)
}

func (r *recordingTelemetry) Responded(status int) {
	r.record(func(c *telemetryCounts) { c.responses[status]++ })
}

func (r *recordingTelemetry) AuthFailed() { r.record(func(c *telemetryCounts) { c.authFailures++ }) }

func (r *recordingTelemetry) BodyRead(n int) {
	r.record(func(c *telemetryCounts) { c.bytesRead += int64(n) })
}

func (r *recordingTelemetry) Redelivered() { r.record(func(c *telemetryCounts) { c.redeliveries++ }) }

func (r *recordingTelemetry) Emitted(logType string, n int) {
	r.record(func(c *telemetryCounts) { c.emitted[logType] += int64(n) })
}

func (r *recordingTelemetry) Flattened(logType string, n int) {
	r.record(func(c *telemetryCounts) { c.flattened[logType] += int64(n) })
}

func (r *recordingTelemetry) Refused(logType string, n int) {
	r.record(func(c *telemetryCounts) { c.refused[logType] += int64(n) })
}

func (r *recordingTelemetry) Unconverted(logType string, _ error) {
	r.record(func(c *telemetryCounts) { c.unconverted[logType]++ })
}

// snapshot is a copy of the counts so far.
func (r *recordingTelemetry) snapshot() telemetryCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.counts
	c.responses, c.emitted, c.flattened, c.refused = maps.Clone(c.responses), maps.Clone(c.emitted), maps.Clone(c.flattened), maps.Clone(c.refused)
	c.unconverted = maps.Clone(c.unconverted)
	return c
}
