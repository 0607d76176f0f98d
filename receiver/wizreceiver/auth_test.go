package wizreceiver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
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
	cfg.PollInterval = 20 * time.Millisecond

	core, logs := observer.New(zapcore.DebugLevel)
	host := &statusHost{Host: componenttest.NewNopHost()}
	startReceiver(t, cfg, consumertest.NewNop(), host, zap.New(core))

	require.Eventually(t, func() bool { return logs.FilterMessage("Poll failed; retrying next interval").Len() >= 6 }, 5*time.Second, 10*time.Millisecond)

	// Three streams polled every 20ms, yet the token endpoint was asked once:
	// the refusal is remembered for the cool-down.
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

// A token that expires mid-walk is renewed before expiry, and a token the
// API refuses (401) is refreshed once and the request retried: nothing is
// lost or repeated.
func TestTokenRefresh(t *testing.T) {
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(300, 0, 0), TokenLifetime: 2 * time.Second})
	cfg := testConfig(url)
	cfg.PageSize = 10
	cfg.RequestsPerSecond = 10 // 30 pages take about 2 s: the walk outlives the first token
	enableOnly(cfg, "audit")
	srv.InjectGraphQLFaults(mockwiz.Fault{Latency: time.Millisecond}, mockwiz.Fault{Status: 401})
	sink := &consumertest.LogsSink{}
	startReceiver(t, cfg, sink, componenttest.NewNopHost(), nil)

	want := wiztest.Expected(t, srv)
	delete(want, "Wiz.Issues")
	delete(want, "Wiz.VulnerabilityFinding")
	require.Eventually(t, func() bool { return wiztest.AllArrived(want, wiztest.Received(sink)) }, 15*time.Second, 20*time.Millisecond)
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))

	stats := srv.Stats()
	assert.GreaterOrEqual(t, stats.TokenRequests, 3, "one initial token, one after the 401, at least one renewal")
	for _, req := range srv.Requests() {
		if req.Status == 401 {
			continue
		}
		assert.Equal(t, 200, req.Status)
	}
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
		// logged is a log line the failure leads to, once or more.
		logged string
		status componentstatus.Status
	}{
		"token endpoint echoes the secret": {secret: "x" + wiztest.LeakySecret, logged: "Poll failed; retrying next interval", status: componentstatus.StatusRecoverableError},
		"API echoes the token":             {secret: wiztest.LeakySecret, logged: "Stream stopped", status: componentstatus.StatusPermanentError},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := wiztest.NewFakeWiz(t, wiztest.WithToken(wiztest.EchoingTokens), wiztest.WithAPI(wiztest.EchoGraphQLError("FORBIDDEN")))
			cfg := testConfig(srv.URL)
			cfg.ClientSecret = configopaque.String(tt.secret)
			cfg.PollInterval = 20 * time.Millisecond
			core, logs := observer.New(zapcore.DebugLevel)
			host := &statusHost{Host: componenttest.NewNopHost()}
			startReceiver(t, cfg, consumertest.NewNop(), host, zap.New(core))
			require.Eventually(t, func() bool { return logs.FilterMessage(tt.logged).Len() >= 3 }, 5*time.Second, 10*time.Millisecond)

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
