// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/confignet"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/webhook"
)

// Webhook defaults, documented in the configuration table of the receiver
// README.
const (
	// A loopback address: exposing the port is a decision, with auth.
	defaultWebhookEndpoint = "localhost:8443"
	defaultWebhookPath     = "/"
	// Wiz is not known to re-deliver later than minutes after a failure.
	defaultDedupWindow = time.Hour
	// Beyond this many requests in flight the webhook answers 503: the
	// sender retries, and memory stays bounded.
	defaultMaxConcurrentRequests = 64
	// Detections embed their triggering events and process trees.
	defaultMaxRequestBodySize = 5 << 20
	// A slow sender holds a concurrency slot while its body arrives.
	defaultWebhookReadTimeout = 30 * time.Second
	// A push's headers arrive in one packet; the same timeout bounds the TLS
	// handshake. confighttp's minute lets a slow client hold a connection six
	// times as long.
	defaultWebhookReadHeaderTimeout = 10 * time.Second
	// Wiz sends an Authorization header and a few others; Go's default, 1
	// MiB, is what each slow connection could hold before authentication.
	defaultMaxRequestHeaderSize = 16 << 10
	// Room for the keep-alive connections senders leave idle beside the
	// requests in flight, while connections that never finish their headers
	// hold at most this many times max_request_header_size.
	defaultMaxConnections = 1024
	// Wiz pushes one payload per call; a relay that batches stays well
	// within. Each record costs far more memory than its bytes, so a body of
	// tiny objects must not become millions of records.
	defaultMaxRecordsPerRequest = 1000
)

// WebhookConfig is the webhook section: an HTTP endpoint that Wiz's webhook
// integration pushes issues, threats and detections to.
type WebhookConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// ServerConfig brings endpoint, tls (client_ca_file for mTLS), auth,
	// max_request_body_size, timeouts, ...: the collector's own server.
	confighttp.ServerConfig `mapstructure:",squash"`
	// Path is the one URL path payloads are accepted on.
	Path string `mapstructure:"path"`
	// DedupWindow is how long an accepted body is remembered, so that an
	// identical re-delivery is acknowledged but not emitted again. 0
	// disables it.
	DedupWindow time.Duration `mapstructure:"dedup_window"`
	// MaxConcurrentRequests caps the requests handled at once; past it the
	// webhook answers 503 with Retry-After instead of queueing.
	MaxConcurrentRequests int `mapstructure:"max_concurrent_requests"`
	// MaxRequestHeaderSize caps the bytes of a request's headers, which are
	// read before authentication; past it the server answers 431.
	// confighttp has no such setting: it is set on the server it returns.
	MaxRequestHeaderSize int `mapstructure:"max_request_header_size"`
	// MaxConnections caps the connections open at once; past it a new one
	// waits until one closes, and room is made for it (the next response
	// closes its connection, and the one idle the longest, for at least a
	// second, is closed). confighttp has no such setting: the
	// webhook wraps the listener confighttp returns.
	MaxConnections int `mapstructure:"max_connections"`
	// MaxRecordsPerRequest caps the payloads of one body (an array); past
	// it the webhook answers 413 and emits nothing.
	MaxRecordsPerRequest int `mapstructure:"max_records_per_request"`
}

func defaultWebhookConfig() WebhookConfig {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultWebhookEndpoint
	server.MaxRequestBodySize = defaultMaxRequestBodySize
	server.ReadTimeout = defaultWebhookReadTimeout
	server.ReadHeaderTimeout = defaultWebhookReadHeaderTimeout
	return WebhookConfig{
		ServerConfig:          server,
		Path:                  defaultWebhookPath,
		DedupWindow:           defaultDedupWindow,
		MaxConcurrentRequests: defaultMaxConcurrentRequests,
		MaxRequestHeaderSize:  defaultMaxRequestHeaderSize,
		MaxConnections:        defaultMaxConnections,
		MaxRecordsPerRequest:  defaultMaxRecordsPerRequest,
	}
}

