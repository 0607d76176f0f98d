// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package ocsf_test

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/ocsf"
)

// BenchmarkConvert converts one native record per op, a sample of each
// log type: the first sample node of each polled type, one payload of
// each kind the mock pushes. The records are mapped outside the timer, a
// batch at a time.
func BenchmarkConvert(b *testing.B) {
	var samples []sample
	for _, lt := range logtype.All {
		samples = append(samples, polledSamples(b, lt, lt.TimeFields[0])[0])
	}
	for _, kind := range mockwiz.WebhookKinds {
		samples = append(samples, pushedSample(b, string(kind), mockwiz.WebhookPayload(kind, 3, sent)))
	}
	const batch = 512
	for _, s := range samples {
		b.Run(s.logType, func(b *testing.B) {
			records := make([]plog.LogRecord, batch)
			next := batch
			b.ReportAllocs()
			for b.Loop() {
				if next == batch {
					b.StopTimer()
					for i := range records {
						records[i] = plog.NewLogRecord()
						s.record.CopyTo(records[i])
					}
					next = 0
					b.StartTimer()
				}
				if err := ocsf.Convert(s.logType, records[next]); err != nil {
					b.Fatal(err)
				}
				next++
			}
		})
	}
}
