package wizreceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mapping"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/metadatatest"
)

// webhookToken is the token the stand-in authenticator accepts.
const webhookToken = "webhook-token-3e8a1f5c"

var testAuthID = component.MustNewIDWithName("bearertokenauth", "test")

// tokenAuth stands in for bearertokenauth: it accepts "Bearer
// webhookToken", and its refusal echoes what the client presented, as a
// careless authenticator might.
type tokenAuth struct {
	component.StartFunc
	component.ShutdownFunc
}

func (tokenAuth) Authenticate(ctx context.Context, headers map[string][]string) (context.Context, error) {
	if got := headers["Authorization"]; len(got) == 1 && got[0] == "Bearer "+webhookToken {
		return ctx, nil
	}
	return ctx, fmt.Errorf("refused %q", headers["Authorization"])
}

// authHost is a host with the stand-in authenticator.
type authHost struct{ component.Host }

func (authHost) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{testAuthID: tokenAuth{}}
}

type webhookTest struct {
	url    string
	client *http.Client
	rcv    *wizReceiver
	tt     *componenttest.Telemetry
	host   *statusHost
	logs   *observer.ObservedLogs
}

// startWebhook starts a receiver with only its webhook, on a free loopback
// port behind the stand-in authenticator, handing records to next.
// configure, when not nil, adjusts the section first.
func startWebhook(t *testing.T, next consumer.Logs, configure func(*WebhookConfig)) *webhookTest {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	enableOnly(cfg)
	cfg.Webhook.Enabled = true
	cfg.Webhook.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.Webhook.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: testAuthID}})
	if configure != nil {
		configure(&cfg.Webhook)
	}
	require.NoError(t, cfg.Validate())

	w := &webhookTest{tt: componenttest.NewTelemetry(), host: &statusHost{Host: authHost{componenttest.NewNopHost()}}}
	t.Cleanup(func() { require.NoError(t, w.tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(w.tt)
	core, logs := observer.New(zapcore.DebugLevel)
	set.Logger, w.logs = zap.New(core), logs
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	w.rcv = rcv.(*wizReceiver)
	require.NoError(t, rcv.Start(context.Background(), w.host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	scheme := "http"
	if cfg.Webhook.TLS.HasValue() {
		scheme = "https"
	}
	w.url = scheme + "://" + w.rcv.webhook.addr + cfg.Webhook.Path
	w.client = wiztest.HTTPClient(t)
	return w
}

// push posts body with the valid token.
func (w *webhookTest) push(t *testing.T, body []byte) wiztest.Answer {
	t.Helper()
	return wiztest.Push(t, w.client, w.url, body, wiztest.Bearer(webhookToken))
}

// requests is the webhook's request count by status code.
func (w *webhookTest) requests(t *testing.T) map[int]int64 {
	t.Helper()
	got := map[int]int64{}
	m, err := w.tt.GetMetric("otelcol_wiz_webhook_requests")
	if err != nil {
		return got
	}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		code, _ := dp.Attributes.Value(attrStatus)
		got[int(code.AsInt64())] = dp.Value
	}
	return got
}

var pushedAt = time.Date(2026, 11, 27, 10, 15, 30, 123456789, time.UTC)

// Every kind Wiz pushes, alone or in a batch, arrives once with its log
// type and the uid of its bytes, and is counted as such.
func TestWebhookDeliversEachKind(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, nil)
	want := wiztest.UIDs{}
	for i, kind := range mockwiz.WebhookKinds {
		payload := mockwiz.WebhookPayload(kind, i, pushedAt)
		a := w.push(t, payload)
		require.Equal(t, http.StatusOK, a.Status, a.Body)
		assert.JSONEq(t, `{"status":"accepted","records":1}`, a.Body)
		typ := map[mockwiz.WebhookKind]string{
			mockwiz.WebhookIssue: logtype.IssuesWebhook.Name, mockwiz.WebhookThreat: logtype.Threats.Name, mockwiz.WebhookDetection: logtype.DetectionsWebhook.Name,
		}[kind]
		want[typ] = append(want[typ], mapping.PayloadUID(payload))
	}
	batch := [][]byte{mockwiz.WebhookPayload(mockwiz.WebhookDetection, 10, pushedAt), mockwiz.WebhookPayload(mockwiz.WebhookDetection, 11, pushedAt)}
	a := w.push(t, append(append(append([]byte("[\n"), batch[0]...), ", "...), append(batch[1], ']')...))
	require.Equal(t, http.StatusOK, a.Status, a.Body)
	assert.JSONEq(t, `{"status":"accepted","records":2}`, a.Body)
	want[logtype.DetectionsWebhook.Name] = append(want[logtype.DetectionsWebhook.Name], mapping.PayloadUID(batch[0]), mapping.PayloadUID(batch[1]))
	unknown := []byte(`{"trigger":{"source":"CLOUD_EVENTS"},"event":{"id":"e1"}}`)
	require.Equal(t, http.StatusOK, w.push(t, unknown).Status)
	want[logtype.Webhook.Name] = []string{mapping.PayloadUID(unknown)}

	wiztest.RequireExactlyOnce(t, want, wiztest.Received(sink))
	assert.Len(t, sink.AllLogs(), 5, "a batch is one consumer call")
	assert.Equal(t, map[int]int64{http.StatusOK: 5}, w.requests(t))
	assert.Equal(t, 1, w.logs.FilterMessageSnippet("of no known type").Len(), "an unknown payload is emitted with a warning")

	// The records' scope and resource.
	rl := sink.AllLogs()[0].ResourceLogs().At(0)
	assert.Equal(t, 0, rl.Resource().Attributes().Len())
	assert.Equal(t, "github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver", rl.ScopeLogs().At(0).Scope().Name())

	metadatatest.AssertEqualWizRecordsEmitted(t, w.tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String(attrLogType, logtype.IssuesWebhook.Name))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String(attrLogType, logtype.Threats.Name))},
		{Value: 3, Attributes: attribute.NewSet(attribute.String(attrLogType, logtype.DetectionsWebhook.Name))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String(attrLogType, logtype.Webhook.Name))},
	}, metricdatatest.IgnoreTimestamp())
	accepted, err := w.tt.GetMetric("otelcol_receiver_accepted_log_records")
	require.NoError(t, err)
	dp := accepted.Data.(metricdata.Sum[int64]).DataPoints
	require.Len(t, dp, 1)
	assert.Equal(t, int64(6), dp[0].Value)
	transport, _ := dp[0].Attributes.Value("transport")
	assert.Equal(t, "http", transport.AsString())
	bytesRead, err := w.tt.GetMetric("otelcol_wiz_webhook_request_bytes")
	require.NoError(t, err)
	assert.Positive(t, bytesRead.Data.(metricdata.Sum[int64]).DataPoints[0].Value)

	ev := w.host.last()
	require.NotNil(t, ev)
	assert.Equal(t, componentstatus.StatusOK, ev.Status(), "OK while listening")
}

