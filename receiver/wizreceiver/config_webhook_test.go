// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
)

func TestWebhookConfigDefaults(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	w := cfg.Webhook
	assert.False(t, w.Enabled)
	assert.Equal(t, "localhost:8443", w.NetAddr.Endpoint)
	assert.Equal(t, "/", w.Path)
	assert.Equal(t, time.Hour, w.DedupWindow)
	assert.Equal(t, 64, w.MaxConcurrentRequests)
	assert.Equal(t, int64(5<<20), w.MaxRequestBodySize)
	assert.Equal(t, 30*time.Second, w.ReadTimeout)
	assert.Equal(t, 10*time.Second, w.ReadHeaderTimeout, "a push, not confighttp's minute")
	assert.Equal(t, 16<<10, w.MaxRequestHeaderSize)
	assert.Equal(t, 1024, w.MaxConnections)
	assert.Equal(t, 1000, w.MaxRecordsPerRequest)
	assert.False(t, w.Auth.HasValue())
	assert.False(t, w.TLS.HasValue())
}

func TestWebhookConfig(t *testing.T) {
	cfg, err := loadConfigFrom(t, "webhook_config.yaml", "webhook_only")
	require.NoError(t, err, "a webhook-only config needs no API credentials")
	assert.False(t, cfg.polls())
	assert.Empty(t, cfg.ClientID)
	require.True(t, cfg.Webhook.Auth.HasValue())
	assert.Equal(t, component.MustNewIDWithName("bearertokenauth", "wiz"), cfg.Webhook.Auth.Get().Config.AuthenticatorID)

	cfg, err = loadConfigFrom(t, "webhook_config.yaml", "webhook_full")
	require.NoError(t, err)
	w := cfg.Webhook
	assert.True(t, cfg.polls())
	assert.Equal(t, "0.0.0.0:9443", w.NetAddr.Endpoint)
	assert.Equal(t, "/wiz", w.Path)
	assert.Equal(t, 10*time.Minute, w.DedupWindow)
	assert.Equal(t, 8, w.MaxConcurrentRequests)
	assert.Equal(t, int64(1<<20), w.MaxRequestBodySize)
	assert.Equal(t, 10*time.Second, w.ReadTimeout)
	assert.Equal(t, 5*time.Second, w.ReadHeaderTimeout)
	assert.Equal(t, 32<<10, w.MaxRequestHeaderSize)
	assert.Equal(t, 256, w.MaxConnections)
	assert.Equal(t, 50, w.MaxRecordsPerRequest)
	assert.Equal(t, component.MustNewIDWithName("bearertokenauth", "basic"), w.Auth.Get().Config.AuthenticatorID)
	assert.Equal(t, "/etc/wiz/tls.crt", w.TLS.Get().CertFile)

	for _, name := range []string{"webhook_loopback", "webhook_mtls", "webhook_disabled_bad"} {
		_, err := loadConfigFrom(t, "webhook_config.yaml", name)
		assert.NoError(t, err, name)
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	// Without auth on an address others can reach, the error names the
	// authenticator, how it covers each of Wiz's options, and the mTLS
	// alternative.
	noAuth := []string{"webhook.auth is required", "is not a loopback address", "bearertokenauth", "scheme: Basic", "webhook.tls.client_ca_file"}
	tests := []struct {
		name string
		want []string
	}{
		{"webhook_no_auth", append([]string{`webhook.endpoint "0.0.0.0:8443"`}, noAuth...)},
		{"webhook_all_interfaces_no_auth", append([]string{`webhook.endpoint ":8443"`}, noAuth...)},
		{"webhook_bad", []string{
			"webhook.endpoint is required", `webhook.path "wiz" must start with "/"`,
			"webhook.dedup_window must not be negative", "webhook.max_concurrent_requests must be at least 1, got 0",
			"webhook.max_request_body_size must be positive, got -1",
			"webhook.max_request_header_size must be positive, got 0",
			"webhook.max_connections must be at least webhook.max_concurrent_requests",
			"webhook.max_records_per_request must be at least 1, got 0",
		}},
		{"webhook_and_polling_without_credentials", []string{"endpoint is required", "client_id is required", "client_secret is required",
			"for a receiver that only takes Wiz's pushes, set enabled: false under audit, issues, vulnerability_findings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfigFrom(t, "webhook_config.yaml", tt.name)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestWebhookOnLoopback(t *testing.T) {
	for endpoint, want := range map[string]bool{
		"localhost:8443": true, "127.0.0.1:8443": true, "[::1]:8443": true, "127.8.9.10:1": true,
		"0.0.0.0:8443": false, ":8443": false, "[::]:8443": false, "10.0.0.7:8443": false,
		"collector.internal:8443": false, "localhost": false,
	} {
		w := defaultWebhookConfig()
		w.NetAddr.Endpoint = endpoint
		assert.Equal(t, want, w.onLoopback(), endpoint)
	}
}

// The webhook's settings carry every option of the section.
func TestWebhookSettings(t *testing.T) {
	cfg, err := loadConfigFrom(t, "webhook_config.yaml", "webhook_full")
	require.NoError(t, err)
	w := cfg.Webhook
	next := consumertest.NewNop()
	set := w.settings(receivertestSettings(), next, nil)
	assert.Equal(t, w.ServerConfig, set.Server)
	assert.Equal(t, "/wiz", set.Path)
	assert.Equal(t, 10*time.Minute, set.DedupWindow)
	assert.Equal(t, 8, set.MaxConcurrentRequests)
	assert.Equal(t, 32<<10, set.MaxRequestHeaderSize)
	assert.Equal(t, 256, set.MaxConnections)
	assert.Equal(t, 50, set.MaxRecordsPerRequest)
	assert.False(t, set.Loopback, "0.0.0.0 is every interface")
	assert.Equal(t, next, set.Next)
	assert.NotNil(t, set.Now)

	w.NetAddr.Endpoint = "127.0.0.1:9443"
	assert.True(t, w.settings(receivertestSettings(), next, nil).Loopback)
}
