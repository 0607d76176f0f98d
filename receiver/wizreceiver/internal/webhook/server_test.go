// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

// mTLS through confighttp: a client without a certificate signed by
// client_ca_file gets no answer, and nothing is emitted.
func TestWebhookMutualTLS(t *testing.T) {
	certs := wiztest.NewCertificates(t)
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *Settings) {
		c.Server.Auth = configoptional.None[confighttp.AuthConfig]()
		c.Server.TLS = configoptional.Some(tlsServer(certs))
	})
	detection := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 5, pushedAt)
	_, err := wiztest.TryPush(certs.Client(t, false), w.url, detection, nil)
	require.Error(t, err, "a client without a certificate")
	a := wiztest.Push(t, certs.Client(t, true), w.url, detection, nil)
	require.Equal(t, http.StatusOK, a.Status, a.Body)
	assert.Equal(t, 1, sink.LogRecordCount())
}

// tlsServer is the server TLS settings of certs, requiring client
// certificates signed by its CA.
func tlsServer(certs wiztest.Certificates) configtls.ServerConfig {
	cfg := configtls.NewDefaultServerConfig()
	cfg.CertFile, cfg.KeyFile, cfg.ClientCAFile = certs.ServerCert, certs.ServerKey, certs.CA
	return cfg
}

// Listening beyond loopback without TLS warns that TLS must be terminated
// in front.
func TestWebhookWarnsWithoutTLS(t *testing.T) {
	w := startWebhook(t, consumertest.NewNop(), func(c *Settings) {
		c.Server.NetAddr.Endpoint, c.Loopback = "0.0.0.0:0", false
	})
	warnings := w.logs.FilterMessageSnippet("without TLS").All()
	require.Len(t, warnings, 1)
	assert.Equal(t, zapcore.WarnLevel, warnings[0].Level)
	assert.Contains(t, warnings[0].Message, "terminate TLS in front of it")

	quiet := startWebhook(t, consumertest.NewNop(), nil)
	assert.Zero(t, quiet.logs.FilterMessageSnippet("without TLS").Len(), "loopback needs no TLS")
}

// Shutdown lets a request in flight finish.
func TestWebhookShutdownWaitsForRequests(t *testing.T) {
	next := newBlockingConsumer()
	w := startWebhook(t, next, nil)
	var wg sync.WaitGroup
	var a wiztest.Answer
	wg.Go(func() { a = w.push(t, mockwiz.WebhookPayload(mockwiz.WebhookThreat, 1, pushedAt)) })
	next.waitEntered(t, 1)
	done := make(chan error, 1)
	go func() { done <- w.srv.Shutdown(context.Background()) }()
	// Shutdown has begun: the webhook no longer takes connections.
	require.Eventually(t, func() bool {
		conn, err := net.Dial("tcp", w.srv.Addr())
		if err == nil {
			_ = conn.Close()
		}
		return err != nil
	}, wiztest.HangGuard, time.Millisecond, "the webhook still takes connections")
	select {
	case err := <-done:
		t.Fatalf("shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(next.release)
	require.NoError(t, <-done)
	wg.Wait()
	assert.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, 1, next.sink.LogRecordCount())
}

// deafConsumer holds every delivery until released, whatever its context
// says: a pipeline that does not heed cancellation.
type deafConsumer struct {
	entered, release chan struct{}
}

func (d *deafConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (d *deafConsumer) ConsumeLogs(context.Context, plog.Logs) error {
	d.entered <- struct{}{}
	<-d.release
	return nil
}

// Shutdown waits for the deliveries at most until its context ends: then it
// cancels them and returns, saying how many were left, even when the
// pipeline does not heed the cancellation.
func TestWebhookShutdownBoundedByItsContext(t *testing.T) {
	deaf := &deafConsumer{entered: make(chan struct{}, 1), release: make(chan struct{})}
	w := startWebhook(t, deaf, nil)
	answered := w.pushAsync(mockwiz.WebhookPayload(mockwiz.WebhookThreat, 1, pushedAt))
	<-deaf.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	done := make(chan error, 1)
	go func() { done <- w.srv.Shutdown(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		close(deaf.release)
		t.Fatal("Shutdown did not return once its context ended")
	}
	close(deaf.release)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "requests or deliveries still in flight at shutdown were cancelled (1)")
	<-answered
}

// Headers past max_request_header_size are answered 431 as soon as they
// pass it, and the connection ends, before any authentication; headers
// within it are served.
func TestWebhookLimitsRequestHeaders(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *Settings) {
		c.Server.ReadHeaderTimeout = time.Hour // the refusal is the limit's, not the timeout's
	})
	limit := w.set.MaxRequestHeaderSize

	within := wiztest.Bearer(wiztest.WebhookToken)
	within.Set("X-Pad", strings.Repeat("p", limit-1024))
	require.Equal(t, http.StatusOK, wiztest.Push(t, w.client, w.url, mockwiz.WebhookPayload(mockwiz.WebhookDetection, 1, pushedAt), within).Status)

	// Go's server reads 4 KiB past the limit before it refuses; these
	// headers never end.
	wiztest.RequireRefused(t, wiztest.SlowHeader(t, w.srv.Addr(), 2*limit), time.Now().Add(wiztest.HangGuard))
	assert.Equal(t, 1, sink.LogRecordCount())
}

