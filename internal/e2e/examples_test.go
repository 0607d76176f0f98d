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
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/logtype"
	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
)

// logTypes are the log types the examples route, in the order the tests
// report them.
var logTypes = []string{logtype.Audit.Name, logtype.Issues.Name, logtype.VulnerabilityFindings.Name}

// runExample runs examples/<name> itself on the built collector, with env
// (the mock's address and the example's files) and WIZ_OUT_FILE set to out,
// until every record of want is in files; then it stops the collector.
func runExample(t *testing.T, name string, env []string, out string, want wiztest.UIDs, files ...string) {
	t.Helper()
	bin := binary(t)
	env = append(env, "WIZ_STATE_DIR="+filepath.Join(t.TempDir(), "state"))
	c := startCollector(t, bin, filepath.Join(repoRoot(t), "examples", name), env, out, noMetrics)
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
	findings := srv.Snapshot()[logtype.VulnerabilityFindings.Name]
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

// pantherAuditRule is one of Panther's 16 Wiz audit detections
// (panther-analysis, rules/wiz_rules), written out here as the test's own
// statement of them: a rule fires when an audit entry's action is one of
// its actions and its status is SUCCESS.
type pantherAuditRule struct {
	id       string
	actions  []string
	severity func(action string) string
	// nearMisses are actions close to the rule's that no rule matches.
	nearMisses []string
}

func severity(s string) func(string) string { return func(string) string { return s } }

// highOnDelete is Wiz.User.Role.Updated.Or.Deleted's severity.
func highOnDelete(action string) string {
	if strings.Contains(action, "Delete") {
		return "HIGH"
	}
	return "MEDIUM"
}

var pantherAuditRules = []pantherAuditRule{
	{"Wiz.CICD.Scan.Policy.Updated.Or.Deleted", []string{"DeleteCICDScanPolicy", "UpdateCICDScanPolicy"}, severity("MEDIUM"), []string{"CreateCICDScanPolicy"}},
	{"Wiz.Connector.Updated.Or.Deleted", []string{"DeleteConnector", "UpdateConnector"}, severity("MEDIUM"), []string{"CreateConnector"}},
	{"Wiz.Data.Classifier.Updated.Or.Deleted", []string{"DeleteDataClassifier", "UpdateDataClassifier"}, severity("MEDIUM"), []string{"CreateDataClassifier"}},
	{"Wiz.Image.Integrity.Validator.Updated.Or.Deleted", []string{"DeleteImageIntegrityValidator", "UpdateImageIntegrityValidator"}, severity("MEDIUM"), []string{"CreateImageIntegrityValidator"}},
	{"Wiz.Integration.Updated.Or.Deleted", []string{"DeleteIntegration", "UpdateIntegration"}, severity("MEDIUM"), []string{"CreateIntegration"}},
	{"Wiz.Revoke.User.Sessions", []string{"RevokeUserSessions"}, severity("MEDIUM"), []string{"RevokeUserSession"}},
	{"Wiz.Rotate.Service.Account.Secret", []string{"RotateServiceAccountSecret"}, severity("MEDIUM"), []string{"rotateServiceAccountSecret"}},
	{"Wiz.Rule.Change", []string{
		"DeleteAutomationRule", "UpdateAutomationRule", "DeleteCloudEventRule", "UpdateCloudEventRule",
		"DeleteCloudConfigurationRule", "UpdateCloudConfigurationRule", "DeleteHostConfigurationRule", "UpdateHostConfigurationRule",
		"CreateIgnoreRule", "DeleteIgnoreRule", "UpdateIgnoreRule", "CreateMalwareExclusion", "UpdateMalwareExclusion",
	}, func(action string) string {
		if strings.Contains(action, "Create") {
			return "LOW"
		}
		return highOnDelete(action)
	}, []string{"CreateAutomationRule", "DeleteMalwareExclusion"}},
	{"Wiz.SAML.Identity.Provider.Change", []string{
		"UpdateSAMLIdentityProvider", "DeleteSAMLIdentityProvider", "CreateSAMLIdentityProvider", "ModifySAMLIdentityProviderGroupMappings",
	}, severity("HIGH"), []string{"ModifySAMLIdentityProvider"}},
	{"Wiz.Service.Account.Change", []string{"CreateServiceAccount", "DeleteServiceAccount", "UpdateServiceAccount"}, severity("HIGH"), []string{"DeleteServiceAccounts"}},
	{"Wiz.Update.IP.Restrictions", []string{"UpdateIPRestrictions"}, severity("HIGH"), []string{"UpdateIPRestriction"}},
	{"Wiz.Update.Login.Settings", []string{"UpdateLoginSettings"}, severity("MEDIUM"), []string{"UpdateLoginSetting"}},
	{"Wiz.Update.Scanner.Settings", []string{"UpdateScannerSettings"}, severity("MEDIUM"), []string{" UpdateScannerSettings"}},
	{"Wiz.Update.Support.Contact.List", []string{"UpdateSupportContactList"}, severity("LOW"), []string{"UpdateSupportContact"}},
	{"Wiz.User.Created.Or.Deleted", []string{"CreateUser", "DeleteUser"}, severity("LOW"), []string{"UpdateUser"}},
	{"Wiz.User.Role.Updated.Or.Deleted", []string{"DeleteUserRole", "UpdateUserRole"}, highOnDelete, []string{"CreateUserRole"}},
}

// detection is what examples/edge-detections.yaml sets on a record:
// wiz.detection.rule_id and wiz.detection.severity; zero when unflagged.
type detection struct{ rule, severity string }

func (d detection) String() string {
	if d == (detection{}) {
		return "unflagged"
	}
	return d.rule + " " + d.severity
}

// detect is the detection an audit entry triggers, by the rules above.
func detect(action, status string) detection {
	for _, r := range pantherAuditRules {
		if status == "SUCCESS" && slices.Contains(r.actions, action) {
			return detection{r.id, r.severity(action)}
		}
	}
	return detection{}
}

// TestE2EExampleEdgeDetections: examples/edge-detections.yaml flags every
// audit entry that one of Panther's 16 rules matches, with the rule's id
// and severity, and sends it to the alerts file; no other record is
// flagged; the main file gets every record once. The mock is fed each
// rule's matches (every action, SUCCESS) and non-matches (every action,
// FAILED; near-miss actions, SUCCESS), besides its generated entries.
func TestE2EExampleEdgeDetections(t *testing.T) {
	srv, env := newWiz(t, 29, 300, 60, 60)
	at := time.Now().Add(-time.Minute)
	fed := 0
	feed := func(action, status string) {
		srv.AddAuditEntry(action, status, at.Add(time.Duration(fed)*time.Microsecond))
		fed++
	}
	for _, r := range pantherAuditRules {
		for _, action := range r.actions {
			feed(action, "SUCCESS")
			feed(action, "FAILED")
		}
		for _, action := range r.nearMisses {
			require.Equal(t, detection{}, detect(action, "SUCCESS"), "%s: near miss %q matches a rule", r.id, action)
			feed(action, "SUCCESS")
		}
	}

	// What every record should carry, and per rule how many entries it
	// should flag and how many of its own actions or near misses it should
	// not.
	want := map[string]detection{} // by log type and uid
	var alerts []string
	flagged := map[string]map[string]int{} // by rule and severity
	spared := map[string]int{}
	wiztest.EachExpected(t, srv, func(typ, uid string, n map[string]any) {
		if typ != "Wiz.Audit" {
			return
		}
		action, status := n["action"].(string), n["status"].(string)
		d := detect(action, status)
		want[typ+" "+uid] = d
		if d.rule != "" {
			alerts = append(alerts, uid)
			if flagged[d.rule] == nil {
				flagged[d.rule] = map[string]int{}
			}
			flagged[d.rule][d.severity]++
			return
		}
		for _, r := range pantherAuditRules {
			if slices.Contains(r.actions, action) || slices.Contains(r.nearMisses, action) {
				spared[r.id]++
			}
		}
	})

	dir := t.TempDir()
	out, alertsFile := filepath.Join(dir, "main.jsonl"), filepath.Join(dir, "alerts.jsonl")
	env = append(env, "WIZ_ALERTS_FILE="+alertsFile)
	all := wiztest.Expected(t, srv)
	runExample(t, "edge-detections.yaml", env, out, all, out)

	// The main file: every record once; the alerts file: the matches once.
	main, alerted := readUIDs(t, out), readUIDs(t, alertsFile)
	for _, typ := range logTypes {
		n, _ := wiztest.ExactlyOnce(t, typ+" in main", all[typ], main[typ])
		t.Logf("edge-detections: %s: %d records in main, each exactly once", typ, n)
	}
	for typ, uids := range alerted {
		if typ != "Wiz.Audit" {
			t.Errorf("alerts hold %d %s records, e.g. %v", len(uids), typ, wiztest.Sample(uidsOf(uids)))
		}
	}
	wiztest.ExactlyOnce(t, "Wiz.Audit in alerts", alerts, alerted["Wiz.Audit"])

	// Each record carries exactly its detection, in both files.
	var wrong []string
	check := func(file string) {
		eachRecord(t, func(lr plog.LogRecord) {
			typ, uid := recordID(lr)
			rule, _ := lr.Attributes().Get("wiz.detection.rule_id")
			sev, _ := lr.Attributes().Get("wiz.detection.severity")
			if got := (detection{rule.Str(), sev.Str()}); got != want[typ+" "+uid] {
				wrong = append(wrong, fmt.Sprintf("%s %s in %s: %s, want %s", typ, uid, filepath.Base(file), got, want[typ+" "+uid]))
			}
		}, file)
	}
	check(out)
	check(alertsFile)
	assert.Empty(t, wiztest.Sample(wrong), "%d records carry the wrong detection", len(wrong))

	for _, r := range pantherAuditRules {
		var bySeverity []string
		n := 0
		for _, sev := range []string{"HIGH", "MEDIUM", "LOW"} {
			if c := flagged[r.id][sev]; c > 0 {
				bySeverity = append(bySeverity, fmt.Sprintf("%d %s", c, sev))
				n += c
			}
		}
		assert.Positive(t, n, "%s: no match fed", r.id)
		assert.Positive(t, spared[r.id], "%s: no non-match fed", r.id)
		t.Logf("edge-detections: %-49s %3d flagged (%s), %3d of its actions or near misses not",
			r.id, n, strings.Join(bySeverity, ", "), spared[r.id])
	}
	t.Logf("edge-detections: %d audit entries fed (%d rules), %d of %d audit entries flagged, %d in alerts",
		fed, len(pantherAuditRules), len(alerts), len(all["Wiz.Audit"]), len(uidsOf(alerted["Wiz.Audit"])))
}

// TestE2EExampleDemo: examples/demo.yaml, the make demo pipeline, delivers
// every record of the mock exactly once through its file exporter.
func TestE2EExampleDemo(t *testing.T) {
	srv, env := newWiz(t, 31, 120, 60, 90)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	want := wiztest.Expected(t, srv)
	runExample(t, "demo.yaml", env, out, want, out)
	got := readUIDs(t, out)
	for _, typ := range logTypes {
		n, _ := wiztest.ExactlyOnce(t, typ, want[typ], got[typ])
		t.Logf("demo: %s: %d records, each exactly once", typ, n)
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
