// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// Settings are what a stream is built from: the receiver makes them for
// each enabled log type from its config. The option names in the stream's
// errors and log lines are the receiver's.
type Settings struct {
	// LogType is the data set the stream reads.
	LogType *logtype.LogType
	// Query is its section's query settings: time field, fixed filters and
	// mapper.
	Query logtype.PollQuery
	// ResultCap is the number of nodes past which Wiz stops serving a
	// query; 0 when Wiz serves the log type in full.
	ResultCap int

	PollInterval    time.Duration
	InitialLookback time.Duration
	Overlap         time.Duration
	MaxWindow       time.Duration
	PageSize        int
	// NoEventsTimeout alerts when the stream delivers nothing for this
	// long; 0 disables the alert.
	NoEventsTimeout time.Duration
	// BackOff paces the retries of a page the next consumer refused for
	// now.
	BackOff configretry.BackOffConfig
	// SplitRefusedPages sends a page the next consumer refused for good
	// again in halves, down to the records it refuses, which alone are not
	// delivered; when false, the whole page is not (see package consume).
	SplitRefusedPages bool
	// MaxBatchBytes bounds a batch of records handed to the next consumer,
	// in bytes of Wiz's JSON: a larger page is handed over in several.
	MaxBatchBytes int

	// Client fetches Wiz's pages.
	Client Client
	// WizClock is Wiz's clock, as the client reads it from Wiz's answers.
	WizClock WizClock
	// Storage holds the checkpoint; Markers, a client of its own, the
	// marker that it was written.
	Storage, Markers storage.Client
	// Next takes the records.
	Next      consumer.Logs
	ObsReport *receiverhelper.ObsReport
	// Telemetry counts what the stream does.
	Telemetry Telemetry
	// Status is told the stream's health: after the connection check,
	// after every poll, and at every failed request the client retries.
	// err is nil when healthy; permanent when the stream stopped for good.
	Status func(stream string, err error, permanent bool)
	Logger *zap.Logger
	// Resource describes the telemetry source, on every record.
	Resource pcommon.Resource
	// Version is the collector's, the records' scope version.
	Version string
	// Now is this host's clock.
	Now func() time.Time
	// Sleep waits out the poll interval between two polls, or until ctx
	// ends: backoff.Sleep when nil. Tests pace running streams with it, a
	// poll at a time.
	Sleep func(ctx context.Context, d time.Duration) error
	// AfterSave, when set, sees the stream after every checkpoint write:
	// tests check the checkpoint's invariants there (see Invariants).
	AfterSave func(*Stream)
	// Format, when set, turns each record the stream delivers from Wiz's
	// native shape into the configured one (OCSF), by its wiz.log_type. A
	// record it fails on goes out native, counted as Unconverted.
	Format func(logType string, lr plog.LogRecord) error
	// FormatName names the configured format (native, ocsf): an open
	// snapshot taken in another is started again, not continued in a
	// second body shape.
	FormatName string
}

// Client is the part of the Wiz client a stream uses.
type Client interface {
	FetchPage(ctx context.Context, req wiz.Request) (wiz.Page, error)
}

// WizClock is Wiz's clock as the client reads it from Wiz's answers.
type WizClock interface {
	// Now is the latest Wiz's clock reads now, at most a second and a
	// request's duration past it; known is false until Wiz told its clock.
	Now() (now time.Time, known bool)
}
