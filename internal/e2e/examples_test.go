// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

// logTypes are the log types the examples route, in the order the tests
// report them.
var logTypes = []string{wizreceivertest.PolledByKey("audit").Name, wizreceivertest.PolledByKey("issues").Name, wizreceivertest.PolledByKey("vulnerability_findings").Name}

// startExample starts examples/<name> itself on the built collector, with
// env (the mock's address and the example's files), a state directory of
// its own and WIZ_OUT_FILE set to out.
func startExample(t *testing.T, name string, env []string, out string) *collector {
	t.Helper()
	bin := binary(t)
	env = append(env, "WIZ_STATE_DIR="+filepath.Join(t.TempDir(), "state"))
	return startCollector(t, bin, filepath.Join(repoRoot(t), "examples", name), env, out, noMetrics)
}

// runExample runs examples/<name> until every record of want is in files;
// then it stops the collector.
func runExample(t *testing.T, name string, env []string, out string, want wiztest.UIDs, files ...string) {
	t.Helper()
	c := startExample(t, name, env, out)
	waitArrived(t, c, want, files...)
	c.stop(t)
}

// push is a payload a test pushes to an example's webhook, as Wiz would,
// and the log type of its record.
type push struct {
	typ     string
	payload []byte
}

// pushesOf is the first n payloads of each kind the mock renders, at at.
func pushesOf(n int, at time.Time) []push {
	var out []push
	for _, kind := range mockwiz.WebhookKinds {
		for i := range n {
			out = append(out, push{kindTypes[kind], mockwiz.WebhookPayload(kind, i, at)})
		}
	}
	return out
}

// runPushingExample is runExample for an example that also runs the
// webhook, on 127.0.0.1:$WIZ_WEBHOOK_PORT behind bearertokenauth with
// $WIZ_WEBHOOK_TOKEN: once the webhook answers, each payload is pushed with
// the token and must be acknowledged, and the run lasts until every record
// of want and every pushed one is in files. It returns want with the pushed
// records added.
func runPushingExample(t *testing.T, name string, env []string, out string, want wiztest.UIDs, pushes []push, files ...string) wiztest.UIDs {
	t.Helper()
	port := freePort(t)
	env = append(env, "WIZ_WEBHOOK_PORT="+port, "WIZ_WEBHOOK_TOKEN="+webhookToken)
	c := startExample(t, name, env, out)
	client, url := wiztest.HTTPClient(t), "http://127.0.0.1:"+port+"/"
	waitWebhook(t, c, client, url)
	all := wiztest.UIDs{}
	for typ, uids := range want {
		all[typ] = slices.Clone(uids)
	}
	for _, p := range pushes {
		a := wiztest.Push(t, client, url, p.payload, wiztest.Bearer(webhookToken))
		require.Equal(t, http.StatusOK, a.Status, "%s\ncollector log:\n%s", a.Body, c.log.String())
		all[p.typ] = append(all[p.typ], wizreceivertest.PayloadUID(p.payload))
	}
	waitArrived(t, c, all, files...)
	c.stop(t)
	return all
}

