package e2e

import (
	"path/filepath"
	"testing"
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
