// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
)

// pusher plays Wiz's webhook integration: it pushes the mock's payloads of
// each kind (an issue, a threat, a Defend detection) to a collector's
// webhook, as Wiz does when an automation rule fires, with Wiz's "Token
// (Bearer)" option.
type pusher struct {
	client     *http.Client
	url, token string
	// perKind is how many payloads of each kind to deliver.
	perKind int
	// every is the pause between rounds; a round pushes the next payload
	// of each kind not yet delivered.
	every time.Duration
	// maxFailures bounds the pushes that get no 200 (the collector not
	// listening yet, a 503); such a push ends its round, and is retried at
	// the next. Past maxFailures the pusher gives up.
	maxFailures int
	logf        func(format string, args ...any)
}

// pushAnswerLimit is the most bytes of an answer read, and quoted in an
// error: the webhook answers a line of text.
const pushAnswerLimit = 512

func newPusher(url, token string, perKind int, every time.Duration) *pusher {
	return &pusher{
		client: &http.Client{
			Timeout: 10 * time.Second,
			// A redirect would carry the token to another address.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		url: url, token: token, perKind: perKind, every: every,
		maxFailures: 30,
		logf:        log.Printf,
	}
}

// run pushes until every payload was acknowledged, ctx ends or maxFailures
// pushes failed, and returns how many payloads of each kind were
// acknowledged. Each payload is timestamped at; a retry sends the same
// bytes, so a webhook that took a push it did not answer drops the repeat.
func (p *pusher) run(ctx context.Context, at time.Time) (map[mockwiz.WebhookKind]int, error) {
	delivered := map[mockwiz.WebhookKind]int{}
	failures := 0
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for {
		for _, kind := range mockwiz.WebhookKinds {
			if delivered[kind] >= p.perKind {
				continue
			}
			err := p.push(ctx, mockwiz.WebhookPayload(kind, delivered[kind], at))
			if err != nil {
				failures++
				if failures >= p.maxFailures {
					return delivered, fmt.Errorf("gave up after %d failed pushes, the last: %w", failures, err)
				}
				// The webhook is not up, or busy: the rest waits for
				// the next round too.
				p.logf("push of %s %d of %d not acknowledged, retrying: %v", kind, delivered[kind]+1, p.perKind, err)
				break
			}
			delivered[kind]++
			p.logf("pushed %s %d of %d", kind, delivered[kind], p.perKind)
		}
		if p.done(delivered) {
			return delivered, nil
		}
		select {
		case <-ctx.Done():
			return delivered, ctx.Err()
		case <-tick.C:
		}
	}
}

func (p *pusher) done(delivered map[mockwiz.WebhookKind]int) bool {
	for _, kind := range mockwiz.WebhookKinds {
		if delivered[kind] < p.perKind {
			return false
		}
	}
	return true
}

// push POSTs one payload; only a 200 acknowledges it.
func (p *pusher) push(ctx context.Context, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// The error names the URL, never the token.
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, pushAnswerLimit))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %s: %q", resp.Status, strings.TrimSpace(string(answer)))
	}
	return nil
}
