// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// benchPageSize is the receiver's default page size, the most Wiz serves.
const benchPageSize = 500

// benchPage is one realistic page of a log type, rendered by the mock Wiz's
// GraphQL execution of the receiver's own query.
type benchPage struct {
	conn   wiz.Connection
	mapper mapping.Mapper
	page   []byte // the whole response: {"data":{"<key>":{"nodes":[...],"pageInfo":{...}}}}
	data   []byte // its "data" member, what the GraphQL client hands to decodePage
}

var (
	benchPagesOnce sync.Once
	benchPages     map[string]benchPage
	errBenchPages  error
)

// renderBenchPages renders one 500-node page per log type. It runs once per
// process, and only when a benchmark asks for it.
func renderBenchPages(b *testing.B) map[string]benchPage {
	b.Helper()
	benchPagesOnce.Do(func() {
		end := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
		// Two pages' worth of each log type, so that a full page is left
		// after its default filters.
		counts := map[string]int{}
		for _, lt := range logtype.All {
			counts[lt.Name] = 2 * benchPageSize
		}
		ds := mockwiz.GenerateDataset(mockwiz.DatasetOptions{Seed: 7, Start: end.Add(-24 * time.Hour), End: end, Counts: counts})
		srv := mockwiz.New(mockwiz.Options{Dataset: ds, Now: func() time.Time { return end }})
		token, err := mockToken(srv.Handler())
		if err != nil {
			errBenchPages = err
			return
		}
		benchPages = map[string]benchPage{}
		for _, lt := range logtype.All {
			name, poll := lt.Key, lt.Poll(lt.NewConfig(), nil)
			body, _ := json.Marshal(map[string]any{
				"query":     lt.Query.Query,
				"variables": map[string]any{"first": benchPageSize, "filterBy": poll.Filter},
			})
			page, err := serve(srv.Handler(), "/graphql", "application/json", token, body)
			if err != nil {
				errBenchPages = err
				return
			}
			var env struct {
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(page, &env); err != nil {
				errBenchPages = err
				return
			}
			got, err := wiz.DecodePage(env.Data, lt.Query.ResponseKey)
			if err != nil {
				errBenchPages = fmt.Errorf("%s: %w", name, err)
				return
			}
			if len(got.Nodes) != benchPageSize {
				errBenchPages = fmt.Errorf("%s: the mock served %d nodes, want %d", name, len(got.Nodes), benchPageSize)
				return
			}
			benchPages[name] = benchPage{conn: lt.Query, mapper: poll.Mapper, page: page, data: env.Data}
		}
	})
	if errBenchPages != nil {
		b.Fatal(errBenchPages)
	}
	return benchPages
}

// serve runs one request through h in memory.
func serve(h http.Handler, path, contentType, token string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, "http://mock"+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	if rec.status != 0 && rec.status != http.StatusOK {
		return nil, fmt.Errorf("mock answered %s: %s", http.StatusText(rec.status), rec.body.String())
	}
	return rec.body.Bytes(), nil
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func mockToken(h http.Handler) (string, error) {
	form := url.Values{
		"grant_type": {"client_credentials"}, "audience": {"wiz-api"},
		"client_id": {"mock-client-id"}, "client_secret": {"mock-client-secret"},
	}
	raw, err := serve(h, "/oauth/token", "application/x-www-form-urlencoded", "", []byte(form.Encode()))
	if err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(bytes.NewReader(raw), 1<<20)).Decode(&tok); err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// BenchmarkPage compares, per log type and 500-node page:
//
//	A: encoding/json Unmarshal of the page into map[string]any (baseline);
//	B: what the receiver does with a page: DecodePage of the data member,
//	   then the mapper on every node into one ResourceLogs/ScopeLogs;
//
// and decodePage_only, the part of B that is the client's page decoding.
//
// Both report ns/record, B/record and allocs/record, and B the page's size
// per record; internal/scripts/bench.sh prints them side by side with the
// ratio B/A.
func BenchmarkPage(b *testing.B) {
	for _, lt := range logtype.All {
		name := lt.Key
		b.Run(name+"/A_json_map", func(b *testing.B) {
			p := renderBenchPages(b)[name]
			b.SetBytes(int64(len(p.page)))
			benchPerRecord(b, func() {
				var m map[string]any
				if err := json.Unmarshal(p.page, &m); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(name+"/decodePage_only", func(b *testing.B) {
			p := renderBenchPages(b)[name]
			b.SetBytes(int64(len(p.page)))
			benchPerRecord(b, func() {
				if _, err := wiz.DecodePage(p.data, p.conn.ResponseKey); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(name+"/B_receiver", func(b *testing.B) {
			p := renderBenchPages(b)[name]
			b.SetBytes(int64(len(p.page)))
			benchPerRecord(b, func() {
				page, err := wiz.DecodePage(p.data, p.conn.ResponseKey)
				if err != nil {
					b.Fatal(err)
				}
				mapPage(b, p.mapper, page.Nodes)
			})
			// What Wiz sent per record: runs on heavier data compare by it.
			b.ReportMetric(float64(len(p.page))/benchPageSize, "page-B/record")
		})
	}
}

// mapPage maps nodes as the receiver's deliver does: into a scratch record,
// moved into one ResourceLogs/ScopeLogs.
func mapPage(b *testing.B, mapper mapping.Mapper, nodes []json.RawMessage) plog.Logs {
	logs := plog.NewLogs()
	records := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	records.EnsureCapacity(len(nodes))
	scratch := plog.NewLogRecord()
	for _, node := range nodes {
		if _, err := mapper.Map(node, scratch); err != nil {
			b.Fatal(err)
		}
		scratch.MoveTo(records.AppendEmpty())
	}
	return logs
}

// benchPerRecord runs fn once per op (one page) and adds per-record metrics.
func benchPerRecord(b *testing.B, fn func()) {
	b.Helper()
	b.ReportAllocs()
	var before, after runtimeMem
	readMem(&before)
	b.ResetTimer()
	for b.Loop() {
		fn()
	}
	b.StopTimer()
	readMem(&after)
	records := float64(b.N) * benchPageSize
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64(after.bytes-before.bytes)/records, "B/record")
	b.ReportMetric(float64(after.allocs-before.allocs)/records, "allocs/record")
}

type runtimeMem struct{ bytes, allocs uint64 }

func readMem(m *runtimeMem) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.bytes, m.allocs = ms.TotalAlloc, ms.Mallocs
}
