// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package e2e runs the built otelcol-wiz binary against the mock Wiz.
// `make test` builds the binary and sets OTELCOL_WIZ_BIN.
package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

const (
	clientID     = "e2e-client-id"
	clientSecret = "e2e-client-secret-9d8c7b6a"
)

func binary(t *testing.T) string {
	bin := os.Getenv("OTELCOL_WIZ_BIN")
	if bin == "" {
		t.Skip("OTELCOL_WIZ_BIN is not set; `make test` builds the collector and sets it")
	}
	return bin
}

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return root
}

// collector is one run of the built binary.
type collector struct {
	cmd *exec.Cmd
	out string // the file exporter's output
	log *syncBuffer
}

// syncBuffer collects the collector's output; exec copies into it from its
// own goroutine while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startCollector runs the binary on config with env added to the
// environment and WIZ_OUT_FILE set to out; args follow (e.g. --set
// overrides).
// noMetrics turns off the collector's own metrics, which would otherwise
// listen on the fixed port 8888: a test that does not read them must not
// depend on that port being free.
const noMetrics = "--set=service.telemetry.metrics.level=none"

func startCollector(t *testing.T, bin, config string, env []string, out string, args ...string) *collector {
	t.Helper()
	c := &collector{out: out, log: &syncBuffer{}}
	c.cmd = exec.Command(bin, append([]string{"--config", config}, args...)...)
	c.cmd.Env = append(os.Environ(), append(env, "WIZ_OUT_FILE="+out)...)
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	})
	return c
}

func (c *collector) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, c.cmd.Wait(), "collector log:\n%s", c.log.String())
}

// recordID is a record's log type and log.record.uid.
func recordID(lr plog.LogRecord) (typ, uid string) {
	t, _ := lr.Attributes().Get("wiz.log_type")
	u, _ := lr.Attributes().Get("log.record.uid")
	return t.Str(), u.Str()
}

// eachRecord parses the file exporter's OTLP JSON lines and calls fn for
// every log record.
func eachRecord(t *testing.T, fn func(plog.LogRecord), files ...string) {
	t.Helper()
	var unmarshaler plog.JSONUnmarshaler
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		for sc.Scan() {
			logs, err := unmarshaler.UnmarshalLogs(sc.Bytes())
			if err != nil {
				continue // a line still being written
			}
			for _, rl := range logs.ResourceLogs().All() {
				for _, sl := range rl.ScopeLogs().All() {
					for _, lr := range sl.LogRecords().All() {
						fn(lr)
					}
				}
			}
		}
	}
}

// readUIDs counts each record's log.record.uid per log type in the file
// exporter's output.
func readUIDs(t *testing.T, files ...string) wiztest.Counts {
	t.Helper()
	out := wiztest.Counts{}
	eachRecord(t, func(lr plog.LogRecord) {
		typ, uid := recordID(lr)
		if out[typ] == nil {
			out[typ] = map[string]int{}
		}
		out[typ][uid]++
	}, files...)
	return out
}

// newWiz starts a mock Wiz holding the given numbers of records of the
// log types on by default over the last 20 hours, and returns it with the
// environment the test configs read.
func newWiz(t *testing.T, seed int64, audit, issues, findings int) (*mockwiz.Server, []string) {
	return newWizOf(t, seed, map[string]int{wizreceivertest.PolledByKey("audit").Name: audit, wizreceivertest.PolledByKey("issues").Name: issues, wizreceivertest.PolledByKey("vulnerability_findings").Name: findings})
}

// newWizOf is newWiz with counts of records by log-type name.
func newWizOf(t *testing.T, seed int64, counts map[string]int) (*mockwiz.Server, []string) {
	end := time.Now().Add(-time.Minute)
	srv, httpSrv := mockwiz.NewTestServer(t, mockwiz.Options{
		Clients: []mockwiz.Client{{ID: clientID, Secret: clientSecret, Scopes: mockwiz.AllScopes()}},
		Dataset: mockwiz.GenerateDataset(mockwiz.DatasetOptions{Seed: seed, Start: end.Add(-20 * time.Hour), End: end, Counts: counts}),
	})
	return srv, []string{
		"WIZ_ENDPOINT=" + httpSrv.URL + "/graphql",
		"WIZ_TOKEN_URL=" + httpSrv.URL + "/oauth/token",
		"WIZ_CLIENT_ID=" + clientID,
		"WIZ_CLIENT_SECRET=" + clientSecret,
	}
}

