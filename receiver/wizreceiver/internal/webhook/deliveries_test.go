// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

// Past max_concurrent_requests every request is answered 503 with
// Retry-After at once, and none of them is emitted; those in flight
// complete.
func TestWebhookCapsConcurrentRequests(t *testing.T) {
	const capacity = 2
	next := newBlockingConsumer()
	w := startWebhook(t, next, func(c *Settings) { c.MaxConcurrentRequests = capacity })

	var wg sync.WaitGroup
	answers := make([]wiztest.Answer, capacity)
	for i := range capacity {
		wg.Go(func() { answers[i] = w.push(t, mockwiz.WebhookPayload(mockwiz.WebhookDetection, i, pushedAt)) })
	}
	next.waitEntered(t, capacity)
	for i := range 5 {
		a := w.push(t, mockwiz.WebhookPayload(mockwiz.WebhookDetection, 100+i, pushedAt))
		assert.Equal(t, http.StatusServiceUnavailable, a.Status)
		assert.Equal(t, "1", a.RetryAfter)
	}
	close(next.release)
	wg.Wait()
	for _, a := range answers {
		assert.Equal(t, http.StatusOK, a.Status)
	}
	assert.Equal(t, capacity, next.sink.LogRecordCount(), "only the requests in flight were emitted")
	assert.Equal(t, map[int]int64{http.StatusOK: capacity, http.StatusServiceUnavailable: 5}, w.requests())
}

// blockingConsumer holds every delivery until released, announcing each.
type blockingConsumer struct {
	entered chan struct{}
	release chan struct{}
	sink    consumertest.LogsSink
}

func newBlockingConsumer() *blockingConsumer {
	return &blockingConsumer{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *blockingConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (b *blockingConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	b.entered <- struct{}{}
	select {
	case <-b.release:
		return b.sink.ConsumeLogs(ctx, ld)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *blockingConsumer) waitEntered(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		select {
		case <-b.entered:
		case <-time.After(wiztest.HangGuard):
			t.Fatalf("only %d of %d deliveries reached the consumer", i, n)
		}
	}
}

// outageConsumer is a pipeline whose backend can go down: while it is
// down, each delivery waits for the test to decide its outcome, as an
// exporter retrying without a queue does.
type outageConsumer struct {
	sink    consumertest.LogsSink
	entered chan struct{}
	outcome chan error
	// ended lets every delivery still waiting through, at the test's end.
	ended chan struct{}

	mu   sync.Mutex
	down bool
}

func newOutageConsumer(t *testing.T) *outageConsumer {
	c := &outageConsumer{entered: make(chan struct{}, 10), outcome: make(chan error), ended: make(chan struct{})}
	t.Cleanup(func() { close(c.ended) })
	return c
}

func (c *outageConsumer) consumer(t *testing.T) consumer.Logs {
	next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		c.mu.Lock()
		down := c.down
		c.mu.Unlock()
		if down {
			c.entered <- struct{}{}
			select {
			case err := <-c.outcome:
				if err != nil {
					return err
				}
			case <-ctx.Done():
				return ctx.Err()
			case <-c.ended:
			}
		}
		return c.sink.ConsumeLogs(ctx, ld)
	})
	require.NoError(t, err)
	return next
}

func (c *outageConsumer) setDown(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down = down
}

// pushAsync pushes body on a goroutine; the answer arrives on the channel.
func (w *webhookTest) pushAsync(body []byte) <-chan wiztest.Answer {
	answered := make(chan wiztest.Answer, 1)
	go func() {
		a, err := wiztest.TryPush(w.client, w.url, body, wiztest.Bearer(wiztest.WebhookToken))
		if err != nil {
			a.Body = "no answer: " + err.Error()
		}
		answered <- a
	}()
	return answered
}

// requireAnswer waits for an answer that must come.
func requireAnswer(t *testing.T, answered <-chan wiztest.Answer) wiztest.Answer {
	t.Helper()
	select {
	case a := <-answered:
		return a
	case <-time.After(wiztest.HangGuard):
		t.Fatal("no answer")
		return wiztest.Answer{}
	}
}

// answerLate has the request whose delivery waits at the outage consumer
// answered as its answerWithin passes (see deliveries.expire), and returns
// the answer.
func (w *webhookTest) answerLate(t *testing.T, outage *outageConsumer, answered <-chan wiztest.Answer) wiztest.Answer {
	t.Helper()
	awaitSignal(t, outage.entered, "the delivery reaching the consumer")
	select {
	case w.expire <- struct{}{}:
	case <-time.After(wiztest.HangGuard):
		t.Fatal("no request waits for its delivery")
	}
	return requireAnswer(t, answered)
}

// waitForDeliveries waits until no delivery holds a slot: every record
// handed to the consumer has its outcome, and the dedup memory has it.
func waitForDeliveries(t *testing.T, w *webhookTest) {
	t.Helper()
	require.Eventually(t, func() bool { return len(w.srv.handler.deliveries.slots) == 0 }, wiztest.HangGuard, time.Millisecond,
		"a delivery still holds its slot")
}

// awaitSignal waits for a signal on ch of what must happen.
func awaitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(wiztest.HangGuard):
		t.Fatalf("no sign of %s", what)
	}
}

