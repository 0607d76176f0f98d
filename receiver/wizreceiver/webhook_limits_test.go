package wizreceiver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

// slowHeader opens a connection to addr and sends the start of a request
// whose headers never end: a request line, then header lines until about
// size bytes. It does not read the answer.
func slowHeader(t *testing.T, addr string, size int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	var b bytes.Buffer
	b.WriteString("POST / HTTP/1.1\r\nHost: wiz\r\nContent-Type: application/json\r\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "X-Pad-%d: %s\r\n", i, strings.Repeat("p", 1000))
	}
	// A server that stopped reading may reset the connection meanwhile;
	// what it answered, if anything, is for the caller to read.
	_, _ = conn.Write(b.Bytes())
	return conn
}

// requireRefused reads the answer to a request whose headers are past
// max_request_header_size, and fails the test unless by deadline the server
// answered 431, or ended the connection.
func requireRefused(t *testing.T, conn net.Conn, deadline time.Time) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(deadline))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err == nil {
		assert.Equal(t, "HTTP/1.1 431 Request Header Fields Too Large", strings.TrimSpace(status))
		return
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		t.Fatal("the server still holds a connection whose headers are past max_request_header_size")
	}
}

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

const mib = 1 << 20

// Headers past max_request_header_size are answered 431 as soon as they
// pass it, and the connection ends, before any authentication; headers
// within it are served.
func TestWebhookLimitsRequestHeaders(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *WebhookConfig) {
		c.ReadHeaderTimeout = time.Minute // the refusal is the limit's, not the timeout's
	})
	limit := w.rcv.cfg.Webhook.MaxRequestHeaderSize

	within := wiztest.Bearer(webhookToken)
	within.Set("X-Pad", strings.Repeat("p", limit-1024))
	require.Equal(t, http.StatusOK, wiztest.Push(t, w.client, w.url, mockwiz.WebhookPayload(mockwiz.WebhookDetection, 1, pushedAt), within).Status)

	// Go's server reads 4 KiB past the limit before it refuses; these
	// headers never end.
	requireRefused(t, slowHeader(t, w.rcv.webhook.addr, 2*limit), time.Now().Add(10*time.Second))
	assert.Equal(t, 1, sink.LogRecordCount())
}

// Past max_connections a new connection waits until one closes: its push
// is answered then.
func TestWebhookCapsConnections(t *testing.T) {
	const capacity = 2
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *WebhookConfig) {
		c.MaxConnections, c.MaxConcurrentRequests = capacity, capacity
		c.ReadHeaderTimeout = time.Minute // the held connections stay held
	})
	held := make([]net.Conn, capacity)
	for i := range held {
		held[i] = slowHeader(t, w.rcv.webhook.addr, 100)
	}
	answered := make(chan wiztest.Answer, 1)
	go func() {
		a, err := wiztest.TryPush(w.client, w.url, mockwiz.WebhookPayload(mockwiz.WebhookIssue, 1, pushedAt), wiztest.Bearer(webhookToken))
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

// A body of more than max_records_per_request payloads is answered 413
// and nothing of it is emitted; one of exactly that many is accepted.
func TestWebhookCapsRecordsPerRequest(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, nil)
	limit := w.rcv.cfg.Webhook.MaxRecordsPerRequest
	batch := func(n int) []byte {
		payloads := make([]string, n)
		for i := range payloads {
			payloads[i] = fmt.Sprintf(`{"trigger":{"source":"DETECTIONS"},"tdrId":"t-%d","createdAt":"2026-11-27T10:15:30Z"}`, i)
		}
		return []byte("[" + strings.Join(payloads, ",") + "]")
	}

	a := w.push(t, batch(limit+1))
	assert.Equal(t, http.StatusRequestEntityTooLarge, a.Status)
	assert.Contains(t, a.Body, fmt.Sprintf("more than max_records_per_request (%d)", limit))
	assert.Zero(t, sink.LogRecordCount(), "nothing of a refused body is emitted")

	a = w.push(t, batch(limit))
	require.Equal(t, http.StatusOK, a.Status, a.Body)
	assert.JSONEq(t, fmt.Sprintf(`{"status":"accepted","records":%d}`, limit), a.Body)
	assert.Equal(t, limit, sink.LogRecordCount())
}

// One line a minute says how many payloads of no known type arrived since
// the last, however many arrive; each is emitted.
func TestWebhookThrottlesUnknownTypeWarnings(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, nil)
	clock := wiztest.NewClock(time.Now())
	w.rcv.webhook.handler.now = clock.Now
	unknown := func(i int) string {
		return fmt.Sprintf(`{"trigger":{"source":"CLOUD_EVENTS"},"event":{"id":"e-%d"}}`, i)
	}

	for i := range 3 {
		require.Equal(t, http.StatusOK, w.push(t, []byte(unknown(i))).Status)
	}
	require.Equal(t, http.StatusOK, w.push(t, []byte("["+unknown(3)+","+unknown(4)+"]")).Status)
	warnings := w.logs.FilterMessageSnippet("of no known type").All()
	require.Len(t, warnings, 1, "one line for five payloads within a minute")
	assert.Equal(t, int64(0), warnings[0].ContextMap()["suppressed"])

	clock.Advance(time.Minute)
	require.Equal(t, http.StatusOK, w.push(t, []byte(unknown(5))).Status)
	warnings = w.logs.FilterMessageSnippet("of no known type").All()
	require.Len(t, warnings, 2)
	assert.Equal(t, int64(4), warnings[1].ContextMap()["suppressed"], "the next line counts those left out")
	assert.Equal(t, 6, sink.LogRecordCount())
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
	w := startWebhook(t, sink, func(c *WebhookConfig) {
		// So that the held connections are still held when measured, however
		// slow the machine.
		c.ReadHeaderTimeout = time.Minute
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

	deadline := time.Now().Add(30 * time.Second)
	held := 0
	for i := range slowConnections {
		if i%2 == 0 {
			slowHeader(t, w.rcv.webhook.addr, headerLimit-4<<10)
			held++
			continue
		}
		conn := slowHeader(t, w.rcv.webhook.addr, 4*headerLimit)
		requireRefused(t, conn, deadline)
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
