// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/polltest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// withDeepEntry is a mock Wiz of 60 audit entries, one of which (returned
// with its polled time) records an input nested levels deep.
func withDeepEntry(t *testing.T, levels int) (srv *mockwiz.Server, url, deepID string, deepAt time.Time) {
	t.Helper()
	srv, url = polltest.NewMock(t, mockwiz.Options{Dataset: polltest.SmallDataset(60, 0, 0)})
	audit := srv.Snapshot()[logtype.Audit.Name]
	deep := audit[len(audit)/2]
	deepID = deep["id"].(string)
	deepAt, err := time.Parse(time.RFC3339Nano, deep["timestamp"].(string))
	require.NoError(t, err)
	srv.SetActionParameters(deepID, wiztest.DeepParams(levels))
	return srv, url, deepID, deepAt
}

// without is want less the audit entry with the id, whose uid is its id.
func without(want wiztest.UIDs, id string) wiztest.UIDs {
	want[logtype.Audit.Name] = slices.DeleteFunc(want[logtype.Audit.Name], func(uid string) bool { return uid == id })
	return want
}

// A page the next consumer refuses for good because of one record is
// split until that record stands alone: every other record arrives once,
// only that one is dropped, logged with its id and counted, and the
// checkpoint moves past the page.
func TestPollDropsOnlyTheRefusedRecord(t *testing.T) {
	srv, url, deepID, deepAt := withDeepEntry(t, wiztest.DeepLevels)
	e := newEnv(t, url)
	e.PageSize = 20
	e.enableOnly("audit")
	backend := &wiztest.StrictBackend{Limit: wiztest.StrictLimit}
	logs := e.observeLogs(zapcore.InfoLevel)
	e.Next = backend
	streams, _ := e.streams(t)

	want := without(polltest.AuditOnly(wiztest.Expected(t, srv)), deepID)
	require.Len(t, want[logtype.Audit.Name], 59)
	polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(&backend.LogsSink)) })
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(&backend.LogsSink))

	s := streams[0]
	assert.Nil(t, s.walker.state.Window, "the poll finished")
	assert.True(t, s.walker.state.Watermark.After(deepAt), "the checkpoint moved past the dropped record")
	dropped := logs.FilterMessageSnippet("permanently refused").All()
	require.Len(t, dropped, 1)
	assert.Equal(t, []any{deepID}, dropped[0].ContextMap()["ids"], "the log line names the dropped record")
	assert.EqualValues(t, 1, dropped[0].ContextMap()["records"])
	// Each halving costs one refusal: the page's, then one per level down
	// to the record.
	assert.LessOrEqual(t, backend.Refusals(), int64(1+bits.Len(uint(e.PageSize))))

	counted := e.telemetryOf(logtype.Audit.Name)
	assert.Equal(t, 1, counted.refused, "dropped: consumer_refused")
	assert.Equal(t, 59, counted.emitted)
	// The collector's own counts see each record once, not once per
	// halving.
	assert.Equal(t, int64(59), receiverCount(t, e.tt, "otelcol_receiver_accepted_log_records"))
	assert.Equal(t, int64(1), receiverCount(t, e.tt, "otelcol_receiver_refused_log_records"))
}

// receiverCount is the sum of a receiverhelper counter.
func receiverCount(t *testing.T, tt *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tt.GetMetric(name)
	require.NoError(t, err)
	sum := int64(0)
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		sum += dp.Value
	}
	return sum
}

// outageInSplit is a strict backend that goes down for one request while it
// refuses a page in part: the request after the first one it accepts past
// a refusal is refused for now.
type outageInSplit struct {
	wiztest.StrictBackend
	refused, accepted, down bool
}

func (b *outageInSplit) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if b.accepted && !b.down {
		b.down = true
		return errors.New("backend unavailable")
	}
	err := b.StrictBackend.ConsumeLogs(ctx, ld)
	b.accepted = b.accepted || b.refused && err == nil
	b.refused = b.refused || err != nil
	return err
}

// A page split by a permanent refusal, then refused for now part-way, is
// read again at the next poll; what the consumer accepted of it before is
// not sent twice.
func TestPollSplitRepeatsNothingAfterAnOutage(t *testing.T) {
	srv, url, deepID, _ := withDeepEntry(t, wiztest.DeepLevels)
	e := newEnv(t, url)
	e.PageSize = 20
	// Without retries the outage fails the poll at once.
	e.BackOff.Enabled = false
	e.enableOnly("audit")
	backend := &outageInSplit{StrictBackend: wiztest.StrictBackend{Limit: wiztest.StrictLimit}}
	logs := e.observeLogs(zapcore.InfoLevel)
	e.Next = backend
	streams, _ := e.streams(t)

	want := without(polltest.AuditOnly(wiztest.Expected(t, srv)), deepID)
	polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(&backend.LogsSink)) })
	require.True(t, backend.down, "the outage happened")
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(&backend.LogsSink))
	dropped := logs.FilterMessageSnippet("permanently refused").All()
	require.Len(t, dropped, 1, "the record is dropped once")
	assert.Equal(t, []any{deepID}, dropped[0].ContextMap()["ids"])
}