// waitArrived waits, at most a minute, until every record of want is in
// files. On a timeout it fails the test, naming records that never arrived
// and showing the collector's log.
func waitArrived(t *testing.T, c *collector, want wiztest.UIDs, files ...string) {
	t.Helper()
	if assert.Eventually(t, func() bool { return wiztest.AllArrived(want, readUIDs(t, files...)) }, 60*time.Second, 200*time.Millisecond) {
		return
	}
	got := readUIDs(t, files...)
	for typ, uids := range want {
		var missing []string
		for _, uid := range uids {
			if got[typ][uid] == 0 {
				missing = append(missing, uid)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: %d of %d records never arrived, e.g. %v", typ, len(missing), len(uids), wiztest.Sample(missing))
		}
	}
	t.Fatalf("collector log:\n%s", c.log.String())
}

// TestE2EBuiltCollector runs the distribution against the mock: every
// record of all five types (the two opt-in ones enabled in its config)
// arrives through the file exporter exactly once, including across a
// restart that resumes from file_storage.
func TestE2EBuiltCollector(t *testing.T) {
	bin := binary(t)
	root := repoRoot(t)
	srv, env := newWizOf(t, 7, map[string]int{
		wizreceivertest.PolledByKey("audit").Name: 400, wizreceivertest.PolledByKey("issues").Name: 150, wizreceivertest.PolledByKey("vulnerability_findings").Name: 450,
		wizreceivertest.PolledByKey("configuration_findings").Name: 300, wizreceivertest.PolledByKey("detections").Name: 150,
	})
	dir := t.TempDir()
	env = append(env, "WIZ_STATE_DIR="+filepath.Join(dir, "state"))
	config := filepath.Join(root, "testdata", "e2e", "collector.yaml")
	out1, out2 := filepath.Join(dir, "run1.jsonl"), filepath.Join(dir, "run2.jsonl")

	first := wiztest.Expected(t, srv)
	c1 := startCollector(t, bin, config, env, out1, noMetrics)
	waitArrived(t, c1, first, out1)
	c1.stop(t)

	// While the collector is down, Wiz records more and changes an issue,
	// a finding of each kind and a detection.
	snapshot := srv.Snapshot()
	issues, findings := snapshot[wizreceivertest.PolledByKey("issues").Name], snapshot[wizreceivertest.PolledByKey("vulnerability_findings").Name]
	configurationFindings, detections := snapshot[wizreceivertest.PolledByKey("configuration_findings").Name], snapshot[wizreceivertest.PolledByKey("detections").Name]
	now := time.Now()
	srv.AddAuditEntries(7, now)
	srv.ChangeIssueStatus(issues[0]["id"].(string), "RESOLVED", now)
	srv.RedetectVulnerabilityFinding(findings[0]["id"].(string), now)
	srv.ChangeConfigurationFindingStatus(configurationFindings[0]["id"].(string), "REJECTED", now)
	srv.UpdateDetection(detections[0]["id"].(string), now)
	all := wiztest.Expected(t, srv)
	for typ, uids := range first {
		all[typ] = append(all[typ], uids...)
	}

	c2 := startCollector(t, bin, config, env, out2, noMetrics)
	waitArrived(t, c2, all, out1, out2)
	time.Sleep(2 * time.Second) // a couple more polls must add nothing
	c2.stop(t)

	got := readUIDs(t, out1, out2)
	total := 0
	for typ, uids := range all {
		n, _ := wiztest.ExactlyOnce(t, typ, uids, got[typ])
		total += n
		t.Logf("%s: %d records, each exactly once", typ, n)
	}
	t.Logf("total %d records across two runs and a restart", total)
	assert.NotContains(t, c1.log.String()+c2.log.String(), clientSecret)
	// Every request, token requests too, named the distribution.
	agents := srv.Stats().UserAgents
	assert.Len(t, agents, 1, "%v", agents)
	for agent := range agents {
		assert.True(t, strings.HasPrefix(agent, "otelcol-wiz/"), agent)
	}
}

// TestE2EExamplesValidate loads every shipped example with the built
// collector, so the examples cannot drift from the components.
func TestE2EExamplesValidate(t *testing.T) {
	bin := binary(t)
	root := repoRoot(t)
	examples, err := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, examples)
	for _, ex := range examples {
		t.Run(filepath.Base(ex), func(t *testing.T) {
			cmd := exec.Command(bin, "validate", "--config", ex)
			cmd.Env = append(os.Environ(),
				"WIZ_ENDPOINT=https://api.us1.app.wiz.io/graphql",
				"WIZ_TOKEN_URL=https://auth.app.wiz.io/oauth/token",
				"WIZ_CLIENT_ID=id", "WIZ_CLIENT_SECRET=secret",
				"WIZ_STATE_DIR="+t.TempDir(), "WIZ_OUT_FILE="+filepath.Join(t.TempDir(), "out.jsonl"),
				"WIZ_AUDIT_FILE="+filepath.Join(t.TempDir(), "audit.jsonl"),
				"WIZ_ISSUES_FILE="+filepath.Join(t.TempDir(), "issues.jsonl"),
				"WIZ_FINDINGS_FILE="+filepath.Join(t.TempDir(), "findings.jsonl"),
				"WIZ_ALERTS_FILE="+filepath.Join(t.TempDir(), "alerts.jsonl"),
				"OTLP_ENDPOINT=http://127.0.0.1:4318",
				"KAFKA_BROKERS=127.0.0.1:9092,127.0.0.1:9093", "KAFKA_TOPIC=wiz-logs",
				"WIZ_WEBHOOK_TOKEN=token", "WIZ_WEBHOOK_PORT=8443",
			)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
		})
	}
}
