// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiztest

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
)

// FanOut is a receiver's next consumer when it feeds several pipelines, as
// the collector's fan-out behaves: every pipeline is handed each request,
// and their errors are joined, so one pipeline's permanent refusal is the
// request's, though the others accepted it.
type FanOut []consumer.Logs

// Capabilities implements consumer.Logs: no pipeline here changes what it
// is handed.
func (FanOut) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{}
}

// ConsumeLogs implements consumer.Logs.
func (f FanOut) ConsumeLogs(ctx context.Context, logs plog.Logs) error {
	errs := make([]error, 0, len(f))
	for _, next := range f {
		errs = append(errs, next.ConsumeLogs(ctx, logs))
	}
	return errors.Join(errs...)
}
