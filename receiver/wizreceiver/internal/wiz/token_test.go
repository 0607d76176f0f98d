// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

func TestTokenRequest(t *testing.T) {
	f := wiztest.NewFakeWiz(t)
	transport := &countingTransport{}
	c := newClient(f, transport, nil)
	page, err := c.FetchPage(context.Background(), auditReq)
	require.NoError(t, err)
	assert.Len(t, page.Nodes, 1)

	tokens := f.RequestsTo("/oauth/token")
	require.Len(t, tokens, 1)
	form := tokens[0].Form()
	assert.Equal(t, "client_credentials", form.Get("grant_type"))
	assert.Equal(t, "id", form.Get("client_id"))
	assert.Equal(t, secret, form.Get("client_secret"))
	assert.Equal(t, "wiz-api", form.Get("audience"))
	assert.Equal(t, []string{"Bearer tok-1"}, f.Authorizations())
	assert.Equal(t, int64(2), transport.n.Load(), "token and query both went through the configured client")

	// The token is cached.
	_, err = c.FetchPage(context.Background(), auditReq)
	require.NoError(t, err)
	assert.Equal(t, 1, f.TokenRequests())
}

// A token is renewed before it expires, five minutes before for a token of
// an hour, so that no request carries an expired one; until then it is
// reused.
func TestTokenRenewedBeforeExpiry(t *testing.T) {
	f := wiztest.NewFakeWiz(t) // its tokens last an hour
	c := newClient(f, nil, nil)
	// oauth2 dates a token's expiry by this host's clock: the test's
	// starts there.
	clock := wiztest.NewClock(time.Now())
	c.SetTokenClock(clock.Now)

	fetch := func() {
		t.Helper()
		_, err := c.FetchPage(context.Background(), auditReq)
		require.NoError(t, err)
	}
	fetch()
	clock.Advance(54 * time.Minute)
	fetch()
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-1"}, f.Authorizations(), "reused for 54 minutes")
	clock.Advance(2 * time.Minute)
	fetch()
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}, f.Authorizations(), "renewed in its last five minutes")
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	f := wiztest.NewFakeWiz(t)
	f.Queue(status(401))
	c := newClient(f, nil, nil)
	_, err := c.FetchPage(context.Background(), auditReq)
	require.NoError(t, err)
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-2"}, f.Authorizations())

	// A fresh token refused again is a configuration problem, not a loop.
	f.Queue(status(401), status(401), status(401))
	_, err = c.FetchPage(context.Background(), auditReq)
	var auth *wiz.AuthError
	require.ErrorAs(t, err, &auth)
	assert.Len(t, f.Authorizations(), 4)
}

func TestBadCredentials(t *testing.T) {
	f := wiztest.NewFakeWiz(t, wiztest.WithToken(wiztest.RefuseTokens(http.StatusUnauthorized, "")))
	c := newClient(f, nil, nil)
	_, err := c.FetchPage(context.Background(), auditReq)
	var auth *wiz.AuthError
	require.ErrorAs(t, err, &auth)
	assert.Contains(t, err.Error(), "authentication failed")
	assert.Contains(t, err.Error(), "check client_id and client_secret")
	assert.NotContains(t, err.Error(), secret, "a server echoing the secret must not leak it")

	// The refusal is remembered: no second token request during the cool-down.
	_, err = c.FetchPage(context.Background(), auditReq)
	require.ErrorAs(t, err, &auth)
	assert.Equal(t, 1, f.TokenRequests())
}

// The client names itself on token and API requests alike.
func TestUserAgent(t *testing.T) {
	f := wiztest.NewFakeWiz(t)
	c := newClient(f, nil, nil)
	_, err := c.FetchPage(context.Background(), auditReq)
	require.NoError(t, err)
	var agents []string
	for _, r := range f.Requests() {
		agents = append(agents, r.UserAgent)
	}
	assert.Equal(t, []string{"otelcol-wiz/1.2.3", "otelcol-wiz/1.2.3"}, agents, "the token request, then the query")
}