// A body nested deeper than OTLP/protobuf allows is delivered with its deep
// part as JSON text, and counted.
func TestPollDeliversDeepBody(t *testing.T) {
	srv, url, deepID, _ := withDeepEntry(t, 200)
	e := newEnv(t, url)
	e.PageSize = 20
	e.enableOnly("audit")
	backend := &wiztest.StrictBackend{}
	e.Next = backend
	streams, _ := e.streams(t)

	want := polltest.AuditOnly(wiztest.Expected(t, srv))
	polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(&backend.LogsSink)) })
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(&backend.LogsSink))
	assert.Zero(t, backend.Refusals())
	assert.Contains(t, wiztest.Received(&backend.LogsSink)[logtype.Audit.Name], deepID)
	assert.Equal(t, 1, e.telemetryOf(logtype.Audit.Name).flattened)
}

// fixedPages serves its pages in order, then empty pages.
type fixedPages struct {
	pages []wiz.Page
	calls int
}

func (p *fixedPages) FetchPage(context.Context, wiz.Request) (wiz.Page, error) {
	if p.calls >= len(p.pages) {
		return wiz.Page{}, nil
	}
	p.calls++
	return p.pages[p.calls-1], nil
}

// Records the stream cannot deliver are counted by reason, and the stream
// moves past them: a node it cannot map, and a page the next consumer
// refuses for good.
func TestDroppedRecordsByReason(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1:1")
	e.Overlap = 0
	e.enableOnly("audit")
	// The first page is accepted, the second refused for good.
	next := &refuseNth{LogsSink: &consumertest.LogsSink{}, n: 2, err: consumererror.NewPermanent(errors.New("malformed records"))}
	e.Next = next
	s, _ := e.stream(t)
	at := s.walker.state.Watermark.Add(time.Minute).UTC().Format(time.RFC3339Nano)
	s.query.client = &fixedPages{pages: []wiz.Page{
		{Nodes: []json.RawMessage{
			json.RawMessage(`{"id":"a-1","timestamp":"` + at + `"}`),
			json.RawMessage(`{"id":"no-time","timestamp":"yesterday"}`),
		}, HasNextPage: true, EndCursor: "c1"},
		{Nodes: []json.RawMessage{json.RawMessage(`{"id":"a-2","timestamp":"` + at + `"}`)}},
	}}

	require.NoError(t, s.Poll(context.Background()))
	assert.Nil(t, s.walker.state.Window, "the stream moved past both")
	assert.Equal(t, 1, next.LogRecordCount())

	counted := e.telemetryOf("Wiz.Audit")
	assert.Equal(t, 1, counted.unmappable, "dropped: unmappable")
	assert.Equal(t, 1, counted.refused, "dropped: consumer_refused")
	assert.Equal(t, 1, counted.emitted)
}

// pagesByCursor is a Wiz that serves the page stored under the request's
// cursor ("" for the first), and an empty page for any other.
type pagesByCursor map[string]wiz.Page

func (p *pagesByCursor) FetchPage(_ context.Context, req wiz.Request) (wiz.Page, error) {
	cursor, _ := req.Variables["after"].(string)
	return (*p)[cursor], nil
}

// splitAndFail is a page of audit entries a, b, x and c, an hour old on
// clock, where x nests too deep for a strict backend: behind outageInSplit
// the page is refused for good, split, a and b are accepted, then the
// backend is down for the rest.
func splitAndFail(t *testing.T, clock *wiztest.Clock) (first pagesByCursor, node func(id string) json.RawMessage) {
	t.Helper()
	at := formatTime(clock.Now().Add(-time.Hour))
	deep, err := json.Marshal(wiztest.DeepParams(wiztest.DeepLevels))
	require.NoError(t, err)
	node = func(id string) json.RawMessage {
		if id == "x" {
			return json.RawMessage(`{"id":"x","timestamp":"` + at + `","actionParameters":` + string(deep) + `}`)
		}
		return json.RawMessage(`{"id":"` + id + `","timestamp":"` + at + `"}`)
	}
	return pagesByCursor{"": {Nodes: []json.RawMessage{node("a"), node("b"), node("x"), node("c")}}}, node
}

