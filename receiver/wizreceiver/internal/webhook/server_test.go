package webhook

import (
	"context"
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
	select {
	case err := <-done:
		t.Fatalf("shutdown returned (%v) with a request in flight", err)
	case <-time.After(50 * time.Millisecond):
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
		c.Server.ReadHeaderTimeout = time.Minute // the refusal is the limit's, not the timeout's
	})
	limit := w.set.MaxRequestHeaderSize

	within := wiztest.Bearer(wiztest.WebhookToken)
	within.Set("X-Pad", strings.Repeat("p", limit-1024))
	require.Equal(t, http.StatusOK, wiztest.Push(t, w.client, w.url, mockwiz.WebhookPayload(mockwiz.WebhookDetection, 1, pushedAt), within).Status)

	// Go's server reads 4 KiB past the limit before it refuses; these
	// headers never end.
	wiztest.RequireRefused(t, wiztest.SlowHeader(t, w.srv.Addr(), 2*limit), time.Now().Add(10*time.Second))
	assert.Equal(t, 1, sink.LogRecordCount())
}

// Past max_connections a new connection waits until one closes: its push
// is answered then.
func TestWebhookCapsConnections(t *testing.T) {
	const capacity = 2
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *Settings) {
		c.MaxConnections, c.MaxConcurrentRequests = capacity, capacity
		c.Server.ReadHeaderTimeout = time.Minute // the held connections stay held
	})
	held := make([]net.Conn, capacity)
	for i := range held {
		held[i] = wiztest.SlowHeader(t, w.srv.Addr(), 100)
	}
	answered := make(chan wiztest.Answer, 1)
	go func() {
		a, err := wiztest.TryPush(w.client, w.url, mockwiz.WebhookPayload(mockwiz.WebhookIssue, 1, pushedAt), wiztest.Bearer(wiztest.WebhookToken))
		assert.NoError(t, err)
		answered <- a
	}()
	select {
	case a := <-answered:
		t.Fatalf("a push was answered (%d) while max_connections connections were open", a.Status)
	case <-time.After(100 * time.Millisecond):
	}
	require.NoError(t, held[0].Close())
	select {
	case a := <-answered:
		assert.Equal(t, http.StatusOK, a.Status, a.Body)
	case <-time.After(10 * time.Second):
		t.Fatal("the push was not answered within 10s of a connection closing")
	}
	assert.Equal(t, 1, sink.LogRecordCount())
}