// Every bad request gets its status code, and nothing is emitted.
func TestWebhookRefusesBadRequests(t *testing.T) {
	const maxBody = 8 << 10
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *WebhookConfig) { c.MaxRequestBodySize = maxBody })
	detection := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 1, pushedAt)
	valid := wiztest.Bearer(webhookToken)
	withType := func(contentType string) http.Header {
		h := wiztest.Bearer(webhookToken)
		h.Set("Content-Type", contentType)
		return h
	}
	oversize := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), maxBody)...), `"}`...)
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		body   []byte
		status int
	}{
		{"wrong token", http.MethodPost, "/", wiztest.Bearer("guessed-token-0000"), detection, http.StatusUnauthorized},
		{"no token", http.MethodPost, "/", nil, detection, http.StatusUnauthorized},
		{"basic instead of bearer", http.MethodPost, "/", http.Header{"Authorization": {"Basic d2l6OnNlY3JldA=="}}, detection, http.StatusUnauthorized},
		{"GET", http.MethodGet, "/", valid, nil, http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, "/", valid, detection, http.StatusMethodNotAllowed},
		{"text/plain", http.MethodPost, "/", withType("text/plain"), detection, http.StatusUnsupportedMediaType},
		{"form", http.MethodPost, "/", withType("application/x-www-form-urlencoded"), detection, http.StatusUnsupportedMediaType},
		{"no content type", http.MethodPost, "/", withType(""), detection, http.StatusUnsupportedMediaType},
		{"invalid JSON", http.MethodPost, "/", valid, []byte(`{"trigger":`), http.StatusBadRequest},
		{"trailing data", http.MethodPost, "/", valid, append(bytes.Clone(detection), `{}`...), http.StatusBadRequest},
		{"a string", http.MethodPost, "/", valid, []byte(`"DETECTIONS"`), http.StatusBadRequest},
		{"a number", http.MethodPost, "/", valid, []byte(`42`), http.StatusBadRequest},
		{"null", http.MethodPost, "/", valid, []byte(`null`), http.StatusBadRequest},
		{"empty body", http.MethodPost, "/", valid, nil, http.StatusBadRequest},
		{"empty array", http.MethodPost, "/", valid, []byte(`[]`), http.StatusBadRequest},
		{"array with a non-object", http.MethodPost, "/", valid, append(append([]byte(`[`), detection...), `,7]`...), http.StatusBadRequest},
		{"over max_request_body_size", http.MethodPost, "/", valid, oversize, http.StatusRequestEntityTooLarge},
		{"other path", http.MethodPost, "/other", valid, detection, http.StatusNotFound},
		{"path prefix", http.MethodPost, "//", valid, detection, http.StatusNotFound},
	}
	want := map[int]int64{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, strings.TrimSuffix(w.url, "/")+tt.path, bytes.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := w.client.Do(req)
			require.NoError(t, err)
			body := readAll(t, resp)
			assert.Equal(t, tt.status, resp.StatusCode, body)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.Contains(t, body, `"error":`)
			assert.Zero(t, sink.LogRecordCount(), "nothing is emitted from a refused request")
			want[tt.status]++
		})
	}
	// Oversize without Content-Length: the limit holds while reading too.
	req, err := http.NewRequest(http.MethodPost, w.url, bytes.NewReader(oversize))
	require.NoError(t, err)
	req.ContentLength = -1 // unknown: sent chunked
	req.Header = wiztest.Bearer(webhookToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	require.NoError(t, err)
	readAll(t, resp)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	want[http.StatusRequestEntityTooLarge]++

	assert.Zero(t, sink.LogRecordCount())
	assert.Equal(t, want, w.requests(t))
	metadatatest.AssertEqualWizWebhookAuthFailures(t, w.tt, []metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	// Neither the presented credentials nor the authenticator's echo of
	// them reach a log line.
	for _, e := range w.logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		assert.NotContains(t, line, "guessed-token-0000")
		assert.NotContains(t, line, "d2l6OnNlY3JldA==")
		assert.NotContains(t, line, webhookToken)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	return string(b)
}

// An identical body re-delivered within dedup_window is acknowledged and
// not emitted again; after the window, or with any byte changed, it is new.
func TestWebhookSuppressesRedeliveries(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *WebhookConfig) { c.DedupWindow = time.Hour })
	clock := wiztest.NewClock(time.Now())
	w.rcv.webhook.handler.now = clock.Now
	issue := mockwiz.WebhookPayload(mockwiz.WebhookIssue, 1, pushedAt)

	require.Equal(t, http.StatusOK, w.push(t, issue).Status)
	again := w.push(t, issue)
	require.Equal(t, http.StatusOK, again.Status)
	assert.JSONEq(t, `{"status":"duplicate"}`, again.Body)
	assert.Equal(t, 1, sink.LogRecordCount())
	metadatatest.AssertEqualWizWebhookRedeliveriesSuppressed(t, w.tt, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())

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

