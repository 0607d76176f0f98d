// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
)

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	require.NoError(t, l.Close())
	return port
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, string(body)
}

// TestE2EHealthAndMetrics: refused credentials turn healthcheckv2
// unhealthy, the recovery turns it healthy again, and the receiver's
// metrics appear on the collector's own telemetry endpoint.
func TestE2EHealthAndMetrics(t *testing.T) {
	bin := binary(t)
	root := repoRoot(t)
	srv, env := newWiz(t, 3, 40, 20, 30)
	// Wiz refuses the credentials once (as after a secret rotation), then
	// accepts them again.
	srv.InjectTokenFaults(mockwiz.Fault{Status: http.StatusUnauthorized})
	healthPort, metricsPort := freePort(t), freePort(t)
	env = append(env, "HEALTH_PORT="+healthPort, "METRICS_PORT="+metricsPort)
	c := startCollector(t, bin, filepath.Join(root, "testdata", "e2e", "health.yaml"), env, filepath.Join(t.TempDir(), "unused"))
	health := "http://127.0.0.1:" + healthPort + "/health/status"

	require.Eventually(t, func() bool {
		code, body := get(health)
		// healthcheckv2 answers 500 for a recoverable error.
		return code >= http.StatusInternalServerError && strings.Contains(body, "authentication failed")
	}, 20*time.Second, 50*time.Millisecond, "the refused credentials must make the collector unhealthy\n%s", c.log.String())
	require.Eventually(t, func() bool {
		code, _ := get(health)
		return code == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "after the recovery the collector must be healthy again\n%s", c.log.String())

	// The gauges are recorded at the end of a stream's first poll, a moment
	// after its first records are counted: wait for every series rather than
	// for the first one.
	want := []string{
		"otelcol_wiz_records_emitted", "otelcol_wiz_api_requests", "otelcol_wiz_api_request_duration",
		"otelcol_wiz_checkpoint_lag", "otelcol_wiz_last_successful_poll", "otelcol_wiz_seconds_since_last_record",
		"otelcol_receiver_accepted_log_records", `log_type="Wiz.Audit"`,
	}
	missing := func() (string, []string) {
		_, metrics := get("http://127.0.0.1:" + metricsPort + "/metrics")
		var absent []string
		for _, name := range want {
			if !strings.Contains(metrics, name) {
				absent = append(absent, name)
			}
		}
		return metrics, absent
	}
	if !assert.Eventually(t, func() bool {
		_, absent := missing()
		return len(absent) == 0
	}, 20*time.Second, 100*time.Millisecond) {
		_, absent := missing()
		t.Errorf("the collector's metrics endpoint lacks %v", absent)
	}
	metrics, _ := missing()
	c.stop(t)
	assert.NotContains(t, c.log.String(), clientSecret)
	assert.NotContains(t, metrics, clientSecret)
}

// TestE2EPrintConfigRedactsSecret: the collector's own rendering of the
// configuration never shows client_secret, wherever it came from.
func TestE2EPrintConfigRedactsSecret(t *testing.T) {
	bin := binary(t)
	root := repoRoot(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte("file-secret-5e5e5e"), 0o600))
	for source, secret := range map[string]string{
		"${env:WIZ_CLIENT_SECRET}":   clientSecret,
		"${file:" + secretFile + "}": "file-secret-5e5e5e",
	} {
		t.Run(source, func(t *testing.T) {
			cmd := exec.Command(bin, "print-config", "--config", filepath.Join(root, "examples", "demo.yaml"),
				"--set", "receivers.wiz.client_secret="+source)
			cmd.Env = append(os.Environ(),
				"WIZ_ENDPOINT=https://api.us1.app.wiz.io/graphql", "WIZ_TOKEN_URL=https://auth.app.wiz.io/oauth/token",
				"WIZ_CLIENT_ID=id", "WIZ_CLIENT_SECRET="+clientSecret,
				"WIZ_STATE_DIR="+dir, "WIZ_OUT_FILE="+filepath.Join(dir, "out.jsonl"),
				"WIZ_WEBHOOK_PORT=8898", "WIZ_WEBHOOK_TOKEN="+webhookToken)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), "client_secret: '[REDACTED]'")
			assert.NotContains(t, string(out), secret)
			assert.NotContains(t, string(out), webhookToken, "the webhook's bearer token is opaque too")
		})
	}
}
