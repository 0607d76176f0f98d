// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

// Package webhook is the receiver's endpoint for what Wiz pushes (issues,
// threats, detections): the collector's confighttp server with its TLS and
// authenticator, in front of a handler that maps each payload and answers
// 200 only once the next consumer accepted its records.
//
// Its API is small: New builds a Server from Settings (the receiver maps
// its webhook section onto them); Start reports the webhook's health
// through a status callback; Telemetry is what it counts, which the
// receiver records as metrics. It imports nothing of the receiver.
//
// Files, each with one job: server.go (listen, serve, shut down),
// handler.go (check, map, deliver, answer), deliveries.go (the request
// slots, and deliveries that outlive their request's answer), answer.go
// (the answers written), recent.go (the bodies accepted within
// dedup_window), connlimit.go (max_connections), responses.go (the count of
// answers by status), throttle.go (a log line a period) and telemetry.go.
package webhook