// A page split by a permanent refusal, then refused for now part-way, is
// read again; when Wiz serves it otherwise at the retry (a and b, which
// the consumer took, now come on a second page), nothing is sent twice.
// Without a result cap, as for most log types, the keys of a and b are let
// go once their page is taken.
func TestPollSplitRepeatsNothingWhenThePageChanges(t *testing.T) {
	clock := wiztest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, "http://127.0.0.1:1")
	e.enableOnly("audit")
	e.ResultCaps["audit"] = 0
	e.BackOff.Enabled = false
	backend := &outageInSplit{StrictBackend: wiztest.StrictBackend{Limit: wiztest.StrictLimit}}
	e.Next, e.Now = backend, clock.Now
	served, node := splitAndFail(t, clock)
	e.wrap = func(Client) Client { return &served }
	s, _ := e.stream(t)

	require.Error(t, s.Poll(context.Background()), "the outage fails the poll")
	require.True(t, backend.down)
	served = pagesByCursor{
		"":   {Nodes: []json.RawMessage{node("d"), node("x"), node("c")}, HasNextPage: true, EndCursor: "c1"},
		"c1": {Nodes: []json.RawMessage{node("a"), node("b")}},
	}
	require.NoError(t, s.Poll(context.Background()))
	assert.Equal(t, map[string]int{"a": 1, "b": 1, "c": 1, "d": 1}, emittedIDs(&backend.LogsSink))
	assert.Equal(t, 1, e.telemetryOf(logtype.Audit.Name).refused, "x is dropped once")
	assert.Empty(t, s.walker.dedup.seen, "no later query reads them")
}

// A restart between the try that failed part-way and the retry sends
// nothing twice: the keys of what the consumer took are saved with the
// checkpoint when the try fails.
func TestPollSplitRepeatsNothingAcrossARestart(t *testing.T) {
	clock := wiztest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, "http://127.0.0.1:1")
	e.enableOnly("audit")
	e.BackOff.Enabled = false
	dir := t.TempDir()
	e.fileStorage(dir)
	backend := &outageInSplit{StrictBackend: wiztest.StrictBackend{Limit: wiztest.StrictLimit}}
	e.Next, e.Now = backend, clock.Now
	served, _ := splitAndFail(t, clock)
	e.wrap = func(Client) Client { return &served }
	s, release := e.stream(t)

	require.Error(t, s.Poll(context.Background()), "the outage fails the poll")
	require.True(t, backend.down)
	release()

	e.fileStorage(dir)
	s, _ = e.stream(t)
	require.NoError(t, s.Poll(context.Background()))
	assert.Equal(t, map[string]int{"a": 1, "b": 1, "c": 1}, emittedIDs(&backend.LogsSink))
	assert.Equal(t, 1, e.telemetryOf(logtype.Audit.Name).refused, "x is dropped once")
}

// When the receiver feeds several pipelines and one of them refuses a
// record for good, the split sends the halves to every pipeline again: the
// pipeline that accepted the page gets some of its records more than once,
// with the same uid, the documented cost of not dropping a page for one
// record. With split_refused_pages off, the page is refused whole: the
// pipeline that accepted it gets each record once, the one that refused it
// none of that page, and the ERROR names each record of the page.
func TestPollFanOut(t *testing.T) {
	for _, split := range []bool{true, false} {
		t.Run(fmt.Sprintf("split_refused_pages=%t", split), func(t *testing.T) {
			srv, url, deepID, _ := withDeepEntry(t, wiztest.DeepLevels)
			e := newEnv(t, url)
			e.PageSize = 20
			e.enableOnly("audit")
			e.SplitRefusedPages = split
			logs := e.observeLogs(zapcore.InfoLevel)
			healthy, strict := &consumertest.LogsSink{}, &wiztest.StrictBackend{Limit: wiztest.StrictLimit}
			e.Next = wiztest.FanOut{healthy, strict}
			streams, _ := e.streams(t)

			want := polltest.AuditOnly(wiztest.Expected(t, srv))
			polltest.PollUntil(t, streams, 3, func() bool { return wiztest.AllArrived(want, wiztest.Received(healthy)) })
			refused := logs.FilterMessageSnippet("permanently refused").All()
			require.Len(t, refused, 1)
			ids := refused[0].ContextMap()["ids"].([]any)
			assert.Contains(t, ids, deepID)
			if split {
				assert.Len(t, ids, 1)
				wiztest.RequireExactlyOnce(t, without(want, deepID), wiztest.Received(&strict.LogsSink))
				repeated := 0
				for _, n := range wiztest.Received(healthy)[logtype.Audit.Name] {
					if n > 1 {
						repeated++
					}
				}
				assert.Positive(t, repeated, "the halves reached the healthy pipeline again")
				return
			}
			wiztest.RequireExactlyOnce(t, want, wiztest.Received(healthy))
			assert.Len(t, ids, e.PageSize, "the whole page is refused")
			page := want[logtype.Audit.Name]
			for _, id := range ids {
				page = slices.DeleteFunc(page, func(uid string) bool { return uid == id })
			}
			wiztest.RequireExactlyOnce(t, wiztest.UIDs{logtype.Audit.Name: page}, wiztest.Received(&strict.LogsSink))
			assert.Equal(t, e.PageSize, e.telemetryOf(logtype.Audit.Name).refused)
			assert.Equal(t, int64(e.PageSize), receiverCount(t, e.tt, "otelcol_receiver_refused_log_records"))
		})
	}
}
