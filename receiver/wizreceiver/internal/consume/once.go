// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package consume

import (
	"context"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
)

// Once hands logs to next as one obsreport operation of format. With
// split, a permanent refusal of several records reports none of them
// refused: they are sent again in halves (Batch), and each is reported
// there.
func Once(ctx context.Context, obsrecv *receiverhelper.ObsReport, format string, next consumer.Logs, logs plog.Logs, split bool) error {
	count := logs.LogRecordCount()
	opCtx := obsrecv.StartLogsOp(ctx)
	err := next.ConsumeLogs(opCtx, logs)
	if split && count > 1 && consumererror.IsPermanent(err) {
		count = 0
	}
	obsrecv.EndLogsOp(opCtx, format, count, err)
	return err
}