// TestE2EExampleRouteByType: examples/route-by-type.yaml writes each log
// type to its own file, every record exactly once and nothing in the wrong
// file.
func TestE2EExampleRouteByType(t *testing.T) {
	srv, env := newWiz(t, 21, 400, 150, 450)
	dir := t.TempDir()
	files := map[string]string{
		"Wiz.Audit":                filepath.Join(dir, "audit.jsonl"),
		"Wiz.Issues":               filepath.Join(dir, "issues.jsonl"),
		"Wiz.VulnerabilityFinding": filepath.Join(dir, "findings.jsonl"),
	}
	env = append(env,
		"WIZ_AUDIT_FILE="+files["Wiz.Audit"],
		"WIZ_ISSUES_FILE="+files["Wiz.Issues"],
		"WIZ_FINDINGS_FILE="+files["Wiz.VulnerabilityFinding"],
	)
	want := wiztest.Expected(t, srv)
	all := []string{files["Wiz.Audit"], files["Wiz.Issues"], files["Wiz.VulnerabilityFinding"]}
	runExample(t, "route-by-type.yaml", env, filepath.Join(dir, "unused.jsonl"), want, all...)

	for _, typ := range logTypes {
		file := files[typ]
		got := readUIDs(t, file)
		for other, uids := range got {
			if other != typ {
				t.Errorf("%s holds %d %s records, e.g. %v", filepath.Base(file), len(uids), other, wiztest.Sample(uidsOf(uids)))
			}
		}
		n, _ := wiztest.ExactlyOnce(t, typ+" in "+filepath.Base(file), want[typ], got[typ])
		t.Logf("route-by-type: %s → %s: %d records, each exactly once, and no other type", typ, filepath.Base(file), n)
	}
}

// uidsOf is the uids of a readUIDs count.
func uidsOf(counts map[string]int) []string {
	out := make([]string, 0, len(counts))
	for uid := range counts {
		out = append(out, uid)
	}
	return out
}

// noise is why examples/drop-noise.yaml drops the record of a mock node, or
// "" when it keeps it: a vulnerability finding rated NONE or LOW (its
// vendorSeverity, or its severity when Wiz sent no vendor rating), or an
// issue whose status is REJECTED.
func noise(typ string, n map[string]any) string {
	switch typ {
	case "Wiz.VulnerabilityFinding":
		severity, _ := n["vendorSeverity"].(string)
		if severity == "" {
			severity, _ = n["severity"].(string)
		}
		if severity == "NONE" || severity == "LOW" {
			return "rated " + severity
		}
	case "Wiz.Issues":
		if n["status"] == "REJECTED" {
			return "REJECTED"
		}
	}
	return ""
}

// TestE2EExampleDropNoise: examples/drop-noise.yaml drops exactly the
// noise, counted against the mock's data, and keeps everything else once.
func TestE2EExampleDropNoise(t *testing.T) {
	srv, env := newWiz(t, 23, 300, 210, 450)
	// The mock rates no finding NONE and few LOW: rate some of each.
	findings := srv.Snapshot()[wizreceivertest.PolledByKey("vulnerability_findings").Name]
	for i, f := range findings[:12] {
		srv.SetFindingSeverity(f["id"].(string), []string{"NONE", "LOW"}[i%2])
	}
	kept := wiztest.UIDs{}
	dropped := map[string]map[string]int{} // by log type and reason
	wiztest.EachExpected(t, srv, func(typ, uid string, n map[string]any) {
		reason := noise(typ, n)
		if reason == "" {
			kept[typ] = append(kept[typ], uid)
			return
		}
		if dropped[typ] == nil {
			dropped[typ] = map[string]int{}
		}
		dropped[typ][reason]++
	})
	require.Positive(t, dropped["Wiz.VulnerabilityFinding"]["rated NONE"], "the mock must hold findings rated NONE")
	require.Positive(t, dropped["Wiz.VulnerabilityFinding"]["rated LOW"], "the mock must hold findings rated LOW")
	require.Positive(t, dropped["Wiz.Issues"]["REJECTED"], "the mock must hold REJECTED issues")

	out := filepath.Join(t.TempDir(), "out.jsonl")
	runExample(t, "drop-noise.yaml", env, out, kept, out)

	// Every kept record arrived once; a dropped one would be unexpected.
	got := readUIDs(t, out)
	for _, typ := range logTypes {
		n, _ := wiztest.ExactlyOnce(t, typ, kept[typ], got[typ])
		var reasons []string
		total := 0
		for _, reason := range []string{"rated NONE", "rated LOW", "REJECTED"} {
			if d := dropped[typ][reason]; d > 0 {
				reasons = append(reasons, fmt.Sprintf("%d %s", d, reason))
				total += d
			}
		}
		why := ""
		if total > 0 {
			why = " (" + strings.Join(reasons, ", ") + ")"
		}
		t.Logf("drop-noise: %s: %d in Wiz, %d kept (each exactly once), %d dropped%s", typ, n+total, n, total, why)
	}
}

