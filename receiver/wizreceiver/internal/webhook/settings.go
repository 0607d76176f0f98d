// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
)

// Settings are what the webhook is built from: the receiver maps its
// webhook section onto them. The option names in the webhook's answers and
// errors are that section's.
type Settings struct {
	// Server brings endpoint, tls, auth, max_request_body_size, timeouts,
	// ...: the collector's own server.
	Server confighttp.ServerConfig
	// Path is the one URL path payloads are accepted on.
	Path string
	// DedupWindow is how long an accepted body is remembered; 0 remembers
	// none.
	DedupWindow time.Duration
	// MaxConcurrentRequests caps the requests handled at once; past it the
	// webhook answers 503.
	MaxConcurrentRequests int
	// MaxRequestHeaderSize caps the bytes of a request's headers.
	MaxRequestHeaderSize int
	// MaxConnections caps the connections open at once.
	MaxConnections int
	// MaxRecordsPerRequest caps the payloads of one body.
	MaxRecordsPerRequest int
	// SplitRefusedPages sends an array the next consumer refused for good
	// again in halves, down to the records it refuses, which alone are not
	// delivered; when false, the whole array is not.
	SplitRefusedPages bool
	// Loopback is set when only this machine can reach the endpoint: the
	// webhook then does not warn that it listens without TLS.
	Loopback bool

	// Receiver is the receiver's own settings: its id, telemetry, logger
	// and build.
	Receiver receiver.Settings
	// Next takes the records.
	Next consumer.Logs
	// Telemetry counts what the webhook does.
	Telemetry Telemetry
	// Now is the clock of the dedup window and of the records' observed
	// time.
	Now func() time.Time
	// Format, when set, turns each record from Wiz's native shape into the
	// configured one (OCSF), by its wiz.log_type. A record it fails on goes
	// out native, counted as Unconverted.
	Format func(logType string, lr plog.LogRecord) error
}