// Past max_connections a new connection waits until one closes: its push
// is answered then (TestConnLimitWaitsAtTheCap shows the wait).
func TestWebhookCapsConnections(t *testing.T) {
	const capacity = 2
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *Settings) {
		c.MaxConnections, c.MaxConcurrentRequests = capacity, capacity
		c.Server.ReadHeaderTimeout = time.Hour // the held connections stay held
	})
	held := make([]net.Conn, capacity)
	for i := range held {
		held[i] = wiztest.SlowHeader(t, w.srv.Addr(), 100)
	}
	// A whole push, sent on a connection past the cap.
	conn, err := net.Dial("tcp", w.srv.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	req, err := http.NewRequest(http.MethodPost, w.url, bytes.NewReader(mockwiz.WebhookPayload(mockwiz.WebhookIssue, 1, pushedAt)))
	require.NoError(t, err)
	req.Header = wiztest.Bearer(wiztest.WebhookToken)
	req.Header.Set("Content-Type", "application/json")
	require.NoError(t, req.Write(conn))
	assert.Empty(t, w.requests(), "a request past max_connections was served")

	require.NoError(t, held[0].Close())
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(wiztest.HangGuard)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	require.NoError(t, err, "the push was not answered once a connection closed")
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, sink.LogRecordCount())
}

// connAnswer is what a push on a connection of its own was answered.
type connAnswer struct {
	status int
	// close is the answer asking the client to close the connection.
	close bool
}

// pushOn writes a push on conn, a connection of its own, and reads its
// answer; the connection stays open, kept alive.
func pushOn(conn net.Conn, url string, n int) (connAnswer, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(mockwiz.WebhookPayload(mockwiz.WebhookIssue, n, pushedAt)))
	if err != nil {
		return connAnswer{}, err
	}
	req.Header = wiztest.Bearer(wiztest.WebhookToken)
	req.Header.Set("Content-Type", "application/json")
	if err := req.Write(conn); err != nil {
		return connAnswer{}, err
	}
	if err := conn.SetReadDeadline(time.Now().Add(wiztest.HangGuard)); err != nil {
		return connAnswer{}, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return connAnswer{}, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return connAnswer{status: resp.StatusCode, close: resp.Close}, resp.Body.Close()
}

// fullWebhook starts a webhook of capacity connections on the clock, and
// fills them: each has pushed once and is kept alive, its keep-alive
// lasting an hour.
func fullWebhook(t *testing.T, capacity int, clock *wiztest.Clock) (*webhookTest, *consumertest.LogsSink, []net.Conn) {
	t.Helper()
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *Settings) {
		c.MaxConnections, c.MaxConcurrentRequests = capacity, capacity
		c.Server.IdleTimeout = time.Hour
		c.Now = clock.Now
	})
	conns := make([]net.Conn, capacity)
	for i := range conns {
		conn, err := net.Dial("tcp", w.srv.Addr())
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		answer, err := pushOn(conn, w.url, i)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, answer.status)
		conns[i] = conn
	}
	return w, sink, conns
}

