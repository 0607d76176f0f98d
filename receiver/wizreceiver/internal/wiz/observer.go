// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import "time"

// Observer receives the client's self-telemetry. The receiver turns it into
// collector metrics; the client itself stays free of OpenTelemetry types.
type Observer interface {
	// RequestDone is called once per HTTP attempt. status is the HTTP status
	// code, or 0 when no response arrived.
	RequestDone(operation string, status int, duration time.Duration)
	// Throttled is called for each 429 (or rate-limit error) from Wiz.
	Throttled(operation string)
	// Retried is called before each retry, with a short reason.
	Retried(operation, reason string)
	// RateLimiterWaited reports time spent waiting for the shared limiter.
	RateLimiterWaited(d time.Duration)
	// ClockSkew reports Wiz's clock minus this host's, read from the Date
	// header of each answer that served data (see Client.Now).
	ClockSkew(skew time.Duration)
}

type nopObserver struct{}

func (nopObserver) RequestDone(string, int, time.Duration) {}
func (nopObserver) Throttled(string)                       {}
func (nopObserver) Retried(string, string)                 {}
func (nopObserver) RateLimiterWaited(time.Duration)        {}
func (nopObserver) ClockSkew(time.Duration)                {}
