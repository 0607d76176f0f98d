package main

import (
	"io"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
)

// backend is the collector's OTLP/HTTP destination: it counts every record
// it received by log.record.uid, so that the generator can tell which
// acknowledged payloads arrived, and how often.
type backend struct {
	mu   sync.Mutex
	uids map[string]int
}

func newBackend() *backend { return &backend{uids: map[string]int{}} }

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	for _, rl := range req.Logs().ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				uid, _ := lr.Attributes().Get(mapping.AttrRecordUID)
				b.uids[uid.Str()]++
			}
		}
	}
	b.mu.Unlock()
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// received is how often the record with uid arrived.
func (b *backend) received(uid string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.uids[uid]
}
