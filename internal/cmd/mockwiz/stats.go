// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/http"
	"sync/atomic"
)

// answerCounter counts the /graphql answers the mock writes, requests and
// body bytes, for `make bench` (internal/scripts/backfill.sh), which
// prints the bytes per record Wiz sent beside the collector's CPU per
// record, so that runs on data of another size compare.
type answerCounter struct {
	next     http.Handler
	requests atomic.Int64
	bytes    atomic.Int64
}

// answerStats is what GET /stats answers.
type answerStats struct {
	GraphQLRequests int64 `json:"graphql_requests"`
	GraphQLBytes    int64 `json:"graphql_response_bytes"`
}

func (c *answerCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/graphql" {
		c.next.ServeHTTP(w, r)
		return
	}
	cw := &countingWriter{ResponseWriter: w}
	c.next.ServeHTTP(cw, r)
	c.requests.Add(1)
	c.bytes.Add(cw.n)
}

func (c *answerCounter) stats() answerStats {
	return answerStats{GraphQLRequests: c.requests.Load(), GraphQLBytes: c.bytes.Load()}
}

// countingWriter counts the body bytes written through it. Unwrap lets
// http.ResponseController reach the connection (the mock's mid-body
// faults hijack it).
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