// An object repeated within one array, whitespace aside, is one record:
// its uid is the same.
func TestWebhookBatchEmitsRepeatsOnce(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, nil)
	first := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 1, pushedAt)
	second := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 2, pushedAt)
	body := bytes.Join([][]byte{first, first, second, indented(t, first), second}, []byte(","))
	a := w.push(t, append(append([]byte("["), body...), ']'))
	require.Equal(t, http.StatusOK, a.Status, a.Body)
	assert.JSONEq(t, `{"status":"accepted","records":2}`, a.Body)
	wiztest.RequireExactlyOnce(t, wiztest.UIDs{logtype.DetectionsWebhook.Name: {mapping.PayloadUID(first), mapping.PayloadUID(second)}},
		wiztest.Received(sink))
}

// indented is payload re-indented, as another sender might send it.
func indented(t *testing.T, payload []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, json.Indent(&b, payload, "", "  "))
	return b.Bytes()
}

// A body is remembered only once the next consumer accepted it: after a
// retryable refusal (503, Retry-After) the retry is emitted; after a
// permanent one (500) nothing is emitted, the drop is counted and logged
// with the payload's id.
func TestWebhookConsumerRefusals(t *testing.T) {
	var mu sync.Mutex
	var refusals []error
	sink := &consumertest.LogsSink{}
	next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		mu.Lock()
		defer mu.Unlock()
		if len(refusals) > 0 {
			err := refusals[0]
			refusals = refusals[1:]
			return err
		}
		return sink.ConsumeLogs(ctx, ld)
	})
	require.NoError(t, err)
	refuse := func(errs ...error) {
		mu.Lock()
		defer mu.Unlock()
		refusals = append(refusals, errs...)
	}
	w := startWebhook(t, next, nil)
	detection := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 7, pushedAt)

	refuse(errors.New("backend unavailable"), errors.New("backend unavailable"))
	for range 2 {
		a := w.push(t, detection)
		assert.Equal(t, http.StatusServiceUnavailable, a.Status)
		assert.Equal(t, "5", a.RetryAfter)
	}
	assert.Zero(t, sink.LogRecordCount())
	require.Equal(t, http.StatusOK, w.push(t, detection).Status, "the retry after the outage")
	require.Equal(t, http.StatusOK, w.push(t, detection).Status, "a re-delivery")
	assert.Equal(t, 1, sink.LogRecordCount(), "emitted once")

	threat := mockwiz.WebhookPayload(mockwiz.WebhookThreat, 7, pushedAt)
	refuse(consumererror.NewPermanent(errors.New("schema rejected")), consumererror.NewPermanent(errors.New("schema rejected")))
	assert.Equal(t, http.StatusInternalServerError, w.push(t, threat).Status)
	assert.Equal(t, http.StatusInternalServerError, w.push(t, threat).Status, "a refused body is not remembered")
	assert.Equal(t, 1, sink.LogRecordCount())
	dropped := w.logs.FilterMessageSnippet("permanently refused").All()
	require.Len(t, dropped, 2)
	assert.Equal(t, []any{threatID(t, threat)}, dropped[0].ContextMap()["ids"], "the log line names the payload")
	metadatatest.AssertEqualWizRecordsDropped(t, w.tt, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: attribute.NewSet(attribute.String(attrLogType, logtype.Threats.Name), attribute.String(attrReason, dropRefused))},
	}, metricdatatest.IgnoreTimestamp())
	assert.Equal(t, map[int]int64{http.StatusServiceUnavailable: 2, http.StatusOK: 2, http.StatusInternalServerError: 2}, w.requests(t))
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
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d deliveries reached the consumer within 10s", i, n)
		}
	}
}