// At max_connections, a sender's idle keep-alive connections do not keep
// its new connection waiting: an idle one is closed to make room (the one
// idle the longest: TestConnLimitClosesTheLongestIdle), and the push on the
// new connection is answered. Before, it waited in the backlog until
// idle_timeout, past any sender's timeout.
func TestWebhookIdleConnectionsMakeRoom(t *testing.T) {
	const capacity = 2
	clock := wiztest.NewClock(pushedAt)
	w, sink, idle := fullWebhook(t, capacity, clock)
	clock.Advance(minIdle)

	fresh, err := net.Dial("tcp", w.srv.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { _ = fresh.Close() })
	answer, err := pushOn(fresh, w.url, capacity)
	require.NoError(t, err, "the push past max_connections was not answered")
	assert.Equal(t, http.StatusOK, answer.status)

	// One idle connection made room; the other still serves.
	answered := 0
	for i, conn := range idle {
		if answer, err := pushOn(conn, w.url, capacity+1+i); err == nil {
			assert.Equal(t, http.StatusOK, answer.status)
			answered++
		}
	}
	assert.Equal(t, capacity-1, answered, "idle connections still serving")
	assert.Equal(t, capacity+1+answered, sink.LogRecordCount(), "the pushes answered 200, each once")
}

// At max_connections, a sender whose connections are all in use (none idle
// long enough to close) still gets its new connection served: the next
// response asks its client to close its connection (Connection: close),
// which makes room, and no request fails for it.
func TestWebhookBusyConnectionsMakeRoom(t *testing.T) {
	const capacity = 2
	clock := wiztest.NewClock(pushedAt) // never advanced: no connection is idle for long
	w, sink, busy := fullWebhook(t, capacity, clock)

	// A push on a new connection, past the cap: it waits for a place.
	fresh, err := net.Dial("tcp", w.srv.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { _ = fresh.Close() })
	freshAnswer := make(chan error, 1)
	go func() {
		answer, err := pushOn(fresh, w.url, capacity)
		if err == nil && answer.status != http.StatusOK {
			err = fmt.Errorf("answered %d", answer.status)
		}
		freshAnswer <- err
	}()
	require.Eventually(t, w.srv.limit.owed.Load, wiztest.HangGuard, time.Millisecond, "the new connection waits for a place")

	// The next push on a busy connection is answered, and asks its client
	// to close that connection; the new connection's push is then served.
	answer, err := pushOn(busy[0], w.url, capacity+1)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, answer.status)
	assert.True(t, answer.close, "the answer asks the client to close its connection")
	select {
	case err := <-freshAnswer:
		require.NoError(t, err, "the push on the new connection")
	case <-time.After(wiztest.HangGuard):
		t.Fatal("the push past max_connections was not answered")
	}
	assert.Equal(t, capacity+2, sink.LogRecordCount(), "every push delivered once")
}

// At max_connections, Accept closes the connection idle the longest to make
// room, once it has been idle for minIdle, and hands over the next
// connection once the server reports it closed. A connection that turned
// active again is not closed.
func TestConnLimitClosesTheLongestIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	clock := wiztest.NewClock(pushedAt)
	limit := newConnLimit(ln, 3, clock.Now)
	t.Cleanup(func() { _ = limit.Close() })
	clients := make([]net.Conn, 4)
	for i := range clients {
		clients[i], err = net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { _ = clients[i].Close() })
	}
	accepted := make([]net.Conn, 3)
	for i := range accepted {
		accepted[i], err = limit.Accept()
		require.NoError(t, err)
		t.Cleanup(func() { _ = accepted[i].Close() })
	}
	// Idle in the order 0, 1, 2; then 0 serves a request again.
	for _, conn := range accepted {
		limit.track(conn, http.StateIdle)
	}
	limit.track(accepted[0], http.StateActive)
	clock.Advance(minIdle)

	type acceptResult struct {
		conn net.Conn
		err  error
	}
	fourth := make(chan acceptResult, 1)
	go func() {
		conn, err := limit.Accept()
		fourth <- acceptResult{conn, err}
	}()
	// Connection 1, idle the longest, is closed: its client reads the end.
	require.NoError(t, clients[1].SetReadDeadline(time.Now().Add(wiztest.HangGuard)))
	_, err = clients[1].Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	limit.track(accepted[1], http.StateClosed)
	select {
	case res := <-fourth:
		require.NoError(t, res.err)
		_ = res.conn.Close()
	case <-time.After(wiztest.HangGuard):
		t.Fatal("the closed idle connection freed no place")
	}
	limit.mu.Lock()
	defer limit.mu.Unlock()
	assert.Equal(t, 1, limit.idle.Len(), "connection 2 is still idle and open")
	assert.Contains(t, limit.byConn, accepted[2])
}

