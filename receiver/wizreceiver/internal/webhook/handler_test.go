// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/mapping"
)

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
	assert.Equal(t, map[int]int64{http.StatusOK: 5}, w.requests())
	assert.Equal(t, 1, w.logs.FilterMessageSnippet("of no known type").Len(), "an unknown payload is emitted with a warning")

	// The records' scope and resource.
	rl := sink.AllLogs()[0].ResourceLogs().At(0)
	assert.Equal(t, 0, rl.Resource().Attributes().Len())
	assert.Equal(t, "github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver", rl.ScopeLogs().At(0).Scope().Name())

	counted := w.metrics.snapshot()
	assert.Equal(t, map[string]int64{
		logtype.IssuesWebhook.Name: 1, logtype.Threats.Name: 1, logtype.DetectionsWebhook.Name: 3, logtype.Webhook.Name: 1,
	}, counted.emitted)
	accepted, err := w.tt.GetMetric("otelcol_receiver_accepted_log_records")
	require.NoError(t, err)
	dp := accepted.Data.(metricdata.Sum[int64]).DataPoints
	require.Len(t, dp, 1)
	assert.Equal(t, int64(6), dp[0].Value)
	transport, _ := dp[0].Attributes.Value("transport")
	assert.Equal(t, "http", transport.AsString())
	assert.Positive(t, counted.bytesRead)

	status := w.statuses.Last()
	require.NotNil(t, status)
	assert.Equal(t, wiztest.Status{Name: "webhook"}, *status, "OK while listening")
}

// Every bad request gets its status code, and nothing is emitted.
func TestWebhookRefusesBadRequests(t *testing.T) {
	const maxBody = 8 << 10
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, func(c *Settings) { c.Server.MaxRequestBodySize = maxBody })
	detection := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 1, pushedAt)
	valid := wiztest.Bearer(wiztest.WebhookToken)
	withType := func(contentType string) http.Header {
		h := wiztest.Bearer(wiztest.WebhookToken)
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
	req.Header = wiztest.Bearer(wiztest.WebhookToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	require.NoError(t, err)
	readAll(t, resp)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	want[http.StatusRequestEntityTooLarge]++

	assert.Zero(t, sink.LogRecordCount())
	assert.Equal(t, want, w.requests())
	assert.Equal(t, int64(3), w.metrics.snapshot().authFailures)
	// Neither the presented credentials nor the authenticator's echo of
	// them reach a log line.
	for _, e := range w.logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		assert.NotContains(t, line, "guessed-token-0000")
		assert.NotContains(t, line, "d2l6OnNlY3JldA==")
		assert.NotContains(t, line, wiztest.WebhookToken)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	return string(b)
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
	assert.Equal(t, map[string]int64{logtype.Threats.Name: 2}, w.metrics.snapshot().refused)
	assert.Equal(t, map[int]int64{http.StatusServiceUnavailable: 2, http.StatusOK: 2, http.StatusInternalServerError: 2}, w.requests())
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

func TestIsJSON(t *testing.T) {
	for contentType, want := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true, "Application/JSON": true,
		"application/vnd.wiz+json": true, "text/json": false, "text/plain": false, "": false, "application/jsonx": false,
	} {
		assert.Equal(t, want, isJSON(contentType), contentType)
	}
}

// A body of more than max_records_per_request payloads is answered 413
// and nothing of it is emitted; one of exactly that many is accepted.
func TestWebhookCapsRecordsPerRequest(t *testing.T) {
	sink := &consumertest.LogsSink{}
	w := startWebhook(t, sink, nil)
	limit := w.set.MaxRecordsPerRequest
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
	clock := wiztest.NewClock(time.Now())
	w := startWebhook(t, sink, func(c *Settings) { c.Now = clock.Now })
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

// A batch the next consumer refuses for good because of one payload is
// split the same way: the others arrive once, that one is dropped, logged
// with its id and counted, and Wiz hears 200 with both counts, so that it
// does not send the accepted ones again; a re-delivery is a duplicate.
func TestWebhookBatchDropsOnlyTheRefusedRecord(t *testing.T) {
	backend := &wiztest.StrictBackend{Limit: wiztest.StrictLimit}
	w := startWebhook(t, backend, nil)
	var payloads [][]byte
	want := wiztest.UIDs{}
	for i := range 5 {
		p := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 20+i, pushedAt)
		if i == 2 {
			p = withField(t, p, "deep", wiztest.DeepParams(wiztest.DeepLevels))
		} else {
			want[logtype.DetectionsWebhook.Name] = append(want[logtype.DetectionsWebhook.Name], mapping.PayloadUID(p))
		}
		payloads = append(payloads, p)
	}
	body := append(append([]byte("["), bytes.Join(payloads, []byte(","))...), ']')

	a := w.push(t, body)
	require.Equal(t, http.StatusOK, a.Status, a.Body)
	assert.JSONEq(t, `{"status":"partial","records":4,"dropped":1}`, a.Body)
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(&backend.LogsSink))
	dropped := w.logs.FilterMessageSnippet("permanently refused").All()
	require.Len(t, dropped, 1)
	assert.Equal(t, []any{pushedID(t, payloads[2])}, dropped[0].ContextMap()["ids"])

	again := w.push(t, body)
	require.Equal(t, http.StatusOK, again.Status, again.Body)
	assert.JSONEq(t, `{"status":"duplicate"}`, again.Body, "a re-delivery is not emitted again")
	wiztest.RequireExactlyOnce(t, want, wiztest.Received(&backend.LogsSink))

	counted := w.metrics.snapshot()
	assert.Equal(t, map[string]int64{logtype.DetectionsWebhook.Name: 1}, counted.refused)
	assert.Equal(t, map[string]int64{logtype.DetectionsWebhook.Name: 4}, counted.emitted)
	assert.Equal(t, map[int]int64{http.StatusOK: 2}, w.requests())
}

