// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package mockwiz

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/wizreceivertest"
)

func TestGraphQLFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       Fault
		status      int
		retryAfter  string
		contentType string
		code        string
	}{
		{"429", Fault{Status: 429, RetryAfter: "2"}, 429, "2", "application/json", "RATE_LIMIT_EXCEEDED"},
		{"500", Fault{Status: 500}, 500, "", "application/json", "INTERNAL"},
		{"502", Fault{Status: 502}, 502, "", "text/html", ""},
		{"503 with date", Fault{Status: 503, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"}, 503, "Wed, 21 Oct 2015 07:28:00 GMT", "text/html", ""},
		{"401", Fault{Status: 401}, 401, "", "application/json", "UNAUTHENTICATED"},
		{"graphql INTERNAL", Fault{GraphQLCode: "INTERNAL"}, 200, "", "application/json", "INTERNAL"},
		{"graphql UNAUTHORIZED", Fault{GraphQLCode: "UNAUTHORIZED"}, 200, "", "application/json", "UNAUTHORIZED"},
		{"latency only", Fault{Latency: 20 * time.Millisecond}, 200, "", "application/json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			e.srv.InjectGraphQLFaults(tt.fault)
			start := time.Now()
			r := e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 2})
			assert.GreaterOrEqual(t, time.Since(start), tt.fault.Latency)
			assert.Equal(t, tt.status, r.status, r.body)
			assert.Equal(t, tt.retryAfter, r.header.Get("Retry-After"))
			assert.Equal(t, tt.contentType, r.header.Get("Content-Type"))
			if tt.code != "" {
				code, _ := firstError(t, r)
				assert.Equal(t, tt.code, code)
			}
			// The fault applied to one request only.
			assert.Equal(t, http.StatusOK, e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 2}).status)
			st := e.srv.Stats()
			assert.Equal(t, 1, st.FaultsServed)
			assert.Equal(t, 2, st.GraphQLRequests)
		})
	}
}

func TestFaultsQueueInOrder(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.InjectGraphQLFaults(Fault{Status: 500}, Fault{Status: 503}, Fault{GraphQLCode: "INTERNAL"})
	var statuses []int
	for range 4 {
		statuses = append(statuses, e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 1}).status)
	}
	assert.Equal(t, []int{500, 503, 200, 200}, statuses)
	var recorded []int
	for _, r := range e.srv.Requests() {
		recorded = append(recorded, r.Status)
		assert.Equal(t, "AuditLogTable", r.OperationName)
		assert.Equal(t, "auditLogEntries", r.RootField)
		assert.Equal(t, "mock-client-id", r.ClientID)
		assert.EqualValues(t, 1, r.Variables["first"])
	}
	assert.Equal(t, statuses, recorded)
	st := e.srv.Stats()
	assert.Equal(t, map[int]int{500: 1, 503: 1, 200: 2}, st.ByStatus)
	assert.Equal(t, map[string]int{"auditLogEntries": 4}, st.ByRootField)
}

func TestDropMidBody(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.InjectGraphQLFaults(Fault{DropMidBody: true})
	resp, err := http.DefaultClient.Do(e.graphqlRequest(e.token, wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 50}))
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Positive(t, len(body))
	assert.Less(t, int64(len(body)), resp.ContentLength)
}

func TestLatencyRespectsClientCancel(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.InjectGraphQLFaults(Fault{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := e.graphqlRequest(e.token, wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 1}).WithContext(ctx)
	_, err := http.DefaultClient.Do(req) //nolint:bodyclose // the request fails, there is no body
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Eventually(t, func() bool { return len(e.srv.Requests()) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Zero(t, e.srv.Requests()[0].Status)
}

func TestTokenFaults(t *testing.T) {
	e := newEnv(t, Options{})
	form := url.Values{"grant_type": {"client_credentials"}, "audience": {"wiz-api"}, "client_id": {"mock-client-id"}, "client_secret": {"mock-client-secret"}}
	e.srv.InjectTokenFaults(Fault{Status: 503, RetryAfter: "3"}, Fault{Status: 500}, Fault{Status: 401})
	r := e.tokenRequest(form, "")
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "3", r.header.Get("Retry-After"))
	assert.Equal(t, 500, e.tokenRequest(form, "").status)
	r = e.tokenRequest(form, "")
	assert.Equal(t, 401, r.status)
	assert.Equal(t, "access_denied", r.json(t)["error"])
	assert.Equal(t, 200, e.tokenRequest(form, "").status)

	e.srv.InjectTokenFaults(Fault{DropMidBody: true})
	req, err := http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	_, err = io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, 4, e.srv.Stats().FaultsServed)
}

func TestFaultRate(t *testing.T) {
	e := newEnv(t, Options{})
	statuses := func() map[int]int {
		out := map[int]int{}
		for range 60 {
			resp, err := http.DefaultClient.Do(e.graphqlRequest(e.token, wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 1}))
			require.NoError(t, err)
			_, err = io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if errors.Is(err, io.ErrUnexpectedEOF) {
				out[-1]++
				continue
			}
			require.NoError(t, err)
			out[resp.StatusCode]++
		}
		return out
	}
	e.srv.SetFaultRate(1, 3)
	first := statuses()
	assert.Equal(t, 60, e.srv.Stats().FaultsServed, "every request fails")
	// -1 counts dropped connections, 200 GraphQL INTERNAL errors.
	for _, s := range []int{-1, 200, 429, 500, 502, 503} {
		assert.Positive(t, first[s], "fault kind %d drawn", s)
	}
	e.srv.SetFaultRate(1, 3)
	assert.Equal(t, first, statuses(), "the seed makes faults repeatable")
	e.srv.SetFaultRate(0, 0)
	assert.Equal(t, map[int]int{200: 60}, statuses())
}

func TestRateLimit(t *testing.T) {
	clk := wiztest.NewClock(testEnd)
	e := newEnv(t, Options{RateLimit: 2, Now: clk.Now})
	q := func() response {
		return e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 1})
	}
	assert.Equal(t, 200, q().status)
	assert.Equal(t, 200, q().status)
	r := q()
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.JSONEq(t, `{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATE_LIMIT_EXCEEDED"}}]}`, r.body)
	clk.Advance(500 * time.Millisecond)
	assert.Equal(t, 200, q().status, "the bucket refills at the rate")
	assert.Equal(t, 4, e.srv.Stats().MaxObservedRate)
	clk.Advance(2 * time.Second)
	assert.Equal(t, 200, q().status)
	assert.Equal(t, 4, e.srv.Stats().MaxObservedRate)
}

func TestRepeatCursorFault(t *testing.T) {
	e := newEnv(t, Options{})
	first := e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 2}).json(t)
	cursor := first["data"].(map[string]any)["auditLogEntries"].(map[string]any)["pageInfo"].(map[string]any)["endCursor"]
	require.NotNil(t, cursor)

	e.srv.InjectGraphQLFaults(Fault{RepeatCursor: true})
	page := e.query(wizreceivertest.PolledByKey("audit").Query, map[string]any{"first": 2, "after": cursor}).json(t)
	conn := page["data"].(map[string]any)["auditLogEntries"].(map[string]any)
	assert.Len(t, conn["nodes"], 2, "the real page is served")
	assert.Equal(t, map[string]any{"hasNextPage": true, "endCursor": cursor}, conn["pageInfo"], "with the request's own cursor")
}
