// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

const (
	webhookToken    = "e2e-webhook-token-5b7d9f"
	webhookPassword = "e2e-webhook-password-2c4e6a"
)

// webhookSetup is one way Wiz can authenticate to the webhook, as Wiz's
// webhook integration offers them.
type webhookSetup struct {
	name string
	// args add the set-up to testdata/e2e/webhook.yaml.
	args func(certs wiztest.Certificates) []string
	// client and credentials are Wiz's side of it.
	client      func(t *testing.T, certs wiztest.Certificates) *http.Client
	credentials http.Header
	scheme      string
	// refused are pushes with wrong or missing credentials.
	refused []refusedPush
}

// refusedPush is a push the webhook must refuse with status, or with no
// answer at all where status is 0 (a TLS handshake that fails).
type refusedPush struct {
	name   string
	push   func(t *testing.T, certs wiztest.Certificates, url string, body []byte) (wiztest.Answer, error)
	status int
}

// pushWith is a refused push over plain HTTP with header.
func pushWith(name string, header http.Header) refusedPush {
	return refusedPush{name: name, status: http.StatusUnauthorized,
		push: func(t *testing.T, _ wiztest.Certificates, url string, body []byte) (wiztest.Answer, error) {
			return wiztest.TryPush(wiztest.HTTPClient(t), url, body, header)
		}}
}

// authenticatorArgs selects one of testdata/e2e/webhook.yaml's extensions.
func authenticatorArgs(id string) func(wiztest.Certificates) []string {
	return func(wiztest.Certificates) []string {
		return []string{"--set=receivers.wiz.webhook.auth.authenticator=" + id}
	}
}

func plainClient(t *testing.T, _ wiztest.Certificates) *http.Client { return wiztest.HTTPClient(t) }

var webhookSetups = []webhookSetup{
	{
		name:        "bearer",
		args:        authenticatorArgs("bearertokenauth/wiz"),
		client:      plainClient,
		credentials: wiztest.Bearer(webhookToken),
		scheme:      "http",
		refused: []refusedPush{
			pushWith("wrong token", wiztest.Bearer("e2e-guessed-token")),
			pushWith("token without its scheme", http.Header{"Authorization": {webhookToken}}),
			pushWith("no credentials", nil),
		},
	},
	{
		// Wiz's custom header option: the token alone, in a header of the
		// user's choosing (bearertokenauth's header, with scheme "").
		name:        "custom header",
		args:        authenticatorArgs("bearertokenauth/header"),
		client:      plainClient,
		credentials: http.Header{"X-Wiz-Token": {webhookToken}},
		scheme:      "http",
		refused: []refusedPush{
			pushWith("wrong token", http.Header{"X-Wiz-Token": {"e2e-guessed-token"}}),
			pushWith("token in Authorization instead", wiztest.Bearer(webhookToken)),
			pushWith("no credentials", nil),
		},
	},
	{
		// Wiz's Basic option: bearertokenauth with scheme Basic, its token
		// the base64 of user:pass.
		name:        "basic",
		args:        authenticatorArgs("bearertokenauth/basic"),
		client:      plainClient,
		credentials: basic("wiz", webhookPassword),
		scheme:      "http",
		refused: []refusedPush{
			pushWith("wrong password", basic("wiz", "e2e-guessed-password")),
			pushWith("wrong user", basic("wiz2", webhookPassword)),
			pushWith("no credentials", nil),
		},
	},
	{
		name: "mtls",
		args: func(c wiztest.Certificates) []string {
			return []string{
				"--set=receivers.wiz.webhook.tls.cert_file=" + c.ServerCert,
				"--set=receivers.wiz.webhook.tls.key_file=" + c.ServerKey,
				"--set=receivers.wiz.webhook.tls.client_ca_file=" + c.CA,
			}
		},
		client: func(t *testing.T, c wiztest.Certificates) *http.Client { return c.Client(t, true) },
		scheme: "https",
		// Without a client certificate of the configured CA the handshake
		// fails: no answer.
		refused: []refusedPush{
			{name: "no client certificate", push: func(t *testing.T, c wiztest.Certificates, url string, body []byte) (wiztest.Answer, error) {
				return wiztest.TryPush(c.ClientPresenting(t, nil), url, body, nil)
			}},
			{name: "client certificate of another CA", push: func(t *testing.T, c wiztest.Certificates, url string, body []byte) (wiztest.Answer, error) {
				other := wiztest.NewCertificates(t)
				return wiztest.TryPush(c.ClientPresenting(t, &other), url, body, nil)
			}},
		},
	},
}

