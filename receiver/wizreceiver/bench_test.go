// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
)

const (
	benchPageSize = 500
	// benchPagesPerWalk ends a page walk (hasNextPage false) every so many
	// pages, so each poll reads a bounded window, below the audit result
	// cap, as a real tenant's backlog would be read.
	benchPagesPerWalk = 10
)

// replayTemplate is one 500-node page of a log type as the mock Wiz's
// GraphQL execution rendered it, split so that every served page can carry
// new ids (the receiver drops repeated records) without re-rendering.
type replayTemplate struct {
	head    []byte // {"data":{"<key>":{"nodes":[ ...nodes... ],"pageInfo":{"hasNextPage":
	idSlots []int  // offsets in head of the first 8 hex digits of every node's id
	single  []byte // a whole one-node page, for the connection check
}

var (
	replayOnce      sync.Once
	replayTemplates map[string]*replayTemplate
	errReplay       error
)

// renderReplayTemplates asks the mock Wiz for one page of each log type,
// once per process and only when a benchmark needs it.
func renderReplayTemplates(b *testing.B) map[string]*replayTemplate {
	b.Helper()
	replayOnce.Do(func() {
		// Times well in the past, so every walk's records fall behind the
		// overlap afterwards and the seen set stays bounded, as in
		// production.
		end := time.Now().Add(-2 * time.Hour)
		ds := mockwiz.GenerateDataset(mockwiz.DatasetOptions{
			Seed: 7, Start: end.Add(-20 * time.Hour), End: end,
			Counts: benchCounts(),
		})
		srv := mockwiz.New(mockwiz.Options{Dataset: ds})
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		token, err := benchToken(hs.URL)
		if err != nil {
			errReplay = err
			return
		}
		replayTemplates = map[string]*replayTemplate{}
		for _, lt := range logtype.All {
			q := lt.Query
			filter := lt.Poll(lt.NewConfig(), nil).Filter
			body, _ := json.Marshal(map[string]any{
				"query": q.Query, "variables": map[string]any{"first": benchPageSize, "filterBy": filter},
			})
			req, _ := http.NewRequest(http.MethodPost, hs.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			page, err := doRequest(req)
			if err != nil {
				errReplay = err
				return
			}
			tmpl, err := newReplayTemplate(page, q.ResponseKey)
			if err != nil {
				errReplay = fmt.Errorf("%s: %w", lt.Key, err)
				return
			}
			replayTemplates[lt.Key] = tmpl
		}
	})
	if errReplay != nil {
		b.Fatal(errReplay)
	}
	return replayTemplates
}

// benchCounts asks for two pages' worth of every log type, so that a full
// page is left after each log type's default filters.
func benchCounts() map[string]int {
	counts := map[string]int{}
	for _, lt := range logtype.All {
		counts[lt.Name] = 2 * benchPageSize
	}
	return counts
}

func benchToken(base string) (string, error) {
	form := url.Values{
		"grant_type": {"client_credentials"}, "audience": {"wiz-api"},
		"client_id": {"mock-client-id"}, "client_secret": {"mock-client-secret"},
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", bytes.NewBufferString(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	raw, err := doRequest(req)
	if err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	return tok.AccessToken, json.Unmarshal(raw, &tok)
}

func doRequest(req *http.Request) ([]byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("mock answered %s: %s", resp.Status, raw)
	}
	return raw, err
}

// newReplayTemplate re-assembles the mock's page byte for byte up to its
// pageInfo, noting where each node's id starts.
func newReplayTemplate(page []byte, key string) (*replayTemplate, error) {
	var env struct {
		Data map[string]struct {
			Nodes []json.RawMessage `json:"nodes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(page, &env); err != nil {
		return nil, err
	}
	nodes := env.Data[key].Nodes
	if len(nodes) != benchPageSize {
		return nil, fmt.Errorf("the mock served %d nodes, want %d", len(nodes), benchPageSize)
	}
	t := &replayTemplate{}
	t.head = append(t.head, `{"data":{"`+key+`":{"nodes":[`...)
	for i, n := range nodes {
		var id struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(n, &id); err != nil {
			return nil, err
		}
		at := bytes.Index(n, []byte(`"id":"`+id.ID+`"`))
		if at < 0 || len(id.ID) < 8 {
			return nil, fmt.Errorf("node %d: cannot place its id %q", i, id.ID)
		}
		if i > 0 {
			t.head = append(t.head, ',')
		}
		t.idSlots = append(t.idSlots, len(t.head)+at+len(`"id":"`))
		t.head = append(t.head, n...)
	}
	t.head = append(t.head, `],"pageInfo":{"hasNextPage":`...)
	t.single = []byte(`{"data":{"` + key + `":{"nodes":[` + string(nodes[0]) + `],"pageInfo":{"hasNextPage":false,"endCursor":"c"}}}}`)
	return t, nil
}

// replayServer serves pre-rendered pages: the token endpoint, the
// connection check (first: 1), and an endless series of pages that end a
// walk every benchPagesPerWalk pages. It does no per-node work beyond
// stamping the page number into each node's id.
type replayServer struct {
	tmpl *replayTemplate

	mu       sync.Mutex
	buf      []byte
	served   int // pages of benchPageSize nodes
	requests int // every /graphql request
}

func (s *replayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/oauth/token":
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"bench-token","token_type":"Bearer","expires_in":3600}`))
		return
	case "/graphql":
	default:
		http.NotFound(w, r)
		return
	}
	var req struct {
		Variables struct {
			First int `json:"first"`
		} `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	w.Header().Set("Content-Type", "application/json")
	if req.Variables.First != benchPageSize {
		_, _ = w.Write(s.tmpl.single)
		return
	}
	n := s.served
	s.served++
	s.buf = append(s.buf[:0], s.tmpl.head...)
	var stamp [8]byte
	hex := strconv.AppendUint(stamp[:0], uint64(n)|1<<31, 16) // always 8 digits
	for _, at := range s.tmpl.idSlots {
		copy(s.buf[at:at+8], hex)
	}
	next := (n+1)%benchPagesPerWalk != 0
	s.buf = strconv.AppendBool(s.buf, next)
	s.buf = append(s.buf, `,"endCursor":"c`...)
	s.buf = strconv.AppendInt(s.buf, int64(n), 10)
	s.buf = append(s.buf, `"}}}}`...)
	w.Header().Set("Content-Length", strconv.Itoa(len(s.buf)))
	_, _ = w.Write(s.buf)
}

// countingSink discards logs and, once it has seen target records, calls
// onDone and closes done. The receiver asks for its next page only after
// ConsumeLogs returns, so onDone sees exactly the requests behind them.
type countingSink struct {
	target  int64
	records atomic.Int64
	onDone  func()
	done    chan struct{}
	once    sync.Once
}

func (c *countingSink) ConsumeLogs(_ context.Context, logs plog.Logs) error {
	if c.records.Add(int64(logs.LogRecordCount())) >= c.target {
		c.once.Do(func() {
			c.onDone()
			close(c.done)
		})
	}
	return nil
}

// BenchmarkEndToEnd measures records/s through the real receiver (factory,
// HTTP client, token, paging, decoding, mapping, de-duplication,
// checkpointing, consume) against a server replaying pre-rendered 500-node
// pages, with rate limiting effectively off and a discarding consumer. One
// op is one record. Run it with -cpu 1 for the one-core figure.
func BenchmarkEndToEnd(b *testing.B) {
	for _, lt := range logtype.All {
		b.Run(lt.Key, func(b *testing.B) { benchEndToEnd(b, lt.Key) })
	}
}

func benchEndToEnd(b *testing.B, name string) {
	replay := &replayServer{tmpl: renderReplayTemplates(b)[name]}
	hs := httptest.NewServer(replay)
	defer hs.Close()

	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = hs.URL + "/graphql"
	cfg.TokenURL = hs.URL + "/oauth/token"
	cfg.ClientID = "bench"
	cfg.ClientSecret = "bench"
	cfg.PageSize = benchPageSize
	cfg.PollInterval = time.Millisecond
	cfg.RequestsPerSecond = 1e9
	enableOnly(cfg, name)

	var requests, pages int
	sink := &countingSink{target: int64(b.N), done: make(chan struct{}), onDone: func() {
		replay.mu.Lock()
		requests, pages = replay.requests, replay.served
		replay.mu.Unlock()
	}}
	next, err := consumer.NewLogs(sink.ConsumeLogs)
	if err != nil {
		b.Fatal(err)
	}
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertestSettings(), cfg, next)
	if err != nil {
		b.Fatal(err)
	}
	// The replay server ignores filters and repeats one page's times, so it
	// cannot stand in for Wiz's result cap; TestResultCapBackfill measures
	// what the cap costs.
	clear(rcv.(*wizReceiver).resultCaps)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	start := time.Now()
	if err := rcv.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	select {
	case <-sink.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d records arrived", sink.records.Load(), b.N)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&after)
	if err := rcv.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}

	records := float64(sink.records.Load())
	b.ReportMetric(records/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/records, "B/record")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
	// Every request, the connection check included, per 1,000 records
	// delivered.
	b.ReportMetric(float64(requests)*1000/max(records, 1), "requests/1000records")
	b.ReportMetric(float64(pages)*1000/max(records, 1), "pages/1000records")
}