// A connection idle for less than minIdle is not closed for a new one: a
// sender may be about to reuse it.
func TestConnLimitSparesRecentlyIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	clock := wiztest.NewClock(pushedAt)
	limit := newConnLimit(ln, 1, clock.Now)
	t.Cleanup(func() { _ = limit.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	conn, err := limit.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	limit.track(conn, http.StateIdle)

	clock.Advance(minIdle - time.Millisecond)
	assert.Equal(t, minIdle-time.Millisecond, limit.closeLongestIdle(), "how long the connection has been idle")
	assert.Equal(t, 1, limit.idle.Len(), "a connection idle for less than minIdle is left open")
	clock.Advance(time.Millisecond)
	assert.Equal(t, minIdle, limit.closeLongestIdle())
	assert.Zero(t, limit.idle.Len(), "idle for minIdle, it is closed")
	require.NoError(t, client.SetReadDeadline(time.Now().Add(wiztest.HangGuard)))
	_, err = client.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
}

// Closing the listener while Accept waits for a place ends the wait: the
// connection it holds is closed, no place is taken, and Accept reports the
// listener closed, which net/http's Serve takes for its shutdown.
func TestConnLimitCloseWhileWaiting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	limit := newConnLimit(ln, 1, time.Now)
	clients := make([]net.Conn, 2)
	for i := range clients {
		clients[i], err = net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { _ = clients[i].Close() })
	}
	first, err := limit.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { _ = first.Close() })

	second := make(chan error, 1)
	go func() {
		_, err := limit.Accept()
		second <- err
	}()
	require.NoError(t, limit.Close())
	select {
	case err := <-second:
		assert.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(wiztest.HangGuard):
		t.Fatal("Accept went on waiting after the listener closed")
	}
	assert.Equal(t, 1, len(limit.open), "only the first connection holds a place")
	require.NoError(t, clients[1].SetReadDeadline(time.Now().Add(wiztest.HangGuard)))
	_, err = clients[1].Read(make([]byte, 1))
	assert.Error(t, err, "the waiting connection ends (closed by Accept, or reset with the listener when Accept had yet to take it)")
}

// At max_connections, Accept hands over no connection until one of those
// open ends: the places are all taken, and only the end of a connection
// (its close, or its hijacking) frees one.
func TestConnLimitWaitsAtTheCap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	limit := newConnLimit(ln, 2, time.Now)
	t.Cleanup(func() { _ = limit.Close() })
	var accepted []net.Conn
	for range 3 {
		client, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { _ = client.Close() })
	}
	for range 2 {
		conn, err := limit.Accept()
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		accepted = append(accepted, conn)
	}
	require.Equal(t, cap(limit.open), len(limit.open), "every place is taken: Accept waits for one before it hands over a connection")
	limit.track(accepted[0], http.StateActive)
	limit.track(accepted[0], http.StateIdle)
	require.Equal(t, cap(limit.open), len(limit.open), "a connection that lives on keeps its place while none waits")

	third := make(chan net.Conn, 1)
	go func() {
		conn, err := limit.Accept()
		assert.NoError(t, err)
		third <- conn
	}()
	limit.track(accepted[0], http.StateClosed)
	select {
	case conn := <-third:
		require.NotNil(t, conn)
		_ = conn.Close()
	case <-time.After(wiztest.HangGuard):
		t.Fatal("a connection's end freed no place")
	}
	limit.track(accepted[1], http.StateHijacked)
	assert.Equal(t, 1, len(limit.open), "a hijacked connection frees its place too")
}
