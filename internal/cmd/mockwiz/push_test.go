// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
)

const pushToken = "push-test-token-7e1f"

// webhookFake is a stdlib webhook: it refuses the first refusals requests
// with 503, then acknowledges every request, and records what it got.
type webhookFake struct {
	mu       sync.Mutex
	refusals int
	requests int
	bodies   map[string]int // by body: how often it was acknowledged
	sources  map[string]int // acknowledged payloads by trigger.source
	auth     map[string]int // Authorization headers seen
	types    map[string]int // Content-Type headers seen
}

func newWebhookFake(refusals int) *webhookFake {
	return &webhookFake{refusals: refusals, bodies: map[string]int{}, sources: map[string]int{}, auth: map[string]int{}, types: map[string]int{}}
}

func (f *webhookFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.auth[r.Header.Get("Authorization")]++
	f.types[r.Header.Get("Content-Type")]++
	if f.requests <= f.refusals {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var p struct {
		Trigger struct{ Source string } `json:"trigger"`
	}
	if json.Unmarshal(body, &p) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.bodies[string(body)]++
	f.sources[p.Trigger.Source]++
	_, _ = io.WriteString(w, "accepted")
}

func testPusher(url string, perKind int) *pusher {
	p := newPusher(url, pushToken, perKind, time.Millisecond)
	p.logf = func(string, ...any) {}
	return p
}

// The pusher delivers each payload of each kind once, with the token and
// as JSON, retrying what was refused with the same bytes.
func TestPusherDeliversEachPayloadOnce(t *testing.T) {
	fake := newWebhookFake(4)
	srv := httptest.NewServer(fake)
	defer srv.Close()

	delivered, err := testPusher(srv.URL+"/", 3).run(context.Background(), time.Now())
	require.NoError(t, err)
	assert.Equal(t, map[mockwiz.WebhookKind]int{mockwiz.WebhookIssue: 3, mockwiz.WebhookThreat: 3, mockwiz.WebhookDetection: 3}, delivered)

	fake.mu.Lock()
	defer fake.mu.Unlock()
	assert.Equal(t, 9+4, fake.requests, "9 payloads and 4 retries")
	assert.Equal(t, map[string]int{"ISSUE": 3, "THREATS": 3, "DETECTIONS": 3}, fake.sources)
	assert.Len(t, fake.bodies, 9)
	for body, n := range fake.bodies {
		assert.Equal(t, 1, n, "acknowledged more than once: %.80s", body)
	}
	assert.Equal(t, map[string]int{"Bearer " + pushToken: 13}, fake.auth)
	assert.Equal(t, map[string]int{"application/json": 13}, fake.types)
}

// A webhook that never acknowledges gets exactly maxFailures pushes, and
// the pusher says it gave up.
func TestPusherGivesUp(t *testing.T) {
	fake := newWebhookFake(1 << 30)
	srv := httptest.NewServer(fake)
	defer srv.Close()

	p := testPusher(srv.URL+"/", 3)
	p.maxFailures = 7
	delivered, err := p.run(context.Background(), time.Now())
	require.ErrorContains(t, err, "gave up after 7 failed pushes")
	assert.ErrorContains(t, err, "503")
	assert.Empty(t, delivered)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	assert.Equal(t, 7, fake.requests)
}

// A redirect is not followed: the token never reaches the other address,
// and the push counts as failed.
func TestPusherFollowsNoRedirect(t *testing.T) {
	elsewhere := newWebhookFake(0)
	other := httptest.NewServer(elsewhere)
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()

	p := testPusher(redirect.URL+"/", 1)
	p.maxFailures = 3
	_, err := p.run(context.Background(), time.Now())
	require.ErrorContains(t, err, "307")
	assert.NotContains(t, err.Error(), pushToken)
	elsewhere.mu.Lock()
	defer elsewhere.mu.Unlock()
	assert.Zero(t, elsewhere.requests, "the redirect was followed")
}

// An answer is read, and quoted, only up to pushAnswerLimit.
func TestPusherBoundsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		chunk := make([]byte, 1<<20)
		for range 64 { // 64 MiB, if the pusher read it all
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()

	p := testPusher(srv.URL+"/", 1)
	p.maxFailures = 1
	_, err := p.run(context.Background(), time.Now())
	require.Error(t, err)
	// %q writes a NUL as \x00: four bytes each.
	assert.LessOrEqual(t, len(err.Error()), 4*pushAnswerLimit+100)
}