// When the receiver feeds several pipelines and one of them refuses a
// payload for good, the split sends the halves to every pipeline again,
// and the pipeline that accepted the array gets some payloads twice. With
// split_refused_pages off, the array is refused whole: the pipeline that
// accepted it gets each payload once, the one that refused it none, Wiz
// hears 500 as before the split existed, and the ERROR names each payload.
func TestWebhookBatchFanOut(t *testing.T) {
	for _, split := range []bool{true, false} {
		t.Run(fmt.Sprintf("split_refused_pages=%t", split), func(t *testing.T) {
			healthy, strict := &consumertest.LogsSink{}, &wiztest.StrictBackend{Limit: wiztest.StrictLimit}
			w := startWebhook(t, wiztest.FanOut{healthy, strict}, func(s *Settings) { s.SplitRefusedPages = split })
			var payloads [][]byte
			var uids, ids []string
			for i := range 5 {
				p := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 20+i, pushedAt)
				if i == 2 {
					p = withField(t, p, "deep", wiztest.DeepParams(wiztest.DeepLevels))
				}
				payloads = append(payloads, p)
				uids = append(uids, mapping.PayloadUID(p))
				ids = append(ids, pushedID(t, p))
			}
			body := append(append([]byte("["), bytes.Join(payloads, []byte(","))...), ']')

			a := w.push(t, body)
			refused := w.logs.FilterMessageSnippet("permanently refused").All()
			require.Len(t, refused, 1)
			if split {
				require.Equal(t, http.StatusOK, a.Status, a.Body)
				assert.Equal(t, []any{ids[2]}, refused[0].ContextMap()["ids"])
				assert.Greater(t, healthy.LogRecordCount(), len(payloads), "the halves reached the healthy pipeline again")
				return
			}
			require.Equal(t, http.StatusInternalServerError, a.Status, a.Body)
			wiztest.RequireExactlyOnce(t, wiztest.UIDs{logtype.DetectionsWebhook.Name: uids}, wiztest.Received(healthy))
			assert.Zero(t, strict.LogRecordCount())
			want := make([]any, len(ids))
			for i, id := range ids {
				want[i] = id
			}
			assert.Equal(t, want, refused[0].ContextMap()["ids"])
			assert.Equal(t, map[string]int64{logtype.DetectionsWebhook.Name: int64(len(payloads))}, w.metrics.snapshot().refused)
		})
	}
}

// A pushed payload nested deeper than OTLP/protobuf allows is delivered
// with its deep part as JSON text, and counted.
func TestWebhookDeliversDeepPayload(t *testing.T) {
	backend := &wiztest.StrictBackend{}
	w := startWebhook(t, backend, nil)
	p := withField(t, mockwiz.WebhookPayload(mockwiz.WebhookThreat, 3, pushedAt), "deep", wiztest.DeepParams(200))
	a := w.push(t, p)
	require.Equal(t, http.StatusOK, a.Status, a.Body)
	wiztest.RequireExactlyOnce(t, wiztest.UIDs{logtype.Threats.Name: {mapping.PayloadUID(p)}}, wiztest.Received(&backend.LogsSink))
	assert.Equal(t, map[string]int64{logtype.Threats.Name: 1}, w.metrics.snapshot().flattened)
}

// withField is payload with one more top-level field.
func withField(t *testing.T, payload []byte, name string, value any) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(payload, &m))
	m[name] = value
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// pushedID is the id a log line names a payload by.
func pushedID(t *testing.T, payload []byte) string {
	t.Helper()
	p, err := logtype.MapPushed(payload, pushedAt, plog.NewLogRecord())
	require.NoError(t, err)
	require.NotEmpty(t, p.ID)
	return p.ID
}
