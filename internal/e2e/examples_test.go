package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// logTypes are the receiver's log types, in the order the tests report them.
var logTypes = []string{"Wiz.Audit", "Wiz.Issues", "Wiz.VulnerabilityFinding"}

// runExample runs examples/<name> itself on the built collector, with env
// (the mock's address and the example's files) and WIZ_OUT_FILE set to out,
// until every record of want is in files; then it stops the collector.
func runExample(t *testing.T, name string, env []string, out string, want map[string][]string, files ...string) {
	t.Helper()
	bin := binary(t)
	env = append(env, "WIZ_STATE_DIR="+filepath.Join(t.TempDir(), "state"))
	c := startCollector(t, bin, filepath.Join(repoRoot(t), "examples", name), env, out)
	waitArrived(t, c, want, files...)
	c.stop(t)
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
	want := expected(srv)
	all := []string{files["Wiz.Audit"], files["Wiz.Issues"], files["Wiz.VulnerabilityFinding"]}
	runExample(t, "route-by-type.yaml", env, filepath.Join(dir, "unused.jsonl"), want, all...)

	for _, typ := range logTypes {
		file := files[typ]
		got := readUIDs(t, file)
		for other, uids := range got {
			if other != typ {
				t.Errorf("%s holds %d %s records, e.g. %v", filepath.Base(file), len(uids), other, sample(uidsOf(uids)))
			}
		}
		n := exactlyOnce(t, typ+" in "+filepath.Base(file), want[typ], got[typ])
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
	_, _, findings := srv.Snapshot()
	for i, f := range findings[:12] {
		srv.SetFindingSeverity(f["id"].(string), []string{"NONE", "LOW"}[i%2])
	}
	kept := map[string][]string{}
	dropped := map[string]map[string]int{} // by log type and reason
	eachExpected(srv, func(typ, uid string, n map[string]any) {
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
		n := exactlyOnce(t, typ, kept[typ], got[typ])
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