// validate checks the section when it is enabled; every error names the
// option by its full key.
func (w *WebhookConfig) validate() error {
	if !w.Enabled {
		return nil
	}
	var errs []error
	if w.NetAddr.Endpoint == "" {
		errs = append(errs, errors.New("webhook.endpoint is required: set the address to listen on, e.g. 0.0.0.0:8443"))
	}
	if !strings.HasPrefix(w.Path, "/") {
		errs = append(errs, fmt.Errorf(`webhook.path %q must start with "/", e.g. /wiz`, w.Path))
	}
	if w.DedupWindow < 0 {
		errs = append(errs, fmt.Errorf("webhook.dedup_window must not be negative, got %s: use 0 to disable de-duplication", w.DedupWindow))
	}
	if w.MaxConcurrentRequests < 1 {
		errs = append(errs, fmt.Errorf("webhook.max_concurrent_requests must be at least 1, got %d", w.MaxConcurrentRequests))
	}
	if w.MaxRequestHeaderSize <= 0 {
		errs = append(errs, fmt.Errorf("webhook.max_request_header_size must be positive, got %d: the default is %d (16 KiB)",
			w.MaxRequestHeaderSize, defaultMaxRequestHeaderSize))
	}
	if w.MaxConnections < max(1, w.MaxConcurrentRequests) {
		errs = append(errs, fmt.Errorf("webhook.max_connections must be at least webhook.max_concurrent_requests (%d), got %d: "+
			"every request in flight needs a connection", w.MaxConcurrentRequests, w.MaxConnections))
	}
	if w.MaxRecordsPerRequest < 1 {
		errs = append(errs, fmt.Errorf("webhook.max_records_per_request must be at least 1, got %d", w.MaxRecordsPerRequest))
	}
	if w.MaxRequestBodySize <= 0 {
		errs = append(errs, fmt.Errorf("webhook.max_request_body_size must be positive, got %d: detections embed their triggering events; the default is %d (5 MiB)",
			w.MaxRequestBodySize, defaultMaxRequestBodySize))
	}
	if w.NetAddr.Endpoint != "" && !w.Auth.HasValue() && !w.requiresClientCertificates() && !w.onLoopback() {
		errs = append(errs, fmt.Errorf("webhook.auth is required because webhook.endpoint %q is not a loopback address: "+
			"set webhook.auth.authenticator to a bearertokenauth extension (Wiz's \"Token (Bearer)\" option; with header and scheme: \"\" "+
			"its custom header option; with scheme: Basic and the base64 of user:pass its Basic option), or require client certificates with webhook.tls.client_ca_file; "+
			"without any, anyone who reaches the port can write into your pipeline", w.NetAddr.Endpoint))
	}
	return errors.Join(errs...)
}

// onLoopback reports whether the webhook listens on a loopback address (or
// a unix socket), which only this machine can reach. An empty host is
// every interface; a host name other than localhost is taken as reachable.
func (w *WebhookConfig) onLoopback() bool {
	if w.NetAddr.Transport == confignet.TransportTypeUnix {
		return true
	}
	host, _, err := net.SplitHostPort(w.NetAddr.Endpoint)
	return err == nil && isLoopback(host)
}

// requiresClientCertificates reports whether TLS asks every client for a
// certificate signed by client_ca_file (mTLS), which authenticates Wiz.
func (w *WebhookConfig) requiresClientCertificates() bool {
	tls := w.TLS.Get()
	return tls != nil && tls.ClientCAFile != ""
}

// settings are the webhook's settings from the section, for the receiver
// set, handing records to next.
func (w *WebhookConfig) settings(set receiver.Settings, next consumer.Logs, metrics webhook.Telemetry) webhook.Settings {
	return webhook.Settings{
		Server:                w.ServerConfig,
		Path:                  w.Path,
		DedupWindow:           w.DedupWindow,
		MaxConcurrentRequests: w.MaxConcurrentRequests,
		MaxRequestHeaderSize:  w.MaxRequestHeaderSize,
		MaxConnections:        w.MaxConnections,
		MaxRecordsPerRequest:  w.MaxRecordsPerRequest,
		Loopback:              w.onLoopback(),
		Receiver:              set,
		Next:                  next,
		Telemetry:             metrics,
		Now:                   time.Now,
	}
}
