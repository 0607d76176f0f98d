// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

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

// passthroughRules are Panther's three passthrough rules, by the log type
// each runs on (the test's own statement of them, as for the audit rules):
// Wiz.Alert.Passthrough fires on a polled issue, and
// Wiz.Issue.Alert.Passthrough on a pushed one, when the issue's status is
// OPEN and its severity is not INFORMATIONAL; Wiz.Defend.Alert.Passthrough
// fires on a pushed Defend detection whose severity is not INFORMATIONAL.
// Panther compares both words exactly as Wiz wrote them.
var passthroughRules = map[string]string{
	wizreceivertest.PolledByKey("issues").Name:        "Wiz.Alert.Passthrough",
	wizreceivertest.PushedBySource("ISSUE").Name:      "Wiz.Issue.Alert.Passthrough",
	wizreceivertest.PushedBySource("DETECTIONS").Name: "Wiz.Defend.Alert.Passthrough",
}

// passthroughSeverity is a passthrough's dynamic severity: Wiz's severity
// in upper case, INFORMATIONAL read as Panther's INFO, and the rules'
// default, MEDIUM, when Wiz sent none or a word Panther does not know.
func passthroughSeverity(wiz string) string {
	switch s := strings.ToUpper(wiz); s {
	case "INFORMATIONAL":
		return "INFO"
	case "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL":
		return s
	}
	return "MEDIUM"
}

// detection is what examples/edge-detections.yaml sets on a record:
// panther.rule.id and panther.rule.severity; zero when unflagged.
type detection struct{ rule, severity string }

func (d detection) String() string {
	if d == (detection{}) {
		return "unflagged"
	}
	return d.rule + " " + d.severity
}

// detectAudit is the detection an audit entry triggers, by the rules above.
func detectAudit(action, status string) detection {
	for _, r := range pantherAuditRules {
		if status == "SUCCESS" && slices.Contains(r.actions, action) {
			return detection{r.id, r.severity(action)}
		}
	}
	return detection{}
}

// verdict is what a passthrough reads of a record's body: the issue's
// status and severity, or the detection's severity ("" where Wiz sent
// none, as Panther reads a missing field as None).
type verdict struct{ status, severity string }

// verdictOf reads body, the polled node or the pushed payload, of a record
// of typ.
func verdictOf(typ string, body map[string]any) verdict {
	text := func(m map[string]any, key string) string { s, _ := m[key].(string); return s }
	switch typ {
	case wizreceivertest.PushedBySource("ISSUE").Name:
		issue, _ := body["issue"].(map[string]any)
		return verdict{text(issue, "status"), text(issue, "severity")}
	default:
		return verdict{text(body, "status"), text(body, "severity")}
	}
}

// detectPassthrough is the detection a record of typ triggers, by the
// passthrough rules above, and otherwise why it does not.
func detectPassthrough(typ string, v verdict) (detection, string) {
	rule := passthroughRules[typ]
	switch {
	case rule == "":
		return detection{}, "no passthrough rule"
	case typ != wizreceivertest.PushedBySource("DETECTIONS").Name && v.status != "OPEN":
		return detection{}, "status " + v.status
	case v.severity == "INFORMATIONAL":
		return detection{}, "INFORMATIONAL"
	}
	return detection{rule, passthroughSeverity(v.severity)}, ""
}

// edited is payload with edit applied to its decoded object: Wiz's issue
// template is the user's to edit, and Wiz writes some words in title case.
func edited(t *testing.T, payload []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(payload, &m))
	edit(m)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// edgePushes are the payloads TestE2EExampleEdgeDetections pushes: the
