// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/mockwiz"
)

// TestAnswerCounterCountsGraphQLBodies: the counter sees every /graphql
// answer's body bytes as the client receives them, and nothing of the
// token endpoint's.
func TestAnswerCounterCountsGraphQLBodies(t *testing.T) {
	srv := mockwiz.New(mockwiz.Options{})
	counter := &answerCounter{next: srv.Handler()}
	hs := httptest.NewServer(counter)
	defer hs.Close()

	var received int64
	for _, path := range []string{"/oauth/token", "/graphql", "/graphql"} {
		resp, err := http.Post(hs.URL+path, "application/json", strings.NewReader(`{"query":"{ x }"}`))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.NoError(t, err)
		require.NotEmpty(t, body)
		if path == "/graphql" {
			received += int64(len(body))
		}
	}
	assert.Equal(t, answerStats{GraphQLRequests: 2, GraphQLBytes: received}, counter.stats())
}
