// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package wizreceiver polls the Wiz GraphQL API for the data sets
// internal/logtype declares (audit log entries, issues, vulnerability
// findings, cloud configuration findings and Wiz Defend detections),
// receives the issues, threats and detections Wiz pushes to its webhook,
// and emits them as OpenTelemetry log records.
//
// This package holds the factory, the config (the webhook's section too),
// the receiver, which builds the engine's streams and the webhook from the
// config, the component status they report to, and the telemetry they count
// through. The engine is internal/poll, the webhook internal/webhook; each
// takes settings in and reports through a status callback and a telemetry
// interface, and neither imports this package.
//
//go:generate go -C ../../internal/tools tool mdatagen ../../receiver/wizreceiver/metadata.yaml
package wizreceiver