// Past max_concurrent_requests every request is answered 503 with
// Retry-After at once, and none of them is emitted; those in flight
// complete.
func TestWebhookCapsConcurrentRequests(t *testing.T) {
	const capacity = 2
	next := newBlockingConsumer()
	w := startWebhook(t, next, func(c *WebhookConfig) { c.MaxConcurrentRequests = capacity })

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
	assert.Equal(t, map[int]int64{http.StatusOK: capacity, http.StatusServiceUnavailable: 5}, w.requests(t))
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
	w := startWebhook(t, sink, func(c *WebhookConfig) { c.DedupWindow = 0 })
	issue := mockwiz.WebhookPayload(mockwiz.WebhookIssue, 2, pushedAt)
	for range 3 {
		require.Equal(t, http.StatusOK, w.push(t, issue).Status)
	}
	assert.Equal(t, 3, sink.LogRecordCount())
	assert.Nil(t, w.rcv.webhook.handler.recent)
}

// mTLS through confighttp: a client without a certificate signed by
// client_ca_file gets no answer, and nothing is emitted.
func TestWebhookMutualTLS(t *testing.T) {
	certs := wiztest.NewCertificates(t)
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *WebhookConfig) {
		c.Auth = configoptional.None[confighttp.AuthConfig]()
		c.TLS = configoptional.Some(tlsServer(certs))
	})
	detection := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 5, pushedAt)
	_, err := wiztest.TryPush(certs.Client(t, false), w.url, detection, nil)
	require.Error(t, err, "a client without a certificate")
	a := wiztest.Push(t, certs.Client(t, true), w.url, detection, nil)
	require.Equal(t, http.StatusOK, a.Status, a.Body)
	assert.Equal(t, 1, sink.LogRecordCount())
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
	host := &statusHost{Host: componenttest.NewNopHost()}
	err = rcv.Start(context.Background(), host)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "webhook cannot listen on "+taken.Addr().String())
	assert.Contains(t, err.Error(), "set webhook.endpoint to another address")
	require.NotNil(t, host.last())
	assert.Equal(t, componentstatus.StatusPermanentError, host.last().Status())
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// Listening beyond loopback without TLS warns that TLS must be terminated
// in front.
func TestWebhookWarnsWithoutTLS(t *testing.T) {
	w := startWebhook(t, consumertest.NewNop(), func(c *WebhookConfig) { c.NetAddr.Endpoint = "0.0.0.0:0" })
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
	go func() { done <- w.rcv.webhook.shutdown(context.Background()) }()
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

func TestIsJSON(t *testing.T) {
	for contentType, want := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true, "Application/JSON": true,
		"application/vnd.wiz+json": true, "text/json": false, "text/plain": false, "": false, "application/jsonx": false,
	} {
		assert.Equal(t, want, isJSON(contentType), contentType)
	}
}

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

// tlsServer is the server TLS settings of certs, requiring client
// certificates signed by its CA.
func tlsServer(certs wiztest.Certificates) configtls.ServerConfig {
	cfg := configtls.NewDefaultServerConfig()
	cfg.CertFile, cfg.KeyFile, cfg.ClientCAFile = certs.ServerCert, certs.ServerKey, certs.CA
	return cfg
}

// threatID is the id of a threat payload.
func threatID(t *testing.T, payload []byte) string {
	t.Helper()
	var p struct {
		Threat struct {
			ID string `json:"id"`
		} `json:"threat"`
	}
	require.NoError(t, json.Unmarshal(payload, &p))
	require.NotEmpty(t, p.Threat.ID)
	return p.Threat.ID
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
	host := &statusHost{Host: componenttest.NewNopHost()}
	err = rcv.Start(context.Background(), host)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "webhook.tls: ")
	assert.Contains(t, err.Error(), "missing.pem")
	assert.NotContains(t, err.Error(), "free the port")
	assert.Equal(t, componentstatus.StatusPermanentError, host.last().Status())
	require.NoError(t, rcv.Shutdown(context.Background()))
}
