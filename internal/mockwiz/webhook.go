// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"text/template"
	"time"
)

// WebhookKind is a kind of payload Wiz's webhook integration POSTs when an
// automation rule fires.
type WebhookKind string

// The kinds Wiz sends, each in the shape of webhook/<kind>.json.tmpl: an
// issue in the shape of Wiz's default issue template (users may edit it), a
// threat and a Defend detection in Wiz's fixed shapes.
const (
	WebhookIssue     WebhookKind = "issue"
	WebhookThreat    WebhookKind = "threat"
	WebhookDetection WebhookKind = "detection"
)

// WebhookKinds lists every kind.
var WebhookKinds = []WebhookKind{WebhookIssue, WebhookThreat, WebhookDetection}

//go:embed webhook/*.json.tmpl
var webhookFiles embed.FS

var webhookTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	// Wiz writes issue times with microseconds, threat times with
	// milliseconds and detection times with nanoseconds.
	"micros": func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") },
	"millis": func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") },
	"nanos":  func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") },
}).ParseFS(webhookFiles, "webhook/*.json.tmpl"))

// webhookSeverities are the severities payloads cycle through: Wiz's values,
// some in the title case Wiz also sends.
var webhookSeverities = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL", "High", "Medium"}

// WebhookPayload is the n-th payload of kind, as compact JSON in Wiz's key
// order: its ids are unique to kind and n, its time is at, and its severity
// cycles through Wiz's values. The same arguments give the same bytes.
func WebhookPayload(kind WebhookKind, n int, at time.Time) []byte {
	data := struct {
		ID, ThreatID, RelatedID, Severity, Seq string
		At, Before, Start                      time.Time
	}{
		ID:        webhookUUID(kind, n, "id"),
		ThreatID:  webhookUUID(kind, n, "threat"),
		RelatedID: webhookUUID(kind, n, "related"),
		Severity:  webhookSeverities[n%len(webhookSeverities)],
		Seq:       fmt.Sprintf("%06d", n),
		At:        at,
		Before:    at.Add(-2 * time.Minute),
		Start:     at.Add(-36 * time.Hour),
	}
	var doc bytes.Buffer
	if err := webhookTemplates.ExecuteTemplate(&doc, string(kind)+".json.tmpl", data); err != nil {
		panic(fmt.Sprintf("mockwiz: webhook kind %q: %v", kind, err))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc.Bytes()); err != nil {
		panic(fmt.Sprintf("mockwiz: webhook/%s.json.tmpl renders invalid JSON: %v", kind, err))
	}
	return compact.Bytes()
}

// webhookUUID is a UUID-shaped id derived from kind, n and role.
func webhookUUID(kind WebhookKind, n int, role string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%s", kind, n, role))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-5" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}
