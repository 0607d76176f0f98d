// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package otlpsink

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

func exportRequest(t *testing.T, records int) []byte {
	t.Helper()
	logs := plog.NewLogs()
	lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range records {
		lrs.AppendEmpty().Body().SetStr("a Wiz record")
	}
	raw, err := plogotlp.NewExportRequestFromLogs(logs).MarshalProto()
	require.NoError(t, err)
	return raw
}

func TestSinkCountsEveryEncoding(t *testing.T) {
	raw := exportRequest(t, 3)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(raw)
	require.NoError(t, zw.Close())
	enc, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	zst := enc.EncodeAll(raw, nil)

	var seen int
	sink := &Sink{OnLogs: func(l plog.Logs) { seen += l.LogRecordCount() }}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	for encoding, body := range map[string][]byte{"": raw, "gzip": gz.Bytes(), "zstd": zst} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/logs", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-protobuf")
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, encoding)
	}
	got := sink.Stats()
	assert.Equal(t, Stats{Requests: 3, Records: 9, WireBytes: int64(len(raw) + gz.Len() + len(zst)), Bytes: int64(3 * len(raw))}, got)
	assert.Equal(t, 9, seen)

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/logs", bytes.NewReader(raw))
	req.Header.Set("Content-Encoding", "br")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	assert.Equal(t, int64(3), sink.Stats().Requests, "a refused export counts nothing")
}
