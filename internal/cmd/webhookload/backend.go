// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/otlpsink"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

// backend is the collector's OTLP/HTTP destination: it counts every record
// it received by log.record.uid, so that the generator can tell which
// acknowledged payloads arrived, and how often.
type backend struct {
	otlpsink.Sink
	mu   sync.Mutex
	uids map[string]int
}

func newBackend() *backend {
	b := &backend{uids: map[string]int{}}
	b.OnLogs = func(logs plog.Logs) {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, rl := range logs.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					uid, _ := lr.Attributes().Get(wizreceivertest.AttrRecordUID)
					b.uids[uid.Str()]++
				}
			}
		}
	}
	return b
}

// received is how often the record with uid arrived.
func (b *backend) received(uid string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.uids[uid]
}
