// Copyright The otelcol-wiz Authors
// SPDX-License-Identifier: Apache-2.0

package wiz_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-wiz/otelcol-wiz/internal/wiztest"
	"github.com/otelcol-wiz/otelcol-wiz/receiver/wizreceiver/internal/wiz"
)

// A redirect from token_url or from the API endpoint is refused: its
// target receives no request at all, so neither the client secret nor the
// bearer token can follow it, whatever the status, host or scheme. The
// error names the Location and the setting to change, and is remembered
// for the cool-down like refused credentials, so polling does not loop.
func TestRedirectsAreRefused(t *testing.T) {
	for setting, redirected := range map[string]string{"token_url": "/oauth/token", "endpoint": "/graphql"} {
		for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			for _, where := range []string{"same host", "other https host", "plain http host"} {
				t.Run(fmt.Sprintf("%s %d to %s", setting, code, where), func(t *testing.T) {
					var location string
					redirect := func(w http.ResponseWriter, r *http.Request) { wiztest.Redirect(code, location)(w, r) }
					source := wiztest.NewFakeWiz(t, wiztest.WithTLS())
					if setting == "token_url" {
						source.SetToken(redirect)
					} else {
						source.SetAPI(redirect)
					}
					// The redirect's target: elsewhere, or source itself.
					var elsewhere *wiztest.FakeWiz
					switch where {
					case "same host":
						location = source.URL + "/moved" + redirected
					case "other https host":
						elsewhere = wiztest.NewFakeWiz(t, wiztest.WithTLS())
						location = elsewhere.URL + redirected
					case "plain http host":
						elsewhere = wiztest.NewFakeWiz(t)
						location = elsewhere.URL + redirected
					}

					// The httptest TLS servers share one certificate, which
					// this transport trusts.
					c := newClient(source, source.Client().Transport, nil)
					for attempt := range 3 {
						_, err := c.FetchPage(context.Background(), auditReq)
						var refused *wiz.RedirectError
						assert.ErrorAs(t, err, &refused, "attempt %d", attempt)
						assert.False(t, wiz.IsPermanent(err), "a redirect the server may drop again is retried after the cool-down")
						assert.Contains(t, err.Error(), location, "the error names the Location")
						assert.Contains(t, err.Error(), fmt.Sprintf("HTTP %d", code))
						assert.Contains(t, err.Error(), "set "+setting+" to the final URL")
					}
					reached := source.RequestsTo("/moved" + redirected)
					if elsewhere != nil {
						reached = append(reached, elsewhere.Requests()...)
					}
					assert.Empty(t, reached, "the redirect's target received a request, with a credential or without")
					assert.Len(t, source.RequestsTo(redirected), 1, "the redirect is remembered for the cool-down: no request loop")
				})
			}
		}
	}
}

// A redirect's Location is a server's text like any other: one that echoes
// the client secret, in a header of a megabyte, reaches the error redacted
// and capped, the secret whole nowhere, not even cut in two.
func TestRedirectLocationIsRedactedThenCapped(t *testing.T) {
	// The secret sits across the cut: capping first would leave its head.
	location := "https://elsewhere.example/" + strings.Repeat("x", wiz.MaxUpstreamText-60) + "?client_secret=" + secret + strings.Repeat("y", 1<<20)
	source := wiztest.NewFakeWiz(t, wiztest.WithTLS(), wiztest.WithToken(wiztest.Redirect(http.StatusTemporaryRedirect, location)))
	c := newClient(source, source.Client().Transport, nil)
	_, err := c.FetchPage(context.Background(), auditReq)
	var redirect *wiz.RedirectError
	require.ErrorAs(t, err, &redirect)
	msg := err.Error()
	assert.Less(t, len(msg), 3*wiz.MaxUpstreamText, "capped")
	assert.Contains(t, msg, "client_secret=[REDACTED]")
	assert.NotContains(t, msg, secret[:8], "no part of the secret")
}
