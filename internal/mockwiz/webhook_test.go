// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Payloads are valid compact JSON, the same for the same arguments, with
// ids unique to their kind and number; a detection is about 5 KB, like
// Wiz's with one triggering event and its process tree.
func TestWebhookPayload(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 15, 30, 123456789, time.UTC)
	seen := map[string]bool{}
	for _, kind := range WebhookKinds {
		for n := range 50 {
			p := WebhookPayload(kind, n, at)
			require.True(t, json.Valid(p), "%s %d", kind, n)
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, p))
			assert.Equal(t, compact.Bytes(), p, "%s %d is compact", kind, n)
			assert.Equal(t, p, WebhookPayload(kind, n, at), "%s %d is deterministic", kind, n)
			assert.False(t, seen[string(p)], "%s %d repeats a payload", kind, n)
			seen[string(p)] = true
		}
	}
	size := len(WebhookPayload(WebhookDetection, 0, at))
	assert.InDelta(t, 5000, size, 500, "detection size")
}