// TestE2EExampleDemo: examples/demo.yaml, the make demo pipeline, polls
// all five data sets and takes pushes of each kind on its webhook: every
// record of the mock and every push arrives exactly once through its file
// exporter, and no other.
func TestE2EExampleDemo(t *testing.T) {
	counts := map[string]int{}
	for i, lt := range wizreceivertest.Polled() {
		counts[lt.Name] = 40 + 20*i
	}
	srv, env := newWizOf(t, 31, counts)
	// The demo reads configuration findings in their default statuses.
	statuses := wizreceivertest.PolledByKey("configuration_findings").DefaultFilter["status"].([]string)
	polled := wiztest.UIDs{}
	wiztest.EachExpected(t, srv, func(typ, uid string, n map[string]any) {
		if typ == wizreceivertest.PolledByKey("configuration_findings").Name && !slices.Contains(statuses, n["status"].(string)) {
			return
		}
		polled[typ] = append(polled[typ], uid)
	})
	out := filepath.Join(t.TempDir(), "out.jsonl")
	all := runPushingExample(t, "demo.yaml", env, out, polled, pushesOf(3, time.Now().UTC()), out)

	var types []string
	for _, lt := range wizreceivertest.Polled() {
		types = append(types, lt.Name)
	}
	for _, kind := range mockwiz.WebhookKinds {
		types = append(types, kindTypes[kind])
	}
	got := readUIDs(t, out)
	for _, typ := range types {
		n, _ := wiztest.ExactlyOnce(t, typ, all[typ], got[typ])
		assert.Positive(t, n, "%s: the demo shows none", typ)
		t.Logf("demo: %-30s %3d records, each exactly once", typ, n)
	}
	for typ, uids := range got {
		if !slices.Contains(types, typ) {
			t.Errorf("demo: %d records of an unexpected type %s", len(uids), typ)
		}
	}
}

// TestE2EExampleWebhook: examples/webhook.yaml itself, on a loopback port
// of the test's choosing and its health check moved off the fixed 13133,
// takes each kind of push with its bearer token and refuses a wrong one;
// its persistent queue delivers every acknowledged record exactly once.
func TestE2EExampleWebhook(t *testing.T) {
	port := freePort(t)
	config := filepath.Join(repoRoot(t), "examples", "webhook.yaml")
	bearer := webhookSetups[0]
	r := startWebhookConfig(t, config, port, bearer, wiztest.Certificates{}, newOTLPBackend(),
		"--set=receivers.wiz.webhook.endpoint=127.0.0.1:"+port,
		"--set=extensions.healthcheckv2.http.endpoint=127.0.0.1:"+freePort(t),
		noMetrics)
	at := time.Now().UTC()
	for _, refusal := range bearer.refused {
		a, err := refusal.push(t, wiztest.Certificates{}, r.url, mockwiz.WebhookPayload(mockwiz.WebhookDetection, 900, at))
		require.NoError(t, err)
		require.Equal(t, refusal.status, a.Status, refusal.name)
	}
	for n, kind := range mockwiz.WebhookKinds {
		r.push(t, mockwiz.WebhookPayload(kind, n, at), kindTypes[kind], http.StatusOK)
	}
	// The queue sends after the 200: wait for the backend before stopping.
	require.Eventually(t, func() bool { return wiztest.AllArrived(r.want, r.backend.snapshot()) }, 60*time.Second, 50*time.Millisecond,
		"the backend never got every acknowledged push\n%s", r.c.log.String())
	r.finish(t, "examples/webhook.yaml")
}