// basicUser is the user of Wiz's Basic option in the tests;
// the webhook's bearertokenauth/basic holds the base64 of the pair.
const basicUser = "wiz"

func basic(user, password string) http.Header {
	return http.Header{"Authorization": {"Basic " + basicToken(user, password)}}
}

func basicToken(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// webhookRun is the built collector with only its webhook, in front of an
// OTLP backend of the test's own.
type webhookRun struct {
	c       *collector
	backend *otlpBackend
	url     string
	client  *http.Client
	header  http.Header
	// want is every record pushed and acknowledged, by log type.
	want wiztest.UIDs
}

func startWebhookRun(t *testing.T, setup webhookSetup, certs wiztest.Certificates, backend *otlpBackend) *webhookRun {
	t.Helper()
	port := freePort(t)
	config := filepath.Join(repoRoot(t), "testdata", "e2e", "webhook.yaml")
	return startWebhookConfig(t, config, port, setup, certs, backend, setup.args(certs)...)
}

// startWebhookConfig runs config, whose webhook listens on port (the config
// reads WEBHOOK_PORT, or args set it), in front of backend; args add to or
// override the config.
func startWebhookConfig(t *testing.T, config, port string, setup webhookSetup, certs wiztest.Certificates, backend *otlpBackend, args ...string) *webhookRun {
	t.Helper()
	bin := binary(t)
	otlp := httptest.NewServer(backend)
	t.Cleanup(otlp.Close)
	env := []string{
		"WEBHOOK_PORT=" + port, "OTLP_ENDPOINT=" + otlp.URL, "WIZ_STATE_DIR=" + filepath.Join(t.TempDir(), "state"),
		"WIZ_WEBHOOK_TOKEN=" + webhookToken, "WIZ_WEBHOOK_BASIC=" + basicToken(basicUser, webhookPassword),
	}
	r := &webhookRun{
		c:       startCollector(t, bin, config, env, filepath.Join(t.TempDir(), "unused.jsonl"), args...),
		backend: backend,
		url:     setup.scheme + "://127.0.0.1:" + port + "/",
		client:  setup.client(t, certs),
		header:  setup.credentials,
		want:    wiztest.UIDs{},
	}
	waitWebhook(t, r.c, r.client, r.url)
	return r
}

// waitWebhook waits, at most 30 seconds, until c's webhook at url answers:
// any answer will do.
func waitWebhook(t *testing.T, c *collector, client *http.Client, url string) {
	t.Helper()
	if !assert.Eventually(t, func() bool {
		_, err := wiztest.TryPush(client, url, []byte(`{}`), http.Header{"Content-Type": {"text/plain"}})
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "the webhook never answered") {
		t.Fatalf("collector log:\n%s", c.log.String())
	}
}

// push pushes payload with the set-up's credentials, expecting status;
// an acknowledged payload is one of the records the backend must hold.
func (r *webhookRun) push(t *testing.T, payload []byte, typ string, status int) wiztest.Answer {
	t.Helper()
	a := wiztest.Push(t, r.client, r.url, payload, r.header)
	require.Equal(t, status, a.Status, "%s\ncollector log:\n%s", a.Body, r.c.log.String())
	if status == http.StatusOK {
		r.want[typ] = append(r.want[typ], wizreceivertest.PayloadUID(payload))
	}
	return a
}

// finish stops the collector and checks that the backend holds every
// acknowledged record exactly once and nothing else: nothing from a refused
// request.
func (r *webhookRun) finish(t *testing.T, name string) {
	t.Helper()
	r.c.stop(t)
	got := r.backend.snapshot()
	total := 0
	for _, typ := range wizreceivertest.Pushed() {
		if len(r.want[typ.Name]) == 0 && len(got[typ.Name]) == 0 {
			continue
		}
		n, _ := wiztest.ExactlyOnce(t, name+": "+typ.Name, r.want[typ.Name], got[typ.Name])
		total += n
	}
	for typ := range got {
		if _, ok := r.want[typ]; !ok {
			t.Errorf("%s: unexpected records of log type %q", name, typ)
		}
	}
	t.Logf("%s: %d records, each exactly once, none from a refused request", name, total)
	assert.NotContains(t, r.c.log.String(), webhookToken)
	assert.NotContains(t, r.c.log.String(), webhookPassword)
	assert.NotContains(t, r.c.log.String(), basicToken(basicUser, webhookPassword))
}

var kindTypes = map[mockwiz.WebhookKind]string{
	mockwiz.WebhookIssue:     wizreceivertest.PushedBySource("ISSUE").Name,
	mockwiz.WebhookThreat:    wizreceivertest.PushedBySource("THREATS").Name,
	mockwiz.WebhookDetection: wizreceivertest.PushedBySource("DETECTIONS").Name,
}

// TestE2EWebhook pushes each payload kind to the built collector over real
// HTTP with each of Wiz's options (bearer token, custom header, Basic, all
// through bearertokenauth, and mTLS), after pushes with wrong and missing
// credentials; every acknowledged record reaches the backend exactly once,
// and nothing of a refused push does.
func TestE2EWebhook(t *testing.T) {
	certs := wiztest.NewCertificates(t)
	at := time.Now().UTC()
	for i, setup := range webhookSetups {
		t.Run(setup.name, func(t *testing.T) {
			r := startWebhookRun(t, setup, certs, newOTLPBackend())
			for j, refusal := range setup.refused {
				body := mockwiz.WebhookPayload(mockwiz.WebhookDetection, 1000+10*i+j, at)
				a, err := refusal.push(t, certs, r.url, body)
				if refusal.status == 0 {
					require.Error(t, err, "%s: %s must get no answer", setup.name, refusal.name)
				} else {
					require.NoError(t, err)
					require.Equal(t, refusal.status, a.Status, "%s: %s", setup.name, refusal.name)
				}
			}
			for n, kind := range mockwiz.WebhookKinds {
				r.push(t, mockwiz.WebhookPayload(kind, 10*i+n, at), kindTypes[kind], http.StatusOK)
			}
			r.finish(t, setup.name)
		})
	}
}

// TestE2EWebhookBadInputAndFailures: a malformed or oversize body is refused
// (400, 413); a flood past max_concurrent_requests gets only 503s with
// Retry-After while the backend is stuck, and the retries later arrive
// once; a backend that refuses, then recovers, turns into 503s, then one
// delivery. Nothing from a refused request reaches the backend.
func TestE2EWebhookBadInputAndFailures(t *testing.T) {
	backend := newOTLPBackend()
	backend.gate = make(chan struct{})
	r := startWebhookRun(t, webhookSetups[0], wiztest.Certificates{}, backend)
	at := time.Now().UTC()
	detections := wizreceivertest.PushedBySource("DETECTIONS").Name

	// Malformed and oversize: refused before the pipeline.
	r.push(t, []byte(`{"trigger":{"source":"DETECTIONS"},`), detections, http.StatusBadRequest)
	r.push(t, []byte(`"DETECTIONS"`), detections, http.StatusBadRequest)
	oversize := append(append([]byte(`{"trigger":{"source":"DETECTIONS"},"pad":"`), bytes.Repeat([]byte("x"), 6<<20)...), `"}`...)
	r.push(t, oversize, detections, http.StatusRequestEntityTooLarge)

	// Flood: the backend holds the first max_concurrent_requests (4)
	// exports, so every other request meets a full webhook.
	held := pushAll(r, 0, 4, at)
	require.Eventually(t, func() bool { return backend.held.Load() == 4 }, 30*time.Second, 10*time.Millisecond,
		"the backend never held 4 exports\n%s", r.c.log.String())
	const flood = 200
	statuses := map[int]int{}
	for _, a := range pushAll(r, 100, flood, at)(t) {
		statuses[a.Status]++
		assert.Equal(t, "1", a.RetryAfter)
	}
	require.Equal(t, map[int]int{http.StatusServiceUnavailable: flood}, statuses, "a flood past the cap gets only 503s")
	assert.Empty(t, backend.snapshot(), "nothing reached the backend while it was stuck")
	close(backend.gate)
	for n, a := range held(t) {
		require.Equal(t, http.StatusOK, a.Status, a.Body)
		r.want[detections] = append(r.want[detections], wizreceivertest.PayloadUID(mockwiz.WebhookPayload(mockwiz.WebhookDetection, n, at)))
	}
	// Wiz retries the flood; every retry is delivered once.
	for n := range flood {
		r.push(t, mockwiz.WebhookPayload(mockwiz.WebhookDetection, 100+n, at), detections, http.StatusOK)
	}

	// The backend refuses three exports, then recovers: the webhook
	// answers 503 until it does, and the record arrives once.
	backend.mu.Lock()
	backend.refusals = 3
	backend.mu.Unlock()
	threat := mockwiz.WebhookPayload(mockwiz.WebhookThreat, 1, at)
	for range 3 {
		a := r.push(t, threat, wizreceivertest.PushedBySource("THREATS").Name, http.StatusServiceUnavailable)
		assert.Equal(t, "5", a.RetryAfter)
	}
	r.push(t, threat, wizreceivertest.PushedBySource("THREATS").Name, http.StatusOK)
	// A re-delivery of an acknowledged body is acknowledged, not repeated.
	a := wiztest.Push(t, r.client, r.url, threat, r.header)
	require.Equal(t, http.StatusOK, a.Status)
	assert.Contains(t, a.Body, "duplicate")

	r.finish(t, "bad input and failures")
	t.Logf("flood of %d requests past a cap of 4: %v", flood, statuses)
}

// pushAll pushes detections first to first+n-1 at once, and returns a
// func that waits for their answers, in order. A push that got no answer
// fails the test there.
func pushAll(r *webhookRun, first, n int, at time.Time) func(t *testing.T) []wiztest.Answer {
	answers := make([]wiztest.Answer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			answers[i], errs[i] = wiztest.TryPush(r.client, r.url, mockwiz.WebhookPayload(mockwiz.WebhookDetection, first+i, at), r.header)
		})
	}
	return func(t *testing.T) []wiztest.Answer {
		t.Helper()
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "push %d of %d got no answer", i+1, n)
		}
		return answers
	}
}

// TestE2EWebhookNeedsAuthBeyondLoopback: the built collector refuses a
// webhook on every interface without an authenticator, naming the
// authenticator and the mTLS setting.
func TestE2EWebhookNeedsAuthBeyondLoopback(t *testing.T) {
	bin := binary(t)
	cmd := exec.Command(bin, "validate", "--config", filepath.Join(repoRoot(t), "testdata", "e2e", "webhook.yaml"),
		"--set=receivers.wiz.webhook.endpoint=0.0.0.0:8443")
	cmd.Env = append(os.Environ(), "WEBHOOK_PORT=8443", "OTLP_ENDPOINT=http://127.0.0.1:4318",
		"WIZ_WEBHOOK_TOKEN="+webhookToken, "WIZ_WEBHOOK_BASIC="+basicToken(basicUser, webhookPassword))
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "%s", out)
	for _, want := range []string{`webhook.auth is required because webhook.endpoint "0.0.0.0:8443" is not a loopback address`, "bearertokenauth", "webhook.tls.client_ca_file"} {
		assert.Contains(t, string(out), want)
	}
	assert.NotContains(t, string(out), webhookToken)
	t.Logf("refused: %s", strings.TrimSpace(string(out)))
}
