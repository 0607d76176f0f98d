// Package wizreceiver polls the Wiz GraphQL API for the data sets
// internal/logtype declares (audit log entries, issues, vulnerability
// findings, cloud configuration findings and Wiz Defend detections),
// receives the issues, threats and detections Wiz pushes to its webhook,
// and emits them as OpenTelemetry log records.
//
//go:generate go -C ../../internal/tools tool mdatagen ../../receiver/wizreceiver/metadata.yaml
package wizreceiver
