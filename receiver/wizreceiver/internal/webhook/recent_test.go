// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

func TestRecentBodies(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	r := newRecentBodies(time.Minute, 3)
	h := func(i int) bodyHash { return hashBody(fmt.Appendf(nil, "body %d", i)) }

	require.Equal(t, claimed, r.claim(h(1), start))
	assert.Equal(t, inFlight, r.claim(h(1), start))
	r.release(h(1), false, start)
	require.Equal(t, claimed, r.claim(h(1), start), "a refused body is not remembered")
	r.release(h(1), true, start)
	assert.Equal(t, redelivered, r.claim(h(1), start.Add(59*time.Second)))
	assert.Equal(t, claimed, r.claim(h(1), start.Add(time.Minute)), "forgotten after the window")
	r.release(h(1), true, start.Add(time.Minute))

	// At the limit the oldest is forgotten first.
	for i := 2; i <= 4; i++ {
		require.Equal(t, claimed, r.claim(h(i), start.Add(time.Minute)))
		r.release(h(i), true, start.Add(time.Minute))
	}
	assert.Len(t, r.accepted, 3)
	assert.Equal(t, claimed, r.claim(h(1), start.Add(time.Minute)), "the oldest gave way")
	r.release(h(1), false, start.Add(time.Minute))
	for i := 2; i <= 4; i++ {
		assert.Equal(t, redelivered, r.claim(h(i), start.Add(time.Minute)), i)
	}

	// Memory stays flat however many bodies pass.
	for i := range 10_000 {
		now := start.Add(2*time.Minute + time.Duration(i)*time.Millisecond)
		require.Equal(t, claimed, r.claim(h(100+i), now))
		r.release(h(100+i), true, now)
	}
	assert.Len(t, r.accepted, 3)
	assert.Equal(t, 3, r.n)
	assert.Len(t, r.ring, 3, "the ring never grows")
	assert.Empty(t, r.claimed)
}

// An identical body re-delivered within dedup_window is acknowledged and
// not emitted again; after the window, or with any byte changed, it is new.
func TestWebhookSuppressesRedeliveries(t *testing.T) {
	sink := &consumertest.LogsSink{}
	clock := wiztest.NewClock(time.Now())
	w := startWebhook(t, sink, func(c *Settings) { c.DedupWindow, c.Now = time.Hour, clock.Now })
	issue := mockwiz.WebhookPayload(mockwiz.WebhookIssue, 1, pushedAt)

	require.Equal(t, http.StatusOK, w.push(t, issue).Status)
	again := w.push(t, issue)
	require.Equal(t, http.StatusOK, again.Status)
	assert.JSONEq(t, `{"status":"duplicate"}`, again.Body)
	assert.Equal(t, 1, sink.LogRecordCount())
	assert.Equal(t, int64(1), w.metrics.snapshot().redeliveries)

	for name, same := range map[string][]byte{"a trailing newline": append(bytes.Clone(issue), '\n'), "re-indented": indented(t, issue)} {
		a := w.push(t, same)
		require.Equal(t, http.StatusOK, a.Status, name)
		assert.JSONEq(t, `{"status":"duplicate"}`, a.Body, "%s: whitespace aside, the same body", name)
	}
	assert.Equal(t, 1, sink.LogRecordCount())
	require.Equal(t, http.StatusOK, w.push(t, mockwiz.WebhookPayload(mockwiz.WebhookIssue, 2, pushedAt)).Status)
	assert.Equal(t, 2, sink.LogRecordCount(), "another body")

	clock.Advance(time.Hour)
	require.Equal(t, http.StatusOK, w.push(t, issue).Status)
	assert.Equal(t, 3, sink.LogRecordCount(), "after the window the body is new again")
}

// An identical body arriving while the first is still being delivered is
// turned away (503), not emitted beside it.
func TestWebhookIdenticalBodyInFlight(t *testing.T) {
	next := newBlockingConsumer()
	w := startWebhook(t, next, nil)
	issue := mockwiz.WebhookPayload(mockwiz.WebhookIssue, 3, pushedAt)
	var wg sync.WaitGroup
	var first wiztest.Answer
	wg.Go(func() { first = w.push(t, issue) })
	next.waitEntered(t, 1)
	second := w.push(t, issue)
	assert.Equal(t, http.StatusServiceUnavailable, second.Status)
	assert.Equal(t, "1", second.RetryAfter)
	close(next.release)
	wg.Wait()
	assert.Equal(t, http.StatusOK, first.Status)
	assert.Equal(t, http.StatusOK, w.push(t, issue).Status, "the retry is a re-delivery")
	assert.Equal(t, 1, next.sink.LogRecordCount())
}

// With dedup_window 0 the webhook remembers nothing.
func TestWebhookDedupDisabled(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *Settings) { c.DedupWindow = 0 })
	issue := mockwiz.WebhookPayload(mockwiz.WebhookIssue, 2, pushedAt)
	for range 3 {
		require.Equal(t, http.StatusOK, w.push(t, issue).Status)
	}
	assert.Equal(t, 3, sink.LogRecordCount())
	assert.Nil(t, w.srv.handler.recent)
}

// indented is payload re-indented, as another sender might send it.
func indented(t *testing.T, payload []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, json.Indent(&b, payload, "", "  "))
	return b.Bytes()
}
