// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// statuses is the status of each event host recorded.
func statuses(host *statusHost) []componentstatus.Status {
	var out []componentstatus.Status
	for _, ev := range host.all() {
		out = append(out, ev.Status())
	}
	return out
}

// polledThrough polls the audit stream of a receiver over a mock that
// first answers with faults, with the logger and status host given. The
// poll must succeed: it retries through the faults.
func polledThrough(t *testing.T, cfg func(*Config), logger *zap.Logger, faults ...mockwiz.Fault) *statusHost {
	t.Helper()
	srv, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(15, 0, 0)})
	srv.InjectGraphQLFaults(faults...)
	c := testConfig(url)
	enableOnly(c, "audit")
	cfg(c)
	set := receivertestSettings()
	set.Logger = logger
	sink := &consumertest.LogsSink{}
	rcv, err := newWizReceiver(set, c, sink)
	require.NoError(t, err)
	host := newStatusHost()
	s, _ := firstStream(t, rcv, host)
	require.NoError(t, s.Poll(context.Background()))
	wiztest.RequireExactlyOnce(t, polltest.AuditOnly(wiztest.Expected(t, srv)), wiztest.Received(sink))
	return host
}

// A failing request shows in the component status from its first failure,
// not only once the retry budget (5 minutes by default) is spent, and the
// status is OK again once a request succeeds.
func TestStatusFromFirstFailure(t *testing.T) {
	host := polledThrough(t, func(c *Config) { c.BackOff.MaxElapsedTime = time.Hour }, zap.NewNop(),
		mockwiz.Fault{Status: 503}, mockwiz.Fault{Status: 503}, mockwiz.Fault{Status: 503})
	require.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError, componentstatus.StatusOK}, statuses(host))
	assert.EqualError(t, host.all()[0].Err(), "audit stream: wiz answered HTTP 503; retrying")
}

// A Retry-After longer than retry_on_failure.max_interval pauses every
// stream for max_interval only, with a WARN that shows what Wiz sent and a
// recoverable status while paused.
func TestRetryAfterCeilingShows(t *testing.T) {
	for _, sent := range []string{"999999999", time.Now().AddDate(30, 0, 0).UTC().Format(http.TimeFormat)} {
		t.Run(sent, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			host := polledThrough(t, func(*Config) {}, zap.New(core), mockwiz.Fault{Status: 429, RetryAfter: sent})

			warned := logs.FilterMessage("Wiz asked to wait longer than retry_on_failure.max_interval; waiting max_interval").All()
			require.Len(t, warned, 1)
			assert.Equal(t, zapcore.WarnLevel, warned[0].Level)
			fields := warned[0].ContextMap()
			assert.Equal(t, sent, fields["retry_after"])
			assert.Equal(t, "audit", fields["stream"])
			assert.Equal(t, "AuditLogTable", fields["operation"])
			assert.Equal(t, 50*time.Millisecond, fields["max_interval"])

			require.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError, componentstatus.StatusOK}, statuses(host))
			// The mock answers 429 with Wiz's RATE_LIMIT_EXCEEDED body, which decides.
			assert.ErrorContains(t, host.all()[0].Err(), "audit stream: wiz rate limit exceeded with Retry-After: "+sent)
		})
	}
}

// A redirect from the API endpoint, or a certificate the collector does
// not trust, shows in the status and the log with the setting to change,
// and the streams do not ask again before auth_retry_interval: at most one
// request (one connection) per stream, however often they poll.
func TestRefusalsShowTheFix(t *testing.T) {
	for name, tt := range map[string]struct {
		// endpoint is the API endpoint; attempts counts what reached it.
		endpoint func(t *testing.T, attempts *atomic.Int64) string
		fix      string
	}{
		"redirect": {endpoint: func(t *testing.T, attempts *atomic.Int64) string {
			target := wiztest.NewFakeWiz(t)
			t.Cleanup(func() { assert.Empty(t, target.Requests(), "the redirect was followed") })
			src := wiztest.NewFakeWiz(t, wiztest.WithAPI(func(w http.ResponseWriter, r *http.Request) {
				attempts.Add(1)
				wiztest.Redirect(http.StatusTemporaryRedirect, target.URL+"/graphql")(w, r)
			}))
			return src.URL + "/graphql"
		}, fix: "with a redirect to http://127.0.0.1:"},
		"untrusted certificate": {endpoint: func(t *testing.T, attempts *atomic.Int64) string {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
				t.Error("a request passed a certificate that does not verify")
			}))
			srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
				if state == http.StateNew {
					attempts.Add(1)
				}
			}
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			t.Cleanup(srv.Close)
			return srv.URL + "/graphql"
		}, fix: "set tls.ca_file to the CA certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			var attempts atomic.Int64
			_, url := polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(5, 0, 0)})
			cfg := testConfig(url)
			cfg.Endpoint = tt.endpoint(t, &attempts)
			enableOnly(cfg, "audit", "issues")
			core, logs := observer.New(zapcore.InfoLevel)
			host := newStatusHost()
			_, pacer := startReceiver(t, cfg, consumertest.NewNop(), host, zap.New(core))
			// Each stream's connection check fails, then three polls.
			pacer.Await(t, 2)
			for range 3 {
				pacer.Next()
				pacer.Await(t, 2)
			}
			require.Equal(t, 6, logs.FilterMessage("Poll failed; retrying next interval").Len())

			// The two streams' connection checks may both be on their way
			// before the first refusal is known.
			assert.LessOrEqual(t, attempts.Load(), int64(2), "no request until auth_retry_interval has passed")
			ev := host.last()
			require.NotNil(t, ev)
			assert.Equal(t, componentstatus.StatusRecoverableError, ev.Status())
			assert.ErrorContains(t, ev.Err(), tt.fix)
			assert.Contains(t, fmt.Sprint(logs.FilterMessage("Poll failed; retrying next interval").All()[0].ContextMap()["error"]), tt.fix)
		})
	}
}