// mock's issues and detections through all of Wiz's severities (each in
// upper case, HIGH and MEDIUM in title case too), issues in statuses other
// than OPEN (RESOLVED, and the title case Panther's own tests show), an
// issue without a severity, a detection rated Informational and one rated
// nothing, and threats, which no rule reads.
func edgePushes(t *testing.T, at time.Time) []push {
	pushes := pushesOf(7, at)
	payload := func(kind mockwiz.WebhookKind, n int, edit func(map[string]any)) push {
		return push{kindTypes[kind], edited(t, mockwiz.WebhookPayload(kind, n, at), edit)}
	}
	issue := func(n int, edit func(issue map[string]any)) push {
		return payload(mockwiz.WebhookIssue, n, func(m map[string]any) { edit(m["issue"].(map[string]any)) })
	}
	setStatus := func(status, severity string) func(map[string]any) {
		return func(issue map[string]any) { issue["status"], issue["severity"] = status, severity }
	}
	return append(pushes,
		issue(100, setStatus("RESOLVED", "HIGH")),
		issue(101, setStatus("Resolved", "CRITICAL")),
		issue(102, setStatus("IN_PROGRESS", "HIGH")),
		issue(103, setStatus("Open", "HIGH")),
		issue(104, func(issue map[string]any) { delete(issue, "severity") }),
		payload(mockwiz.WebhookDetection, 100, func(m map[string]any) { m["severity"] = "Informational" }),
		payload(mockwiz.WebhookDetection, 101, func(m map[string]any) { delete(m, "severity") }),
	)
}

// ruleTally counts one rule's matches by severity, and its non-matches by
// reason.
type ruleTally struct {
	flagged map[string]int
	spared  map[string]int
}

func (r ruleTally) String() string {
	part := func(m map[string]int) (int, string) {
		n, parts := 0, []string{}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			n += m[k]
			parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
		}
		return n, strings.Join(parts, ", ")
	}
	nf, f := part(r.flagged)
	ns, s := part(r.spared)
	return fmt.Sprintf("%3d flagged (%s), %3d not (%s)", nf, f, ns, s)
}

