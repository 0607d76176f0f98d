// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	h := func(v string) http.Header { return http.Header{"Retry-After": []string{v}} }
	assert.Equal(t, 7*time.Second, parseRetryAfter(h("7"), now))
	assert.Equal(t, 90*time.Second, parseRetryAfter(h("Sat, 28 Nov 2026 12:01:30 GMT"), now))
	assert.Zero(t, parseRetryAfter(h("Sat, 28 Nov 2026 11:00:00 GMT"), now), "a date in the past")
	assert.Zero(t, parseRetryAfter(h("soon"), now))
	assert.Zero(t, parseRetryAfter(h("-3"), now))
	assert.Zero(t, parseRetryAfter(http.Header{}, now))
	assert.Equal(t, time.Duration(math.MaxInt64), parseRetryAfter(h("99999999999999999999999"), now), "past a Duration: the longest one")
}

func TestTruncateUpstream(t *testing.T) {
	assert.Equal(t, "short", truncateUpstream("short"))
	exact := strings.Repeat("a", maxUpstreamText)
	assert.Equal(t, exact, truncateUpstream(exact))
	// A cut never splits a character: é is two bytes.
	got := truncateUpstream(strings.Repeat("a", maxUpstreamText-1) + strings.Repeat("é", 10))
	assert.Equal(t, strings.Repeat("a", maxUpstreamText-1)+"… [20 bytes cut]", got)
}
