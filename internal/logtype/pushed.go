package logtype

import "github.com/otelcol-wiz/otelcol-wiz/internal/mapping"

// Pushed lists the log types Wiz pushes to the receiver's webhook, in the
// order the classifier tries their shapes and the documentation shows them.
// The last, Webhook, is the catch-all: a payload of no other type is
// emitted as it is, never dropped. The receiver's webhook, the
// documentation tests and the shared test helpers iterate over Pushed.
var Pushed = []*mapping.PushedType{&IssuesWebhook, &DetectionsWebhook, &Threats, &Webhook}