// TestE2EExampleEdgeDetections: examples/edge-detections.yaml, polling and
// taking pushes, flags every record one of Panther's 19 Wiz rules matches
// with the rule's id and severity (panther.rule.id, panther.rule.severity)
// and sends it to the alerts file; no other record is flagged; the main
// file gets every record once; Wiz's own wiz.detection.severity stays as
// Wiz sent it. The mock is fed each audit rule's matches (every action,
// SUCCESS) and non-matches (every action, FAILED; near-miss actions,
// SUCCESS), besides its generated entries; its generated issues hold OPEN
// and other statuses in every severity; edgePushes are pushed.
func TestE2EExampleEdgeDetections(t *testing.T) {
	srv, env := newWiz(t, 29, 300, 150, 60)
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
			require.Equal(t, detection{}, detectAudit(action, "SUCCESS"), "%s: near miss %q matches a rule", r.id, action)
			feed(action, "SUCCESS")
		}
	}
	pushes := edgePushes(t, time.Now().UTC())

	// What every record should carry, what the alerts file should hold, and
	// per rule what it should flag and spare.
	want := map[string]detection{} // by log type and uid
	alerts := wiztest.UIDs{}
	tally := map[string]ruleTally{}
	count := func(rule, bucket string, flagged bool) {
		r, ok := tally[rule]
		if !ok {
			r = ruleTally{map[string]int{}, map[string]int{}}
			tally[rule] = r
		}
		if flagged {
			r.flagged[bucket]++
		} else {
			r.spared[bucket]++
		}
	}
	expect := func(typ, uid string, d detection) {
		want[typ+" "+uid] = d
		if d.rule != "" {
			alerts[typ] = append(alerts[typ], uid)
			count(d.rule, d.severity, true)
		}
	}
	wizSeverity := map[string]string{} // a pushed detection's, by uid
	wiztest.EachExpected(t, srv, func(typ, uid string, n map[string]any) {
		switch typ {
		case wizreceivertest.PolledByKey("audit").Name:
			action, status := n["action"].(string), n["status"].(string)
			d := detectAudit(action, status)
			expect(typ, uid, d)
			if d.rule != "" {
				return
			}
			for _, r := range pantherAuditRules {
				if slices.Contains(r.actions, action) {
					count(r.id, "FAILED", false)
				} else if slices.Contains(r.nearMisses, action) {
					count(r.id, "near miss", false)
				}
			}
		case wizreceivertest.PolledByKey("issues").Name:
			d, why := detectPassthrough(typ, verdictOf(typ, n))
			expect(typ, uid, d)
			if d.rule == "" {
				count(passthroughRules[typ], why, false)
			}
		default:
			expect(typ, uid, detection{})
		}
	})
	for _, p := range pushes {
		var body map[string]any
		require.NoError(t, json.Unmarshal(p.payload, &body))
		uid := wizreceivertest.PayloadUID(p.payload)
		d, why := detectPassthrough(p.typ, verdictOf(p.typ, body))
		expect(p.typ, uid, d)
		if rule := passthroughRules[p.typ]; rule != "" && d.rule == "" {
			count(rule, why, false)
		}
		if p.typ == wizreceivertest.PushedBySource("DETECTIONS").Name {
			wizSeverity[uid] = verdictOf(p.typ, body).severity
		}
	}

	dir := t.TempDir()
	out, alertsFile := filepath.Join(dir, "main.jsonl"), filepath.Join(dir, "alerts.jsonl")
	env = append(env, "WIZ_ALERTS_FILE="+alertsFile)
	all := runPushingExample(t, "edge-detections.yaml", env, out, wiztest.Expected(t, srv), pushes, out)

	// The main file: every record once; the alerts file: the matches once.
	main, alerted := readUIDs(t, out), readUIDs(t, alertsFile)
	for _, typ := range slices.Sorted(maps.Keys(all)) {
		n, _ := wiztest.ExactlyOnce(t, typ+" in main", all[typ], main[typ])
		a, _ := wiztest.ExactlyOnce(t, typ+" in alerts", alerts[typ], alerted[typ])
		t.Logf("edge-detections: %-26s %4d records in main, %3d in alerts, each exactly once", typ, n, a)
	}
	for typ, uids := range alerted {
		if _, ok := all[typ]; !ok {
			t.Errorf("alerts hold %d records of an unexpected type %s", len(uids), typ)
		}
	}

	// Each record carries exactly its detection, in both files, and a
	// pushed detection keeps Wiz's own severity.
	var wrong []string
	check := func(file string) {
		eachRecord(t, func(lr plog.LogRecord) {
			typ, uid := recordID(lr)
			rule, _ := lr.Attributes().Get("panther.rule.id")
			sev, _ := lr.Attributes().Get("panther.rule.severity")
			if got := (detection{rule.Str(), sev.Str()}); got != want[typ+" "+uid] {
				wrong = append(wrong, fmt.Sprintf("%s %s in %s: %s, want %s", typ, uid, filepath.Base(file), got, want[typ+" "+uid]))
			}
			if typ == wizreceivertest.PushedBySource("DETECTIONS").Name {
				own, _ := lr.Attributes().Get("wiz.detection.severity")
				if own.Str() != wizSeverity[uid] {
					wrong = append(wrong, fmt.Sprintf("%s %s in %s: wiz.detection.severity %q, Wiz sent %q", typ, uid, filepath.Base(file), own.Str(), wizSeverity[uid]))
				}
			}
		}, file)
	}
	check(out)
	check(alertsFile)
	assert.Empty(t, wiztest.Sample(wrong), "%d records carry the wrong detection", len(wrong))

	rules := make([]string, 0, len(pantherAuditRules)+len(passthroughRules))
	for _, r := range pantherAuditRules {
		rules = append(rules, r.id)
	}
	for _, typ := range []string{wizreceivertest.PolledByKey("issues").Name, wizreceivertest.PushedBySource("ISSUE").Name, wizreceivertest.PushedBySource("DETECTIONS").Name} {
		rules = append(rules, passthroughRules[typ])
	}
	for _, rule := range rules {
		assert.NotEmpty(t, tally[rule].flagged, "%s: no match fed", rule)
		assert.NotEmpty(t, tally[rule].spared, "%s: no non-match fed", rule)
		t.Logf("edge-detections: %-49s %s", rule, tally[rule])
	}
	// Each passthrough spares an INFORMATIONAL record (an OPEN one, for
	// issues), and the issue rules a RESOLVED issue.
	for _, rule := range passthroughRules {
		assert.Positive(t, tally[rule].spared["INFORMATIONAL"], "%s: no INFORMATIONAL non-match", rule)
	}
	for _, rule := range []string{"Wiz.Alert.Passthrough", "Wiz.Issue.Alert.Passthrough"} {
		assert.Positive(t, tally[rule].spared["status RESOLVED"], "%s: no RESOLVED non-match", rule)
	}
	total := 0
	for _, uids := range alerts {
		total += len(uids)
	}
	t.Logf("edge-detections: %d rules, %d audit entries fed, %d records pushed, %d of %d records flagged",
		len(rules), fed, len(pushes), total, len(want))
}
