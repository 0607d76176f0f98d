// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wizreceiver

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
)

var pushedAt = time.Date(2026, 11, 27, 10, 15, 30, 123456789, time.UTC)

// webhookTest is a receiver with only its webhook, started through the
// factory at the default settings.
type webhookTest struct {
	url    string
	client *http.Client
	rcv    *wizReceiver
}

// startWebhook starts a receiver with only its webhook, on a free loopback
// port behind the stand-in authenticator, handing records to next.
// configure, when not nil, adjusts the config first. The webhook's own
// tests are in internal/webhook; these are the receiver's: its defaults,
// and its start.
func startWebhook(t *testing.T, next consumer.Logs, configure func(*Config)) *webhookTest {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	enableOnly(cfg)
	cfg.Webhook.Enabled = true
	cfg.Webhook.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.Webhook.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: wiztest.AuthID}})
	if configure != nil {
		configure(cfg)
	}
	require.NoError(t, cfg.Validate())

	rcv, err := NewFactory().CreateLogs(context.Background(), receivertestSettings(), cfg, next)
	require.NoError(t, err)
	w := &webhookTest{rcv: rcv.(*wizReceiver), client: wiztest.HTTPClient(t)}
	require.NoError(t, rcv.Start(context.Background(), wiztest.AuthHost{Host: componenttest.NewNopHost()}))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	w.url = "http://" + w.rcv.webhook.Addr() + cfg.Webhook.Path
	return w
}

// push posts body with the valid token.
func (w *webhookTest) push(t *testing.T, body []byte) wiztest.Answer {
	t.Helper()
	return wiztest.Push(t, w.client, w.url, body, wiztest.Bearer(wiztest.WebhookToken))
}

// A port that cannot be bound fails the start with a permanent status that
// names the endpoint and the fix.
func TestWebhookPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = taken.Close() })

	cfg := createDefaultConfig().(*Config)
	enableOnly(cfg)
	cfg.Webhook.Enabled = true
	cfg.Webhook.NetAddr.Endpoint = taken.Addr().String()
	rcv, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg, consumertest.NewNop())
	require.NoError(t, err)
	host := newStatusHost()
	err = rcv.Start(context.Background(), host)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "webhook cannot listen on "+taken.Addr().String())
	assert.Contains(t, err.Error(), "set webhook.endpoint to another address")
	require.NotNil(t, host.last())
	assert.Equal(t, componentstatus.StatusPermanentError, host.last().Status())
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// TLS files that cannot be loaded fail the start with an error naming
// webhook.tls, not the port.
func TestWebhookBadTLSFiles(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	enableOnly(cfg)
	cfg.Webhook.Enabled = true
	cfg.Webhook.NetAddr.Endpoint = "127.0.0.1:0"
	tls := configtls.NewDefaultServerConfig()
	tls.CertFile, tls.KeyFile = filepath.Join(t.TempDir(), "missing.pem"), filepath.Join(t.TempDir(), "missing-key.pem")
	cfg.Webhook.TLS = configoptional.Some(tls)
	rcv, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg, consumertest.NewNop())
	require.NoError(t, err)
	host := newStatusHost()
	err = rcv.Start(context.Background(), host)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "webhook.tls: ")
	assert.Contains(t, err.Error(), "missing.pem")
	assert.NotContains(t, err.Error(), "free the port")
	assert.Equal(t, componentstatus.StatusPermanentError, host.last().Status())
	require.NoError(t, rcv.Shutdown(context.Background()))
}

const mib = 1 << 20

// heldMemory is what the process holds after a collection: live heap
// objects and goroutine stacks. Garbage the collector has yet to free does
// not count, so the figure depends on what is held, not on when the
// collector last ran.
func heldMemory() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// allocatedBytes is every byte the process has allocated on the heap so
// far. The bytes allocated over a stretch bound how far the heap can have
// grown during it, however the collections fell.
func allocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// An attack on the webhook's memory at the default settings: 600
// connections that send headers and never end them, half within
// max_request_header_size and held, half past it; then three concurrent
// bodies of max_request_body_size, each 1.7 million empty objects. A real
// push is answered 200 throughout.
//
// Two measures, each read from this process and neither depending on when
// the collector happened to run:
//   - held: live heap and goroutine stacks after a collection, while the
//     slow connections are open. Bound: max_request_header_size plus 48 KiB
//     (the server's buffers and goroutine, this test's end of the socket)
//     per held connection; the refused ones hold nothing.
//   - allocated: every heap byte allocated while the three bodies are
//     handled, which bounds how far the heap grew meanwhile. Bound: three
//     times max_request_body_size per body (the body is read once, and
//     refused on its 1,001st object, before a record is built).
//
// Before the limits, the held connections took about 100 KiB each and a
// body of empty objects became 1.7 million records, over a GB.
func TestWebhookMemoryUnderAttack(t *testing.T) {
	const slowConnections = 600
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *Config) {
		// So that the held connections are still held when measured, however
		// slow the machine.
		c.Webhook.ReadHeaderTimeout = time.Hour
	})
	cfg := w.rcv.cfg.Webhook
	headerLimit, bodyLimit := cfg.MaxRequestHeaderSize, int(cfg.MaxRequestBodySize)
	maximal := make([]byte, 0, bodyLimit)
	maximal = append(maximal, '[')
	for len(maximal)+len("{},{}]") <= bodyLimit {
		maximal = append(maximal, "{},"...)
	}
	maximal = append(maximal, "{}]"...)
	require.Greater(t, len(maximal), bodyLimit-3, "as large as max_request_body_size allows")
	realPush := func(i int) {
		a := w.push(t, mockwiz.WebhookPayload(mockwiz.WebhookDetection, i, pushedAt))
		assert.Equal(t, http.StatusOK, a.Status, a.Body)
	}
	realPush(0) // warms the server and the client up
	before := heldMemory()

	deadline := time.Now().Add(wiztest.HangGuard)
	held := 0
	for i := range slowConnections {
		if i%2 == 0 {
			wiztest.SlowHeader(t, w.rcv.webhook.Addr(), headerLimit-4<<10)
			held++
			continue
		}
		conn := wiztest.SlowHeader(t, w.rcv.webhook.Addr(), 4*headerLimit)
		wiztest.RequireRefused(t, conn, deadline)
		require.NoError(t, conn.Close())
	}
	realPush(1)
	holding := heldMemory() - before
	bound := uint64(held * (headerLimit + 48<<10))
	t.Logf("%d slow connections held: %.1f MiB held (bound %.1f MiB)", held, float64(holding)/mib, float64(bound)/mib)
	require.Less(t, holding, bound, "memory held by slow connections")

	start := allocatedBytes()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			a := w.push(t, maximal)
			assert.Equal(t, http.StatusRequestEntityTooLarge, a.Status, a.Body)
		})
	}
	wg.Go(func() { realPush(2) })
	wg.Wait()
	allocated := allocatedBytes() - start
	bodiesBound := uint64(3 * 3 * bodyLimit)
	t.Logf("3 maximal bodies: %.1f MiB allocated (bound %.1f MiB)", float64(allocated)/mib, float64(bodiesBound)/mib)
	assert.Less(t, allocated, bodiesBound, "memory allocated for three maximal bodies")
	assert.Equal(t, 3, sink.LogRecordCount(), "the real pushes only")
}
