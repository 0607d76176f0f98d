// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"go.uber.org/zap/zapcore"
	"google.golang.org/protobuf/proto"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
)

// otlpHTTPBackend is an OTLP/HTTP backend written with the standard library
// alone, as another vendor's would be: it decodes each request with
// protobuf's decoder at recursion limit, answers 400 to one it cannot
// decode, and counts the log.record.uid of the records it takes.
type otlpHTTPBackend struct {
	limit    int
	mu       sync.Mutex
	uids     map[string]int
	refusals int
}

func (b *otlpHTTPBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(io.LimitReader(body, 64<<20))
	var req logspb.LogsData
	if err == nil {
		err = proto.UnmarshalOptions{RecursionLimit: b.limit}.Unmarshal(raw, &req)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.refusals++
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, rl := range req.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			for _, lr := range sl.GetLogRecords() {
				for _, kv := range lr.GetAttributes() {
					if kv.GetKey() == mapping.AttrRecordUID {
						b.uids[kv.GetValue().GetStringValue()]++
					}
				}
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (b *otlpHTTPBackend) received() wiztest.Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	uids := make(map[string]int, len(b.uids))
	for uid, n := range b.uids {
		uids[uid] = n
	}
	return wiztest.Counts{logtype.Audit.Name: uids}
}

// otlpHTTPExporter is the collector's own OTLP/HTTP exporter, sending to
// url, with neither a queue nor retries (examples/otlp.yaml's shape, less
// the retries a test need not wait for).
func otlpHTTPExporter(t *testing.T, url string) exporter.Logs {
	t.Helper()
	f := otlphttpexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlphttpexporter.Config)
	cfg.ClientConfig.Endpoint = url
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.Enabled = false
	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	return exp
}

// Behind the collector's OTLP/HTTP exporter and another vendor's backend:
// a body as deep as Wiz serves reaches a backend at protobuf's usual limit,
// and a stricter backend's 400, which the exporter passes on as a
// permanent refusal, drops only the record it is about.
func TestPollThroughOTLPHTTP(t *testing.T) {
	for _, tt := range []struct {
		name          string
		limit, levels int
		deepDropped   bool
	}{
		{name: "deep body, usual limit", limit: wiztest.OTLPRecursionLimit, levels: 5000},
		{name: "stricter backend", limit: wiztest.StrictLimit, levels: wiztest.DeepLevels, deepDropped: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			backend := &otlpHTTPBackend{limit: tt.limit, uids: map[string]int{}}
			srv := httptest.NewServer(backend)
			t.Cleanup(srv.Close)
			mock, url, deepID, _ := withDeepEntry(t, tt.levels)
			e := newEnv(t, url)
			e.PageSize = 50
			e.enableOnly("audit")
			logs := e.observeLogs(zapcore.InfoLevel)
			e.Next = otlpHTTPExporter(t, srv.URL)
			streams, _ := e.streams(t)

			want := polltest.AuditOnly(wiztest.Expected(t, mock))
			if tt.deepDropped {
				want = without(want, deepID)
			}
			polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, backend.received()) })
			wiztest.RequireExactlyOnce(t, want, backend.received())
			dropped := logs.FilterMessageSnippet("permanently refused").All()
			if !tt.deepDropped {
				assert.Empty(t, dropped)
				assert.Zero(t, backend.refusals)
				return
			}
			require.Len(t, dropped, 1)
			assert.Equal(t, []any{deepID}, dropped[0].ContextMap()["ids"])
		})
	}
}