// lateWebhook is a webhook whose requests answer late only when the test
// says so (see webhookTest.expire): its write_timeout is long past any
// test's wait, so the server's write deadline never races the answer.
func lateWebhook(t *testing.T, next consumer.Logs) *webhookTest {
	return startWebhook(t, next, func(c *Settings) { c.Server.WriteTimeout = time.Hour })
}

// A backend down for longer than write_timeout: Wiz gets 503 with
// Retry-After as the request's answerWithin passes, before the server's
// deadline would close the connection unanswered. The delivery goes on
// meanwhile; a re-delivery is turned away while it does, acknowledged
// without being emitted once the consumer accepted the records, and
// emitted once when it finally refused them.
func TestWebhookAnswersBeforeWriteTimeout(t *testing.T) {
	outage := newOutageConsumer(t)
	w := lateWebhook(t, outage.consumer(t))

	// The consumer accepts, late.
	detection := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 1, pushedAt)
	outage.setDown(true)
	a := w.answerLate(t, outage, w.pushAsync(detection))
	assert.Equal(t, http.StatusServiceUnavailable, a.Status, a.Body)
	assert.Equal(t, "5", a.RetryAfter)
	assert.Contains(t, a.Body, "write_timeout")
	again := w.push(t, detection)
	assert.Equal(t, http.StatusServiceUnavailable, again.Status, "while the first delivery is still going on")
	outage.outcome <- nil
	waitForDeliveries(t, w)
	outage.setDown(false)
	a = w.push(t, detection)
	assert.Equal(t, http.StatusOK, a.Status)
	assert.JSONEq(t, `{"status":"duplicate"}`, a.Body, "the late acceptance is remembered")
	assert.Equal(t, 1, outage.sink.LogRecordCount(), "emitted once")

	// The consumer refuses, late.
	threat := mockwiz.WebhookPayload(mockwiz.WebhookThreat, 1, pushedAt)
	outage.setDown(true)
	assert.Equal(t, http.StatusServiceUnavailable, w.answerLate(t, outage, w.pushAsync(threat)).Status)
	outage.outcome <- errors.New("backend unavailable")
	waitForDeliveries(t, w)
	outage.setDown(false)
	a = w.push(t, threat)
	assert.Equal(t, http.StatusOK, a.Status)
	assert.JSONEq(t, `{"status":"accepted","records":1}`, a.Body, "a late refusal is not remembered")
	assert.Equal(t, 2, outage.sink.LogRecordCount())

	assert.Equal(t, 2, w.logs.FilterMessageSnippet("within write_timeout").Len(), "each late answer is logged")
	assert.Equal(t, map[int]int64{http.StatusServiceUnavailable: 3, http.StatusOK: 2}, w.requests())
}

// Shutdown waits for a delivery that outlived its request; when its
// context ends first, it cancels the delivery and says so.
func TestWebhookShutdownWaitsForDeliveries(t *testing.T) {
	outage := newOutageConsumer(t)
	w := lateWebhook(t, outage.consumer(t))
	outage.setDown(true)
	require.Equal(t, http.StatusServiceUnavailable, w.answerLate(t, outage, w.pushAsync(mockwiz.WebhookPayload(mockwiz.WebhookIssue, 1, pushedAt))).Status)

	done := make(chan error, 1)
	go func() { done <- w.srv.Shutdown(context.Background()) }()
	// Shutdown has taken every slot the delivery does not hold: it waits
	// for that one.
	slots := w.srv.handler.deliveries.slots
	require.Eventually(t, func() bool { return len(slots) == cap(slots) }, wiztest.HangGuard, time.Millisecond, "shutdown never took the free slots")
	select {
	case err := <-done:
		t.Fatalf("shutdown returned (%v) with a delivery going on", err)
	default:
	}
	outage.outcome <- nil
	require.NoError(t, <-done)
	assert.Equal(t, 1, outage.sink.LogRecordCount(), "the delivery completed")

	cut := lateWebhook(t, outage.consumer(t))
	require.Equal(t, http.StatusServiceUnavailable, cut.answerLate(t, outage, cut.pushAsync(mockwiz.WebhookPayload(mockwiz.WebhookIssue, 2, pushedAt))).Status)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := cut.srv.Shutdown(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, outage.sink.LogRecordCount(), "the cancelled delivery emitted nothing")
}

// A request waits for the next consumer write_timeout less a margin, so
// that its answer, a 503 if need be, is written before the server's write
// deadline closes the connection: the margin is a second, or half a
// write_timeout shorter than two. A write_timeout of 0 sets no deadline,
// and a request waits as long as its delivery takes.
func TestAnswerWithinLeavesTimeToAnswer(t *testing.T) {
	for writeTimeout, want := range map[time.Duration]time.Duration{
		30 * time.Second: 29 * time.Second,
		2 * time.Second:  time.Second,
		time.Second:      500 * time.Millisecond,
		0:                0,
	} {
		assert.Equal(t, want, answerWithin(writeTimeout), "write_timeout %s", writeTimeout)
	}
	w := startWebhook(t, consumertest.NewNop(), func(c *Settings) { c.Server.WriteTimeout = 30 * time.Second })
	assert.Equal(t, 29*time.Second, w.srv.handler.deliveries.answerWithin, "the server's write_timeout sets it")
}
