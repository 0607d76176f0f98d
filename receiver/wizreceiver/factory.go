// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadata"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// Defaults, documented in the configuration table of the receiver README.
const (
	defaultPollInterval      = 5 * time.Minute
	defaultInitialLookback   = 24 * time.Hour
	defaultOverlap           = time.Minute
	defaultMaxWindow         = 24 * time.Hour
	defaultPageSize          = maxPageSize
	defaultRequestsPerSecond = 3
	defaultAuthRetryInterval = 5 * time.Minute
	// Panther's default alert window for a silent source.
	defaultNoEventsTimeout = 24 * time.Hour
	// Wiz answers large pages slowly; the collector's 0 would mean no limit.
	defaultTimeout = time.Minute
	// Four 500-node pages of the heaviest data set fit, and more
	// (TestDefaultMaxResponseSizeHoldsFourPages): room for heavier real
	// records, while one answer stays a small part of the memory limit.
	defaultMaxResponseSize = 16 << 20
	// A page's records, as log records and as the exporter's request, take
	// several times their JSON, all at once: batches of this much keep
	// that a bounded part of the collector's memory however heavy Wiz's
	// records are (TestPageHandedOverInBatches), and are still a large
	// request for a backend.
	defaultMaxBatchBytes = 512 << 10
)

// NewFactory creates the wiz receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogsReceiver, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	httpCfg := confighttp.NewDefaultClientConfig()
	httpCfg.Timeout = defaultTimeout
	return &Config{
		ClientConfig:      httpCfg,
		TokenURL:          wiz.DefaultTokenURL,
		PollInterval:      defaultPollInterval,
		InitialLookback:   defaultInitialLookback,
		Overlap:           defaultOverlap,
		MaxWindow:         defaultMaxWindow,
		PageSize:          defaultPageSize,
		MaxResponseSize:   defaultMaxResponseSize,
		MaxBatchBytes:     defaultMaxBatchBytes,
		RequestsPerSecond: defaultRequestsPerSecond,
		NoEventsTimeout:   defaultNoEventsTimeout,
		AuthRetryInterval: defaultAuthRetryInterval,
		BackOff:           configretry.NewDefaultBackOffConfig(),
		Format:            formatNative,
		SplitRefusedPages: true,
		Webhook:           defaultWebhookConfig(),
		logTypes:          defaultLogTypes(),
	}
}

func createLogsReceiver(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newWizReceiver(set, cfg.(*Config), next)
}
