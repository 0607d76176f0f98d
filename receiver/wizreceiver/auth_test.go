// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// A wrong secret gives an actionable error, backs off instead of looping,
// reports a recoverable status, and never shows the secret.
func TestBadSecret(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(5, 5, 5)})
	const wrongSecret = "wrong-secret-7c0ffee7c0ffee"
	cfg := testConfig(url)
	cfg.ClientSecret = wrongSecret

	core, logs := observer.New(zapcore.DebugLevel)
	host := newStatusHost()
	_, pacer := startReceiver(t, cfg, consumertest.NewNop(), host, zap.New(core))
	// Each stream's connection check fails, then two polls.
	pacer.Await(t, 3)
	for range 2 {
		pacer.Next()
		pacer.Await(t, 3)
	}
	require.Equal(t, 3, logs.FilterMessage("Connection check failed").Len())
	require.Equal(t, 6, logs.FilterMessage("Poll failed; retrying next interval").Len())

	// Three streams each asked three times, yet the token endpoint was asked
	// once: the refusal is remembered for the cool-down.
	assert.Equal(t, 1, srv.Stats().TokenRequests)
	assert.Zero(t, srv.Stats().GraphQLRequests, "no API call without a token")

	entry := logs.FilterMessage("Poll failed; retrying next interval").All()[0]
	msg := fmt.Sprint(entry.ContextMap()["error"])
	assert.Contains(t, msg, "authentication failed")
	assert.Contains(t, msg, "check client_id and client_secret")
	assert.Contains(t, msg, "token_url")

	ev := host.last()
	require.NotNil(t, ev)
	assert.Equal(t, componentstatus.StatusRecoverableError, ev.Status())

	for _, e := range logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		assert.NotContains(t, line, wrongSecret, "secret leaked into a log line")
	}
	for _, e := range host.all() {
		if e.Err() != nil {
			assert.NotContains(t, e.Err().Error(), wrongSecret)
		}
	}
}

// A token that expires mid-walk, which Wiz then refuses (401), and a
// token the API refuses for no reason the client can see, are each
// replaced once and the request retried: nothing is lost or repeated.
// Wiz's clock, which its tokens expire by, moves 25 minutes a page.
func TestTokenRefresh(t *testing.T) {
	wizClock := wiztest.NewClock(time.Now())
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(300, 0, 0), TokenLifetime: time.Hour, Now: wizClock.Now})
	cfg := testConfig(url)
	cfg.PageSize = 10
	enableOnly(cfg, "audit")
	srv.InjectGraphQLFaults(mockwiz.Fault{}, mockwiz.Fault{Status: 401})
	sink := &consumertest.LogsSink{}
	next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		wizClock.Advance(25 * time.Minute)
		return sink.ConsumeLogs(ctx, ld)
	})
	require.NoError(t, err)
	rcv, err := newWizReceiver(receivertestSettings(), cfg, next)
	require.NoError(t, err)
	streams, _ := buildStreams(t, rcv, componenttest.NewNopHost())

	want := polltest.AuditOnly(wiztest.Expected(t, srv))
	polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) })
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))

	// 30 pages, 25 minutes apart: a token of an hour serves three pages,
	// never four.
	refused := 0
	for _, req := range srv.Requests() {
		if req.Status == http.StatusUnauthorized {
			refused++
			continue
		}
		assert.Equal(t, http.StatusOK, req.Status)
	}
	assert.GreaterOrEqual(t, refused, 10, "the injected 401, and an expiry every three pages")
	assert.Equal(t, refused+1, srv.Stats().TokenRequests, "a first token, then one after each 401")
}

// The secret never appears in the collector's rendering of the config.
func TestSecretIsOpaque(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:1")
	assert.Equal(t, "[REDACTED]", fmt.Sprint(cfg.ClientSecret))
	assert.False(t, strings.Contains(fmt.Sprintf("%+v", *cfg), polltest.ClientSecret))
}

// A token endpoint that echoes the request body in error_description, and
// an API that echoes the Authorization header in its errors, each in every
// encoding: no form of the secret or the token reaches a log line or the
// component status.
func TestCredentialsRedactedEverywhere(t *testing.T) {
	tests := map[string]struct {
		secret string // client_secret: the fake takes only wiztest.LeakySecret
		// drive runs the streams until they have logged lines times the
		// line logged.
		drive  func(*wizReceiver, *polltest.Pacer)
		logged string
		lines  int
		status componentstatus.Status
	}{
		"token endpoint echoes the secret": {secret: "x" + wiztest.LeakySecret, drive: func(_ *wizReceiver, pacer *polltest.Pacer) {
			// Each stream's connection check fails, then two polls.
			pacer.Await(t, 3)
			for range 2 {
				pacer.Next()
				pacer.Await(t, 3)
			}
		}, logged: "Poll failed; retrying next interval", lines: 6, status: componentstatus.StatusRecoverableError},
		"API echoes the token": {secret: wiztest.LeakySecret, drive: func(rcv *wizReceiver, _ *polltest.Pacer) {
			// Each stream's connection check is refused for good.
			awaitStopped(t, rcv)
		}, logged: "Stream stopped", lines: 3, status: componentstatus.StatusPermanentError},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := wiztest.NewFakeWiz(t, wiztest.WithToken(wiztest.EchoingTokens), wiztest.WithAPI(wiztest.EchoGraphQLError("FORBIDDEN")))
			cfg := testConfig(srv.URL)
			cfg.ClientSecret = configopaque.String(tt.secret)
			core, logs := observer.New(zapcore.DebugLevel)
			host := newStatusHost()
			rcv, pacer := startReceiver(t, cfg, consumertest.NewNop(), host, zap.New(core))
			tt.drive(rcv, pacer)
			require.Equal(t, tt.lines, logs.FilterMessage(tt.logged).Len())

			credentials := []string{tt.secret, wiztest.LeakyToken}
			var echoed bool
			for _, e := range logs.All() {
				line := e.Message + fmt.Sprint(e.ContextMap())
				echoed = echoed || strings.Contains(line, "[REDACTED]")
				assert.Empty(t, wiztest.Leaks(line, credentials...), "log line %q", line)
			}
			assert.True(t, echoed, "the upstream's echo reached the log, redacted")
			require.NotNil(t, host.last())
			assert.Equal(t, tt.status, host.last().Status())
			for _, e := range host.all() {
				if e.Err() != nil {
					assert.Empty(t, wiztest.Leaks(e.Err().Error(), credentials...), "status %q", e.Err())
				}
			}
		})
	}
}
