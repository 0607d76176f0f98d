// Package wizreceiver polls the Wiz GraphQL API for audit log entries, issues
// and vulnerability findings, and receives the issues, threats and
// detections Wiz pushes to its webhook, and emits them as OpenTelemetry log
// records.
//
//go:generate go -C ../../internal/tools tool mdatagen ../../receiver/wizreceiver/metadata.yaml
package wizreceiver
