// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package otlpsink is an OTLP/HTTP logs backend for tests and benchmarks:
// it accepts every export, decompresses it as the exporter compressed it,
// and counts what it received.
package otlpsink

import (
	"compress/gzip"
	"io"
	"net/http"
	"sync"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// Stats is what a Sink received.
type Stats struct {
	Requests int64 `json:"requests"`
	Records  int64 `json:"records"`
	// WireBytes is the request bodies as sent (compressed), Bytes the
	// OTLP protobuf they held.
	WireBytes int64 `json:"wire_bytes"`
	Bytes     int64 `json:"bytes"`
}

// Sink is an http.Handler for OTLP/HTTP log exports (protobuf, with no,
// gzip or zstd compression).
type Sink struct {
	// OnLogs, when set, sees every accepted export, one at a time.
	OnLogs func(plog.Logs)

	mu    sync.Mutex
	stats Stats
}

// Stats returns what the sink has received so far.
func (s *Sink) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	wire := &countingReader{r: r.Body}
	body, err := decompress(r.Header.Get("Content-Encoding"), wire)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnsupportedMediaType)
		return
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.stats.Requests++
	s.stats.Records += int64(req.Logs().LogRecordCount())
	s.stats.WireBytes += wire.n
	s.stats.Bytes += int64(len(raw))
	if s.OnLogs != nil {
		s.OnLogs(req.Logs())
	}
	s.mu.Unlock()
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// decompress reads r as encoded by an OTLP exporter's compression setting.
func decompress(encoding string, r io.Reader) (io.Reader, error) {
	switch encoding {
	case "":
		return r, nil
	case "gzip":
		return gzip.NewReader(r)
	case "zstd":
		d, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	default:
		return nil, &unsupportedEncoding{encoding}
	}
}

type unsupportedEncoding struct{ name string }

func (e *unsupportedEncoding) Error() string { return "unsupported Content-Encoding " + e.name }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
